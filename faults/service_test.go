package faults_test

import (
	"testing"

	"github.com/msilab/msilab/lab/ops"
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
