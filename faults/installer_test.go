package faults_test

import (
	"testing"

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
