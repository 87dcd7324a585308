package faults_test

import (
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// The 2503 then 2502 chain of docs/evidence.md#E-temp-acl.
var chain2503 = []string{
	`Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287035`,
	"Note: 1: 2503", "Note: 1: 2502", "MainEngineThread is returning 1603",
}

// adminKeepsDACL checks that the WinRM admin can still read and write
// path's DACL, so that Revert works.
func adminKeepsDACL(path string) func(l *simLab) {
	return func(l *simLab) {
		l.t.Helper()
		m := l.srv.Host().Machine()
		tok, err := m.Token(win.KindAdminElevated, l.srv.User())
		if err != nil {
			l.t.Fatal(err)
		}
		got, err := m.FS().Access(tok, path)
		if want := win.ReadControl | win.WriteDAC; err != nil || got&want != want {
			l.t.Errorf("the admin lost READ_CONTROL or WRITE_DAC on %s: granted %#x, %v", path, uint32(got), err)
		}
	}
}

func TestTempACL(t *testing.T) {
	t.Parallel()
	for _, c := range []cell{
		{fault: "temp-acl", params: `{"variant":"system-read-only"}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1603, log: chain2503},
		{fault: "temp-acl", params: `{"variant":"users-write-removed"}`, context: ops.ContextStandardUser, pkg: "peruser", exit: 1603, log: chain2503},
		{fault: "temp-acl", params: `{"variant":"inheritance-broken"}`, context: ops.ContextStandardUser, pkg: "peruser", exit: 1603, log: chain2503},
	} {
		t.Run(c.params, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			c.injected = adminKeepsDACL(`C:\Windows\Temp`)
			l.lifecycle(c)
		})
	}
}
