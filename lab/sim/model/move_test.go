package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"testing"
)

func TestMoveKeepsSecurityAndChecksAccess(t *testing.T) {
	m, err := New(Options{Profile: "win10-22h2"})
	if err != nil {
		t.Fatal(err)
	}
	sys := win.SystemToken()
	fs := m.FS()
	before, err := fs.GetSecurity(sys, `C:\Windows\Installer`)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Move(sys, `C:\Windows\Installer`, `C:\Windows\Installer.moved`); err != nil {
		t.Fatal(err)
	}
	if fs.Exists(`C:\Windows\Installer`) {
		t.Fatal("source still exists")
	}
	after, err := fs.GetSecurity(sys, `C:\Windows\Installer.moved`)
	if err != nil || after.String() != before.String() {
		t.Fatalf("descriptor changed: %s -> %s (%v)", before, after, err)
	}
	if err := fs.Move(sys, `C:\Windows\Installer.moved`, `C:\Windows\Installer`); err != nil {
		t.Fatal(err)
	}
	if m.Digest() == "" || !fs.Exists(`C:\Windows\Installer`) {
		t.Fatal("move back failed")
	}
	// Destination exists; missing source; missing destination parent; into itself.
	if err := fs.Move(sys, `C:\Windows\Temp`, `C:\Windows\Installer`); !errors.Is(err, ErrExists) {
		t.Fatalf("onto existing: %v", err)
	}
	if err := fs.Move(sys, `C:\nope`, `C:\nope2`); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing source: %v", err)
	}
	if err := fs.Move(sys, `C:\Windows\Temp`, `C:\nope\Temp`); Code(err) != ErrorPathNotFound {
		t.Fatalf("missing parent: %v", err)
	}
	if err := fs.Move(sys, `C:\Windows`, `C:\Windows\Sub`); err == nil {
		t.Fatal("moved a folder into itself")
	}
	// A standard user may not move a system folder.
	if _, err := m.Users().Ensure(sys, UserSpec{Name: "std", Password: "Lab-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	std, err := m.Token(win.KindStandardUser, "std")
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Move(std, `C:\Windows\Installer`, `C:\Windows\I2`); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("standard user moved Installer: %v", err)
	}
}
