package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"slices"
	"testing"
)

func tokensOf(t *testing.T, m *Machine) map[win.TokenKind]*win.Token {
	t.Helper()
	sys := win.SystemToken()
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	must(t, err)
	filtered, err := m.Token(win.KindAdminFiltered, "msilab")
	must(t, err)
	if _, err := m.Users().Ensure(admin, UserSpec{Name: "labuser", Password: "Lab-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	user, err := m.Token(win.KindStandardUser, "labuser")
	must(t, err)
	return map[win.TokenKind]*win.Token{win.KindSystem: sys, win.KindAdminElevated: admin, win.KindAdminFiltered: filtered, win.KindStandardUser: user}
}

func TestRegistryValues(t *testing.T) {
	m := newMachine(t, "win10-22h2")
	tok := tokensOf(t, m)
	reg, admin := m.Registry(), tok[win.KindAdminElevated]
	key := `HKLM\SOFTWARE\Contoso\App`
	must(t, reg.CreateKey(admin, key))
	vals := []Value{SZ("Name", "x"), ExpandSZ("Path", `%ProgramFiles%\x`), MultiSZ("List", "a", "b"),
		DWORD("N", 7), QWORD("Q", 1<<40), Binary("B", []byte{1, 2}), SZ("", "default")}
	for _, v := range vals {
		must(t, reg.SetValue(admin, key, v))
	}
	for _, v := range vals {
		got, err := reg.GetValue(tok[win.KindStandardUser], `hkey_local_machine\software\CONTOSO\app`, v.Name)
		if err != nil || got.Type != v.Type || got.Data() != v.Data() {
			t.Errorf("%q: %+v %v", v.Name, got, err)
		}
	}
	got, _ := reg.Values(admin, key)
	if len(got) != len(vals) || got[0].Name != "" || got[1].Name != "B" {
		t.Errorf("Values order %v", got)
	}
	must(t, reg.SetValue(admin, key, DWORD("n", 8)))
	if v, _ := reg.GetValue(admin, key, "N"); v.Num != 8 || v.Name != "n" {
		t.Errorf("case-insensitive overwrite: %+v", v)
	}
	must(t, reg.DeleteValue(admin, key, "Q"))
	if _, err := reg.GetValue(admin, key, "Q"); Code(err) != ErrorFileNotFound || !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted value: %v", err)
	}
	if err := reg.DeleteValue(admin, key, "Q"); Code(err) != ErrorFileNotFound {
		t.Errorf("delete missing value: %v", err)
	}
	must(t, reg.CreateKey(admin, key+`\Sub\Deeper`))
	must(t, reg.CreateKey(admin, `HKLM:\SOFTWARE\Contoso\Another`))
	if sub, _ := reg.Subkeys(admin, `HKLM\SOFTWARE\Contoso`); !slices.Equal(sub, []string{"Another", "App"}) {
		t.Errorf("Subkeys %v", sub)
	}
	must(t, reg.DeleteKey(admin, `Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\App`))
	if reg.KeyExists(nil, key+`\Sub`) || reg.KeyExists(nil, key) || !reg.KeyExists(nil, `HKLM\SOFTWARE\Contoso`) {
		t.Error("recursive delete")
	}
	if _, err := reg.GetValue(admin, key, "Name"); Code(err) != ErrorFileNotFound {
		t.Errorf("missing key: %v", err)
	}
	if err := reg.SetValue(admin, key, SZ("a", "b")); Code(err) != ErrorFileNotFound {
		t.Errorf("set in missing key: %v", err)
	}
	if err := reg.CreateKey(admin, `HKXX\Software`); Code(err) != ErrorInvalidName {
		t.Errorf("bad hive: %v", err)
	}
	if err := reg.DeleteKey(tok[win.KindSystem], `HKLM`); Code(err) != ErrorAccessDenied {
		t.Errorf("delete hive: %v", err)
	}
}

func TestRegistryAccess(t *testing.T) {
	m := newMachine(t, "win11-24h2")
	tok := tokensOf(t, m)
	reg := m.Registry()
	policy := `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`
	for kind, ok := range map[win.TokenKind]bool{win.KindSystem: true, win.KindAdminElevated: true, win.KindAdminFiltered: false, win.KindStandardUser: false} {
		err := reg.SetValue(tok[kind], policy, DWORD("DisableMSI", 1))
		if (err == nil) != ok {
			t.Errorf("%s writes HKLM: %v", kind, err)
		}
		if !ok && (Code(err) != ErrorAccessDenied || !errors.Is(err, ErrAccessDenied)) {
			t.Errorf("%s: %v", kind, err)
		}
		if _, err := reg.GetValue(tok[kind], `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "CurrentBuild"); err != nil {
			t.Errorf("%s reads HKLM: %v", kind, err)
		}
	}
	user := tok[win.KindStandardUser]
	// The user logs on: its hive is loaded (hives_test.go).
	if loaded, err := reg.LoadUserHive(tok[win.KindSystem], user.User); err != nil || !loaded {
		t.Fatalf("load the user's hive: %v %v", loaded, err)
	}
	// HKCU is the user's own hive: writable by the user.
	must(t, reg.CreateKey(user, `HKCU\Software\Policies\Microsoft\Windows\Installer`))
	must(t, reg.SetValue(user, `HKCU\Software\Policies\Microsoft\Windows\Installer`, DWORD("AlwaysInstallElevated", 1)))
	v, err := reg.GetValue(tok[win.KindSystem], `HKU\`+string(user.User)+`\Software\Policies\Microsoft\Windows\Installer`, "AlwaysInstallElevated")
	if err != nil || v.Num != 1 {
		t.Errorf("HKCU maps to HKU\\<SID>: %v %v", v, err)
	}
	admin := tok[win.KindAdminElevated]
	if err := reg.SetValue(user, `HKU\`+string(admin.User)+`\Environment`, SZ("TEMP", "x")); Code(err) != ErrorAccessDenied {
		t.Errorf("user writes another user's hive: %v", err)
	}
	if v, _ := reg.GetValue(user, `HKCU\Environment`, "TEMP"); v.Str != `%USERPROFILE%\AppData\Local\Temp` || v.Type != RegExpandSZ {
		t.Errorf("user TEMP %+v", v)
	}
}
