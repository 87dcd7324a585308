package faults_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

func TestInstallerACL(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "installer-acl", context: ops.ContextAdminElevated, pkg: "permachine", exit: 1603, log: chain2503,
		injected: adminKeepsDACL(`C:\Windows\Installer`)})
}

func TestInstallerMissing(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "installer-missing", context: ops.ContextAdminElevated, pkg: "permachine", exit: 1603,
		log: []string{"The system cannot open the device or file specified.", "MainEngineThread is returning 110",
			"DEBUG: Error 2755:  Server returned unexpected error 110 attempting to install package", "MainEngineThread is returning 1603"},
		moved: []string{`C:\Windows\Installer`}})
}

// TestInstallerMissingAfterAnInstall: msiserver, idling after an install,
// holds a handle inside C:\Windows\Installer, so a bare rename fails with
// Conflict naming it; the fault stops the service first
// (docs/evidence.md#E-installer-handles).
func TestInstallerMissingAfterAnInstall(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	installRemove := func(l *simLab) {
		l.t.Helper()
		if run := l.install("permachine", ops.ContextAdminElevated); run.ExitCode != 0 {
			l.t.Fatalf("install: %d", run.ExitCode)
		}
		if run := l.uninstall("permachine", ops.ContextAdminElevated); run.ExitCode != 0 {
			l.t.Fatalf("uninstall: %d", run.ExitCode)
		}
	}
	installRemove(l)
	move := ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: `C:\Windows\Installer`, To: `C:\Windows\Installer.elsewhere`})
	err := l.run(move)[0].Decode(nil)
	if !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || !strings.Contains(err.Error(), "msiexec.exe") ||
		!strings.Contains(err.Error(), "service msiserver") {
		t.Fatalf("renaming the folder msiserver holds open: %v, want Conflict naming msiexec.exe (service msiserver)", err)
	}
	l.lifecycle(cell{fault: "installer-missing", context: ops.ContextAdminElevated, pkg: "permachine", exit: 1603,
		setup: installRemove, moved: []string{`C:\Windows\Installer`}})
}

// TestInstallerMissingHeldByAnotherProcess: a handle that stopping
// msiserver does not close (an indexer's) makes the inject fail with
// Conflict naming the holder, and changes nothing.
func TestInstallerMissingHeldByAnotherProcess(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	const indexer = "SearchIndexer.exe (PID 4242)"
	m := l.srv.Host().Machine()
	if err := m.Handles().Open(indexer, `C:\Windows\Installer`); err != nil {
		t.Fatal(err)
	}
	f, err := faults.Decode("installer-missing", nil)
	if err != nil {
		t.Fatal(err)
	}
	tgt := l.target(ops.ContextAdminElevated)
	undo := l.probe(f, tgt)
	inject, err := f.Inject(tgt, undo)
	if err != nil {
		t.Fatal(err)
	}
	res := l.run(inject...)
	err = res[len(res)-1].Decode(nil)
	if !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || !strings.Contains(err.Error(), indexer) {
		t.Fatalf("inject with an indexer's handle inside: %v, want Conflict naming %s", err, indexer)
	}
	if d := l.detect(f, tgt); d.Present {
		t.Errorf("the folder is gone although the move failed: %s", d.Evidence)
	}
	m.Handles().Close(indexer)
	l.assertBaseline()
}
