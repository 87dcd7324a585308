package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// PackageDir is where msilab keeps packages on a host: under C:\ProgramData,
// whose default ACL lets every install context read them.
const PackageDir = `C:\ProgramData\msilab\packages`

// EnsureFile makes sure the host has data at dst: it asks for the file's
// hash (path.hash) and uploads only when the file is missing or differs,
// creating dst's folder if needed. It reports whether it uploaded.
func EnsureFile(ctx context.Context, s Session, data []byte, dst string) (*FileInfo, bool, error) {
	sum := sha256.Sum256(data)
	want := strings.ToUpper(hex.EncodeToString(sum[:]))
	hashOp, err := ops.New(ops.OpPathHash, ops.PathHashArgs{Path: dst})
	if err != nil {
		return nil, false, err
	}
	mkdirOp, err := ops.New(ops.OpPathCreate, ops.PathCreateArgs{Path: parentDir(dst), Type: "directory"})
	if err != nil {
		return nil, false, err
	}
	res, err := s.RunBatch(ctx, []ops.Op{hashOp, mkdirOp})
	if err != nil {
		return nil, false, err
	}
	var have ops.PathHash
	if err := res[0].Decode(&have); err != nil {
		return nil, false, fmt.Errorf("lab: hash %s: %w", dst, err)
	}
	if have.Exists && strings.EqualFold(have.SHA256, want) {
		return &FileInfo{Path: dst, Size: have.Size, SHA256: have.SHA256}, false, nil
	}
	if err := res[1].Decode(nil); err != nil {
		return nil, false, fmt.Errorf("lab: create %s: %w", parentDir(dst), err)
	}
	info, err := uploadResent(ctx, s, data, dst)
	if err != nil {
		return nil, false, err
	}
	return info, true, nil
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '\\'); i > 0 {
		return p[:i]
	}
	return p
}

// ErrPackageName is wrapped when a package's file name cannot be its name
// under PackageDir.
var ErrPackageName = errors.New("lab: package file name not allowed on the host")

// PackageName is the name a local package file gets under PackageDir: its
// base name, which must be made of letters, digits, '.', '_' and '-', end
// in .msi, and be no Windows device name (CON, NUL, COM1...) nor end in a
// dot or a space. Anything else, such as a name holding '\' (a legal
// character in a Linux file name, a separator on Windows), a drive
// letter, a UNC path or an alternate data stream (':'), is refused, so
// that no package lands outside PackageDir (D: "Naming Files, Paths, and
// Namespaces").
func PackageName(local string) (string, error) {
	name := filepath.Base(local)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q %s (use letters, digits, '.', '_' and '-', ending in .msi)", ErrPackageName, name, why)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return bad(fmt.Sprintf("holds %q", r))
		}
	}
	stem, ok := strings.CutSuffix(strings.ToLower(name), ".msi")
	switch {
	case !ok || stem == "":
		return bad("is not a name ending in .msi")
	case strings.HasSuffix(stem, ".") || strings.HasPrefix(name, "."):
		return bad("starts or ends its stem with a dot")
	}
	device := stem
	if i := strings.IndexByte(device, '.'); i >= 0 {
		device = device[:i]
	}
	switch device {
	case "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
		"lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9":
		return bad("is a Windows device name")
	}
	return name, nil
}
