package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	info, err := s.Upload(ctx, bytes.NewReader(data), dst)
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
