package faults_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

func TestDisableMSI(t *testing.T) {
	t.Parallel()
	for _, c := range []cell{
		{fault: "disable-msi", params: `{"value":2}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1625,
			log: []string{"Machine policy value 'DisableMsi' is 2", "MainEngineThread is returning 1625"}},
		{fault: "disable-msi", params: `{"value":1}`, context: ops.ContextStandardUser, pkg: "peruser", exit: 1625,
			log: []string{"Machine policy value 'DisableMsi' is 1", "Non-assigned apps are disabled for non-admin users."}},
	} {
		t.Run(c.params, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			l.lifecycle(c)
		})
	}
}

// Without the policy key (as on a host whose Policies\Microsoft\Windows has
// no Installer key), revert deletes the key that the fault created.
func TestDisableMSIWithoutKey(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.mustRun(ops.MustNew(ops.OpRegistryDeleteKey, ops.RegistryKeyArgs{Path: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`}))
	l.baseline = l.srv.Host().Machine().State()
	l.lifecycle(cell{fault: "disable-msi", params: `{"value":2}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1625})
}

// A value already there is put back as it was.
func TestDisableMSIRestoresValue(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.mustRun(ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`,
		Name: "DisableMSI", Type: "REG_DWORD", Number: 0}))
	l.baseline = l.srv.Host().Machine().State()
	l.lifecycle(cell{fault: "disable-msi", params: `{"value":2}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1625})
}

func TestAlwaysInstallElevated(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	// Without the policy, a standard user's silent per-machine install fails (1925).
	if run := l.install("permachine", ops.ContextStandardUser); run.ExitCode != 1603 {
		t.Fatalf("without the policy: exit %d, want 1603\n%s", run.ExitCode, run.Log)
	}
	l.baseline = l.srv.Host().Machine().State()
	// The user is not logged on: its hive is not loaded, and a write into
	// HKU\<SID> without loading it fails, as on Windows.
	m := l.srv.Host().Machine()
	u, _ := m.Users().Lookup(ops.DefaultStandardUser)
	hiveLoaded := func() bool { loaded, _ := m.Registry().UserHive(u.SID); return loaded }
	admin, err := m.Token(win.KindAdminElevated, l.srv.User())
	if err != nil {
		t.Fatal(err)
	}
	if hiveLoaded() || m.Registry().CreateKey(admin, `HKU\`+string(u.SID)+`\SOFTWARE\Policies\Microsoft\Windows\Installer`) == nil {
		t.Fatalf("the lab user's hive is loaded before any logon")
	}
	l.lifecycle(cell{fault: "always-install-elevated", context: ops.ContextStandardUser, pkg: "permachine", exit: 0,
		log: []string{"Machine policy value 'AlwaysInstallElevated' is 1", "User policy value 'AlwaysInstallElevated' is 1"},
		injected: func(l *simLab) {
			// Written through the hive loaded for the op, then unloaded.
			if hiveLoaded() {
				t.Errorf("the fault left the user's hive loaded")
			}
			want := "reg ntuser.dat of " + strings.ToLower(string(u.SID)) + `\software\policies\microsoft\windows\installer value "alwaysinstallelevated"`
			if !slices.ContainsFunc(m.State(), func(line string) bool { return strings.HasPrefix(line, want) }) {
				t.Errorf("the user's hive file lacks the policy value")
			}
		}})
}

func TestMutexHeld(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "mutex-held", params: `{"seconds":600}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1618,
		log: []string{"Failed to grab execution mutex. System error 258.", "MainEngineThread is returning 1618"}})
}
