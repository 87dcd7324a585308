package lab_test

import (
	"errors"
	"testing"

	"github.com/msilab/msilab/lab"
)

// No package name escapes PackageDir: separators of either OS, parent
// folders, drive letters, UNC paths, streams, device names, trailing dots
// and spaces are refused.
func TestPackageName(t *testing.T) {
	for _, ok := range []string{"app.msi", "dir/My_App-1.2.MSI", "/abs/x.msi"} {
		if _, err := lab.PackageName(ok); err != nil {
			t.Errorf("PackageName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{
		`..\..\..\Windows\System32\pwn.msi`, `C:\Windows\pwn.msi`, `C:pwn.msi`, `\\server\share\pwn.msi`,
		`pwn.msi:stream`, `app.msi:Zone.Identifier`, "CON.msi", "nul.msi", "com1.msi", "LPT9.tar.msi",
		"app.msi.", "app.msi ", "app .msi", "app..msi", ".msi", "..msi", "app.exe", "app", "a%20b.msi", "é.msi",
	} {
		if name, err := lab.PackageName(bad); !errors.Is(err, lab.ErrPackageName) {
			t.Errorf("PackageName(%q) = %q, %v; want ErrPackageName", bad, name, err)
		}
	}
	if name, _ := lab.PackageName("dir/sub/app.msi"); name != "app.msi" {
		t.Errorf("the base name: %q", name)
	}
}
