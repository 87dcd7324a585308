package model

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/win"
)

// TestUserHiveUnloaded checks that a user who is not logged on has no
// HKU\<SID>, that loading it needs the restore and backup privileges, and
// that WithUserHive writes through a loaded hive and unloads it after.
func TestUserHiveUnloaded(t *testing.T) {
	m := newMachine(t, "win11-24h2")
	tok := tokensOf(t, m)
	reg := m.Registry()
	sid := tok[win.KindStandardUser].User
	key := `HKU\` + string(sid) + `\SOFTWARE\Policies\Microsoft\Windows\Installer`
	if loaded, exists := reg.UserHive(sid); loaded || !exists {
		t.Fatalf("a user who never logged on: hive loaded %v, exists %v; want unloaded, existing", loaded, exists)
	}
	if reg.KeyExists(nil, `HKU\`+string(sid)) {
		t.Fatalf("HKU\\%s exists while its hive is not loaded", sid)
	}
	if err := reg.CreateKey(tok[win.KindAdminElevated], key); Code(err) != ErrorAccessDenied {
		t.Errorf("writing into a hive that is not loaded: %v, want access denied", err)
	}
	if _, err := reg.LoadUserHive(tok[win.KindStandardUser], sid); Code(err) != ErrorAccessDenied {
		t.Errorf("a standard user loads a hive: %v, want access denied", err)
	}
	before := m.State()
	admin := tok[win.KindAdminElevated]
	err := reg.WithUserHive(admin, key, func() error {
		if err := reg.CreateKey(admin, key); err != nil {
			return err
		}
		return reg.SetValue(admin, key, DWORD("AlwaysInstallElevated", 1))
	})
	must(t, err)
	if loaded, _ := reg.UserHive(sid); loaded {
		t.Errorf("WithUserHive left the hive loaded")
	}
	onlyBefore, onlyAfter := DiffState(before, m.State())
	if len(onlyBefore) != 0 || !slices.ContainsFunc(onlyAfter, func(l string) bool {
		return strings.HasPrefix(l, "reg ntuser.dat of "+strings.ToLower(string(sid))) && strings.Contains(l, "alwaysinstallelevated")
	}) {
		t.Errorf("the value did not reach the unloaded hive's file:\n-%v\n+%v", onlyBefore, onlyAfter)
	}
	// Loaded, the value shows under HKU\<SID>, and the state says so.
	loaded, err := reg.LoadUserHive(admin, sid)
	must(t, err)
	if !loaded {
		t.Fatal("LoadUserHive reports the hive loaded already")
	}
	if v, err := reg.GetValue(nil, key, "AlwaysInstallElevated"); err != nil || v.Num != 1 {
		t.Errorf("after loading: %+v %v", v, err)
	}
	if again, err := reg.LoadUserHive(admin, sid); err != nil || again {
		t.Errorf("loading a loaded hive: %v %v", again, err)
	}
	if m.State().Digest() == before.Digest() {
		t.Errorf("a loaded hive and an unloaded one give the same state")
	}
	must(t, reg.UnloadUserHive(admin, sid))
	// A hive that does not exist (no profile) is left alone.
	if _, err := reg.LoadUserHive(admin, testDomain.WithRID(4242)); !errors.Is(err, ErrNotFound) {
		t.Errorf("loading a missing hive: %v", err)
	}
	if UserHiveOf(`HKLM\SOFTWARE`) != "" || UserHiveOf(`HKU\.DEFAULT\Environment`) != "" ||
		UserHiveOf(`HKU\S-1-5-18\Environment`) != "" || UserHiveOf(`HKEY_USERS\`+string(sid)+`\Environment`) != sid {
		t.Errorf("UserHiveOf picks the wrong hives")
	}
}

// TestLogonInteractive checks LogonUser's checks: the password, the
// account, and "Allow log on locally".
func TestLogonInteractive(t *testing.T) {
	m := newMachine(t, "server2022")
	tok := tokensOf(t, m)
	users := m.Users()
	if _, err := users.LogonInteractive("labuser", "Lab-Passw0rd!"); err != nil {
		t.Fatalf("a member of Users logs on locally by default: %v", err)
	}
	var le *LogonError
	if _, err := users.LogonInteractive("labuser", "wrong"); !errors.As(err, &le) || le.Code != ErrorLogonFailure || Code(err) != ErrorLogonFailure {
		t.Errorf("bad password: %v", err)
	}
	if _, err := users.LogonInteractive("nobody", "pw"); !errors.Is(err, ErrLogonFailure) {
		t.Errorf("unknown user: %v", err)
	}
	// A hardened policy without Users: the standard user is refused and
	// the right is named; the administrator still logs on.
	rights := m.Rights()
	if err := rights.Set(tok[win.KindStandardUser], RightInteractiveLogon, nil); Code(err) != ErrorAccessDenied {
		t.Errorf("a standard user changes the user rights: %v", err)
	}
	must(t, rights.Set(tok[win.KindAdminElevated], RightInteractiveLogon, []win.SID{win.SIDAdministrators}))
	_, err := users.LogonInteractive("labuser", "Lab-Passw0rd!")
	if !errors.As(err, &le) || le.Code != ErrorLogonTypeNotGranted || le.Right != RightInteractiveLogon || !errors.Is(err, ErrLogonNotGranted) {
		t.Errorf("without the right: %v", err)
	}
	if _, err := users.LogonInteractive("msilab", "Msilab-Passw0rd!"); err != nil {
		t.Errorf("the administrator: %v", err)
	}
	must(t, rights.Set(tok[win.KindAdminElevated], RightInteractiveLogon, []win.SID{win.SIDUsers}))
	must(t, rights.Set(tok[win.KindAdminElevated], RightDenyInteractiveLogon, []win.SID{tok[win.KindStandardUser].User}))
	if _, err := users.LogonInteractive("labuser", "Lab-Passw0rd!"); !errors.As(err, &le) || le.Right != RightDenyInteractiveLogon {
		t.Errorf("denied the right: %v", err)
	}
}
