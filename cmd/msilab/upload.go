package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/testpkgs"
)

const uploadUsage = `Usage:
  msilab upload [flags] FILE [DEST]
  msilab upload [flags] testpkg:NAME [DEST]

Copies FILE, or one of msilab's built-in test packages, to the host, unless
the host already has the same bytes there (checked by SHA-256). DEST
defaults to ` + lab.PackageDir + `\<name>. Test packages: %s.
`

func uploadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("msilab upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), uploadUsage, strings.Join(testpkgs.Names(), ", "))
		fs.PrintDefaults()
	}
	var ef endpointFlags
	ef.register(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("give FILE (or testpkg:NAME) and an optional DEST")
	}
	data, name, err := readUploadSource(fs.Arg(0))
	if err != nil {
		return err
	}
	var dst string
	if fs.NArg() == 2 {
		dst = fs.Arg(1)
	} else if base, err := lab.PackageName(name); err != nil { // no name escapes PackageDir
		return usagef("%v: or give DEST", err)
	} else {
		dst = lab.PackageDir + `\` + base
	}
	s, err := ef.dial(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	info, uploaded, err := lab.EnsureFile(ctx, s, data, dst)
	if err != nil {
		return err
	}
	verb := "uploaded"
	if !uploaded {
		verb = "already there"
	}
	fmt.Fprintf(stdout, "%s %s (%d bytes, sha256 %s)\n", verb, info.Path, info.Size, info.SHA256)
	return nil
}

// readUploadSource reads a local file or a built-in test package, and
// says its name (the local path, or NAME.msi).
func readUploadSource(src string) ([]byte, string, error) {
	if name, ok := strings.CutPrefix(src, "testpkg:"); ok {
		data, err := testpkgs.Bytes(name)
		if err != nil {
			return nil, "", usagef("%v", err)
		}
		return data, name + ".msi", nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", src, err)
	}
	return data, src, nil
}
