package faults_test

import (
	"testing"

	"github.com/msilab/msilab/lab/ops"
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
	l.lifecycle(cell{fault: "always-install-elevated", context: ops.ContextStandardUser, pkg: "permachine", exit: 0,
		log: []string{"Machine policy value 'AlwaysInstallElevated' is 1", "User policy value 'AlwaysInstallElevated' is 1"}})
}

func TestMutexHeld(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "mutex-held", params: `{"seconds":600}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1618,
		log: []string{"Failed to grab execution mutex. System error 258.", "MainEngineThread is returning 1618"}})
}
