package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"testing"
	"time"
)

// newTempMachine has C:\, C:\Windows and C:\Windows\Temp with the healthy ACL.
func newTempMachine(t *testing.T) (*Machine, map[win.TokenKind]*win.Token) {
	t.Helper()
	m := newBareMachine("TEST", testDomain, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	m.addDrive("C:", "O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)")
	if _, err := m.setupDir(`C:\Windows`, "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.setupDir(`C:\Windows\Temp`, tempSDDL, 0); err != nil {
		t.Fatal(err)
	}
	return m, testTokens()
}

func sddlOf(t *testing.T, m *Machine, path string) string {
	t.Helper()
	sd, err := m.FS().GetSecurity(win.SystemToken(), path)
	if err != nil {
		t.Fatalf("GetSecurity(%s): %v", path, err)
	}
	return sd.String()
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		`c:/windows/temp/`:        `C:\windows\temp`,
		`C:\Windows\.\Temp\..\X`:  `C:\Windows\X`,
		`C:\..\..\Windows`:        `C:\Windows`,
		`C:`:                      `C:\`,
		`C:\\Windows\\\Temp\\`:    `C:\Windows\Temp`,
		`\\?\C:\Windows\file. . `: `C:\Windows\file`,
		`C:\%TEMP%\x`:             `C:\%TEMP%\x`,
	} {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`Windows\Temp`, `\\server\share`, `C:rel`, `C:\a|b`, `C:\a:b`, ``} {
		if _, err := CleanPath(bad); Code(err) != ErrorInvalidName {
			t.Errorf("CleanPath(%q) err = %v, want 123", bad, err)
		}
	}
}

func TestInheritanceUnderTemp(t *testing.T) {
	m, tok := newTempMachine(t)
	fs := m.FS()
	user := tok[win.KindStandardUser]
	if err := fs.WriteFile(user, `C:\Windows\Temp\u.txt`, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	want := "O:" + string(testUser) + "G:" + string(testDomain) + "-513D:AI(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;FA;;;" + string(testUser) + ")"
	if got := sddlOf(t, m, `C:\Windows\Temp\u.txt`); got != want {
		t.Errorf("user file:\n got %s\nwant %s", got, want)
	}
	// The CI-only Users ACE does not reach files: CREATOR OWNER is what
	// lets the creator read its own file back.
	if data, err := fs.ReadFile(user, `C:\Windows\Temp\u.txt`); err != nil || string(data) != "hi" {
		t.Errorf("creator read back: %q, %v", data, err)
	}
	other := win.NewToken(win.TokenSpec{Kind: win.KindStandardUser, User: testDomain.WithRID(1002), Domain: testDomain})
	if _, err := fs.ReadFile(other, `C:\Windows\Temp\u.txt`); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("other user read: %v, want access denied", err)
	}
	if err := fs.WriteFile(tok[win.KindAdminElevated], `C:\Windows\Temp\a.txt`, nil); err != nil {
		t.Fatal(err)
	}
	if got := sddlOf(t, m, `C:\Windows\Temp\a.txt`); got != "O:BAG:"+string(testDomain)+"-513D:AI(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;FA;;;BA)" {
		t.Errorf("admin file: %s", got)
	}
	if err := fs.Mkdir(user, `C:\Windows\Temp\d`); err != nil {
		t.Fatal(err)
	}
	want = "O:" + string(testUser) + "G:" + string(testDomain) + "-513D:AI(A;CIID;0x100026;;;BU)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;ID;FA;;;" + string(testUser) + ")(A;OICIIOID;FA;;;CO)"
	if got := sddlOf(t, m, `C:\Windows\Temp\d`); got != want {
		t.Errorf("user dir:\n got %s\nwant %s", got, want)
	}
	if err := fs.WriteFile(tok[win.KindSystem], `C:\Windows\Temp\d\f`, nil); err != nil {
		t.Fatal(err)
	}
	if got := sddlOf(t, m, `C:\Windows\Temp\d\f`); got != "O:BAG:SYD:AI(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;FA;;;BA)" {
		t.Errorf("SYSTEM file in subdir: %s", got)
	}
}

func TestInheritanceFlags(t *testing.T) {
	m, tok := newTempMachine(t)
	fs := m.FS()
	sys := tok[win.KindSystem]
	must(t, fs.Mkdir(sys, `C:\Windows\Temp\p`))
	must(t, fs.SetSDDL(sys, `C:\Windows\Temp\p`, "D:P(A;OICI;FA;;;SY)(A;OICINP;FR;;;AU)(A;OI;FX;;;BU)(A;CI;GR;;;WD)"))
	must(t, fs.MkdirAll(sys, `C:\Windows\Temp\p\c\g`))
	must(t, fs.WriteFile(sys, `C:\Windows\Temp\p\c\f`, nil))
	cases := map[string]string{
		`C:\Windows\Temp\p\c`:   "D:(A;OICIID;FA;;;SY)(A;ID;FR;;;AU)(A;OIIOID;FX;;;BU)(A;ID;FR;;;WD)(A;CIIOID;GR;;;WD)",
		`C:\Windows\Temp\p\c\g`: "D:(A;OICIID;FA;;;SY)(A;OIIOID;FX;;;BU)(A;ID;FR;;;WD)(A;CIIOID;GR;;;WD)",
		`C:\Windows\Temp\p\c\f`: "D:(A;ID;FA;;;SY)(A;ID;FX;;;BU)",
	}
	for p, want := range cases {
		if got := dacl(t, m, p); got != want {
			t.Errorf("%s:\n got %s\nwant %s", p, got, want)
		}
	}
}

func dacl(t *testing.T, m *Machine, path string) string {
	s := sddlOf(t, m, path)
	for i := 0; i+1 < len(s); i++ {
		if s[i] == 'D' && s[i+1] == ':' {
			return s[i:]
		}
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRepropagation(t *testing.T) {
	m, tok := newTempMachine(t)
	fs := m.FS()
	sys, user := tok[win.KindSystem], tok[win.KindStandardUser]
	must(t, fs.Mkdir(user, `C:\Windows\Temp\d`))
	must(t, fs.WriteFile(user, `C:\Windows\Temp\d\f`, nil))
	must(t, fs.Mkdir(sys, `C:\Windows\Temp\prot`))
	must(t, fs.SetSDDL(sys, `C:\Windows\Temp\prot`, "D:PAI(A;OICI;FA;;;SY)"))
	// explicit ACE on the file, in non-canonical position: allow then
	// deny, kept in that order as SetNamedSecurityInfo keeps it
	must(t, fs.SetSDDL(user, `C:\Windows\Temp\d\f`, "D:AI(A;;FR;;;WD)(D;;FW;;;AN)(A;ID;FA;;;SY)"))
	if got := dacl(t, m, `C:\Windows\Temp\d\f`); got != "D:AI(A;;FR;;;WD)(D;;FW;;;AN)(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;FA;;;"+string(testUser)+")" {
		t.Errorf("explicit kept first in their order, inherited recomputed: %s", got)
	}
	// A broken Temp: a deny-write ACE for SYSTEM, inheritable.
	broken := "D:PAI(D;OICI;0x100116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"
	must(t, fs.SetSDDL(sys, `C:\Windows\Temp`, broken))
	wantF := "D:AI(A;;FR;;;WD)(D;;FW;;;AN)(D;ID;0x100116;;;SY)(A;ID;FA;;;BA)(A;ID;FA;;;SY)(A;ID;FA;;;" + string(testUser) + ")"
	if got := dacl(t, m, `C:\Windows\Temp\d\f`); got != wantF {
		t.Errorf("re-propagated file:\n got %s\nwant %s", got, wantF)
	}
	if err := fs.WriteFile(sys, `C:\Windows\Temp\d\f`, []byte("x")); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("SYSTEM write after deny propagated: %v", err)
	}
	if got := dacl(t, m, `C:\Windows\Temp\prot`); got != "D:PAI(A;OICI;FA;;;SY)" {
		t.Errorf("protected child changed: %s", got)
	}
	if err := fs.WriteFile(sys, `C:\Windows\Temp\new.ipi`, nil); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("SYSTEM create in broken Temp: %v", err)
	}
}

func TestFSErrors(t *testing.T) {
	m, tok := newTempMachine(t)
	fs := m.FS()
	sys, user := tok[win.KindSystem], tok[win.KindStandardUser]
	must(t, fs.WriteFile(sys, `C:\Windows\Temp\f.txt`, []byte("a")))
	must(t, fs.Mkdir(sys, `C:\Windows\Temp\d`))
	must(t, fs.WriteFile(sys, `C:\Windows\Temp\d\x`, nil))
	cases := []struct {
		name string
		err  error
		code Errno
		is   error
	}{
		{"missing file", get(fs.ReadFile(sys, `C:\Windows\Temp\nope.txt`)), ErrorFileNotFound, ErrNotFound},
		{"missing parent", get(fs.ReadFile(sys, `C:\Windows\Installer\inprogressinstallinfo.ipi`)), ErrorPathNotFound, ErrPathNotFound},
		{"missing parent on write", fs.WriteFile(sys, `C:\Windows\Installer\inprogressinstallinfo.ipi`, nil), ErrorPathNotFound, ErrPathNotFound},
		{"file as a directory", get(fs.ReadFile(sys, `C:\Windows\Temp\f.txt\y`)), ErrorPathNotFound, ErrPathNotFound},
		{"missing drive", get(fs.ReadFile(sys, `D:\x`)), ErrorPathNotFound, ErrPathNotFound},
		{"create existing", fs.CreateFile(sys, `C:\Windows\Temp\f.txt`, nil), ErrorFileExists, ErrExists},
		{"mkdir existing", fs.Mkdir(sys, `C:\Windows\Temp\D`), ErrorAlreadyExists, ErrExists},
		{"remove non-empty", fs.Remove(sys, `C:\Windows\Temp\d`), ErrorDirNotEmpty, ErrNotEmpty},
		{"read a directory", get(fs.ReadFile(sys, `C:\Windows\Temp\d`)), ErrorAccessDenied, ErrIsDirectory},
		{"list a file", get(fs.ReadDir(sys, `C:\Windows\Temp\f.txt`)), ErrorDirectory, ErrNotDirectory},
		{"list missing", get(fs.ReadDir(sys, `C:\Windows\Nope`)), ErrorPathNotFound, ErrPathNotFound},
		{"user lists Temp", get(fs.ReadDir(user, `C:\Windows\Temp`)), ErrorAccessDenied, ErrAccessDenied},
		{"user reads SYSTEM's file", get(fs.ReadFile(user, `C:\Windows\Temp\f.txt`)), ErrorAccessDenied, ErrAccessDenied},
		{"user deletes SYSTEM's file", fs.Remove(user, `C:\Windows\Temp\f.txt`), ErrorAccessDenied, ErrAccessDenied},
		{"user sets Temp's DACL", fs.SetSDDL(user, `C:\Windows\Temp`, "D:(A;;FA;;;WD)"), ErrorAccessDenied, ErrAccessDenied},
		{"invalid name", fs.WriteFile(sys, `C:\Windows\Temp\a?b`, nil), ErrorInvalidName, ErrInvalidName},
	}
	for _, c := range cases {
		var pe *PathError
		if !errors.As(c.err, &pe) || pe.Code != c.code || !errors.Is(c.err, c.is) {
			t.Errorf("%s: err = %v, want code %d and %v", c.name, c.err, c.code, c.is)
		}
	}
	var ade *AccessDeniedError
	if err := get(fs.ReadDir(user, `C:\Windows\Temp`)); !errors.As(err, &ade) || ade.Want != win.FileListDirectory || ade.Token != win.KindStandardUser {
		t.Errorf("AccessDeniedError fields: %+v", ade)
	}
}

func get[T any](_ T, err error) error { return err }

func TestFSDeleteAndAttributes(t *testing.T) {
	m, tok := newTempMachine(t)
	fs := m.FS()
	sys, user := tok[win.KindSystem], tok[win.KindStandardUser]
	must(t, fs.WriteFile(user, `C:\Windows\Temp\mine`, []byte("1")))
	must(t, fs.AppendFile(user, `C:\Windows\Temp\mine`, []byte("2")))
	if d, _ := fs.ReadFile(user, `C:\Windows\Temp\mine`); string(d) != "12" {
		t.Errorf("append: %q", d)
	}
	must(t, fs.SetAttributes(sys, `C:\Windows\Temp\mine`, AttrReadOnly))
	if err := fs.WriteFile(sys, `C:\Windows\Temp\mine`, nil); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("write read-only: %v", err)
	}
	if err := fs.Remove(sys, `C:\Windows\Temp\mine`); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("delete read-only: %v", err)
	}
	must(t, fs.SetAttributes(user, `C:\Windows\Temp\mine`, 0))
	must(t, fs.Remove(user, `C:\Windows\Temp\mine`))
	if fs.Exists(`C:\Windows\Temp\mine`) {
		t.Error("still exists")
	}
	must(t, fs.MkdirAll(sys, `C:\Windows\Temp\a\b\c`))
	must(t, fs.WriteFile(sys, `C:\Windows\Temp\a\b\c\f`, nil))
	must(t, fs.RemoveAll(sys, `C:\Windows\Temp\a`))
	must(t, fs.RemoveAll(sys, `C:\Windows\Temp\a`))
	if fi, err := fs.Stat(`c:/WINDOWS/temp`); err != nil || fi.Path != `C:\Windows\Temp` || !fi.Dir {
		t.Errorf("Stat keeps stored case: %+v %v", fi, err)
	}
	g, _ := fs.Access(user, `C:\Windows\Temp`)
	if g != 0x100026 {
		t.Errorf("user access on Temp = %#x", uint32(g))
	}
	lines, _ := fs.ICACLS(`C:\Windows\Temp`)
	if len(lines) != 4 || lines[0] != `BUILTIN\Users:(CI)(S,WD,AD,X)` {
		t.Errorf("icacls: %q", lines)
	}
}
