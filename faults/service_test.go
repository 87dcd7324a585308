package faults_test

import (
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
)

// startMsiserver has msiserver running before the probe, as after an
// install (it stops by itself once idle on Windows).
func startMsiserver(l *simLab) {
	l.t.Helper()
	l.mustRun(ops.MustNew(ops.OpServiceStart, ops.ServiceArgs{Name: "msiserver"}))
}

// noLog1601 checks a run that could not reach the service.
func noLog1601(t *testing.T) func(ops.MsiRun) {
	return func(run ops.MsiRun) {
		if run.Log != "" || len(run.Events) != 0 {
			t.Errorf("a 1601 run wrote a log or events: %v\n%s", eventIDs(run), run.Log)
		}
	}
}

func TestServiceDisabled(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(*simLab){"stopped": nil, "running": startMsiserver} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			l.lifecycle(cell{fault: "service-disabled", context: ops.ContextAdminElevated, pkg: "permachine", exit: 1601,
				setup: setup, installed: noLog1601(t)})
		})
	}
}

// A negative control: a stopped demand-start msiserver is started by the
// client's call, and the install succeeds.
func TestServiceStopped(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "service-stopped", context: ops.ContextAdminElevated, pkg: "permachine", exit: 0, setup: startMsiserver})
}

func TestServiceUnregistered(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(*simLab){"stopped": nil, "running": startMsiserver} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			l.lifecycle(cell{fault: "service-unregistered", context: ops.ContextStandardUser, pkg: "peruser", exit: 1601,
				setup: setup, installed: noLog1601(t)})
		})
	}
}

// TestServiceUnregisteredRevertRestoresConfig: msiexec /regserver writes
// its own configuration (docs/evidence.md#E-regserver-config), so a revert
// that only re-registers leaves msiserver without its description, which
// service.get compared by meaning shows; the fault's revert writes the
// recorded configuration back, equal by meaning and in the registry.
func TestServiceUnregisteredRevertRestoresConfig(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	f, err := faults.Decode("service-unregistered", nil)
	if err != nil {
		t.Fatal(err)
	}
	tgt := l.target(ops.ContextAdminElevated)
	undo := l.probe(f, tgt)
	get := func() string {
		t.Helper()
		return remediation.StateValue(ops.OpServiceGet, l.mustRun(ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: ops.InstallerService}))[0])
	}
	base := get()
	inject, err := f.Inject(tgt, undo)
	if err != nil {
		t.Fatal(err)
	}
	l.mustRun(inject...)
	l.mustRun(ops.MustNew(ops.OpInstallerRegister, nil))
	if got := get(); got == base {
		t.Fatalf("re-registering alone gave back the recorded configuration %s: the simulated /regserver writes the OS's", got)
	}
	l.revert(f, tgt, undo)
	if got := get(); got != base {
		t.Errorf("after the revert msiserver is\n%s\nwant\n%s", got, base)
	}
	l.assertBaseline()
}

// TestServiceMeaning: an image path with %SystemRoot% expanded, another
// case, or its executable quoted, and LocalSystem spelled another way, is
// the same configuration; another description or program is not.
func TestServiceMeaning(t *testing.T) {
	line := func(s ops.Service) string {
		v, _ := json.Marshal(s)
		return remediation.StateValue(ops.OpServiceGet, ops.Result{Op: ops.OpServiceGet, OK: true, Value: v})
	}
	base := ops.Service{Name: "msiserver", Exists: true, Start: 3, StartType: "Manual", DisplayName: "Windows Installer",
		ImagePath: `%systemroot%\system32\msiexec.exe /V`, ObjectName: "LocalSystem", Dependencies: []string{"RpcSs"},
		Description: `@%SystemRoot%\system32\msimsg.dll,-32`, State: "Running", PID: 8}
	same := base
	same.ImagePath, same.ObjectName, same.Dependencies = `"C:\WINDOWS\System32\msiexec.exe" /V`, `NT AUTHORITY\SYSTEM`, []string{"rpcss"}
	same.Description, same.State, same.PID = `@C:\Windows\system32\msimsg.dll,-32`, "Stopped", 0
	if line(same) != line(base) {
		t.Errorf("the same configuration reads differently:\n%s\n%s", line(same), line(base))
	}
	for _, edit := range []func(*ops.Service){
		func(s *ops.Service) { s.Description = "" },
		func(s *ops.Service) { s.ImagePath = `C:\Windows\system32\msiexec2.exe /V` },
		func(s *ops.Service) { s.ObjectName = `NT AUTHORITY\LocalService` },
		func(s *ops.Service) { s.Start, s.StartType = 4, "Disabled" },
		func(s *ops.Service) { s.FailureActions = failureActions(60000) },
	} {
		other := base
		edit(&other)
		if line(other) == line(base) {
			t.Errorf("a different configuration reads the same: %+v", other)
		}
	}
	if a, b := base, base; true {
		a.FailureActions, b.FailureActions = nil, failureActions()
		if line(a) != line(b) {
			t.Errorf("no failure actions and an empty list read differently")
		}
	}
}

// failureActions is a FailureActions value: reset period 86400 s, one
// restart action per delay.
func failureActions(delays ...uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 86400)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(delays)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, d := range delays {
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, d)
	}
	return b
}
