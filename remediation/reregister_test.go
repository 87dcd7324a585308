package remediation_test

import (
	"errors"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/win"
)

// The re-register fix runs stop, unregister, register in one batch. When
// the stop fails (here a running service depends on msiserver: 1051),
// unregistering the still-running service would mark it for deletion,
// registering would fail with 1072, and msiserver would be gone once it
// stops (docs/evidence.md#E-service-marked-for-delete). With
// requires_previous the batch stops at the failed stop and the host keeps
// its service.
func TestReregisterStopsAfterAFailedStop(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	m := l.srv.Host().Machine()
	sys := win.SystemToken()
	dep := win.ServiceConfig{Start: win.StartDemand, Type: 0x10, ImagePath: `C:\Program Files\Dep\dep.exe`,
		ObjectName: "LocalSystem", DisplayName: "Depends on msiserver", DependOnService: []string{ops.InstallerService}}
	if err := m.Services().Create(sys, "msidep", dep); err != nil {
		t.Fatal(err)
	}
	// msidep's start starts msiserver first; then msiserver is disabled,
	// so that the fix applies.
	if err := m.Services().Start(sys, "msidep"); err != nil {
		t.Fatal(err)
	}
	if err := m.Services().SetStartType(sys, ops.InstallerService, win.StartDisabled); err != nil {
		t.Fatal(err)
	}
	l.mustRun(ops.MustNew(ops.OpSimSnapshot, ops.SnapshotArgs{Name: "dependent"}))

	st := l.probe(ops.ContextAdminElevated)
	fix := &remediation.ReregisterService{}
	if !fix.Applies(st, remediation.Finding{}) {
		t.Fatal("the fix does not apply to a disabled msiserver")
	}
	batch, err := fix.Ops(st, remediation.Finding{})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 4 || batch[0].Name != ops.OpServiceStop || batch[0].RequiresPrevious || !batch[1].RequiresPrevious || !batch[2].RequiresPrevious ||
		batch[3].Name != ops.OpServiceConfigure || !batch[3].RequiresPrevious {
		t.Fatalf("ops: %+v", batch)
	}
	// stopAll stops msidep then msiserver, as a reboot or an admin would,
	// and reports whether msiserver is still registered.
	stopAll := func() bool {
		t.Helper()
		for _, name := range []string{"msidep", ops.InstallerService} {
			if err := m.Services().Stop(sys, name); err != nil && model.Code(err) != model.ErrorServiceNotActive && !errors.Is(err, model.ErrServiceMissing) {
				t.Fatalf("stop %s: %v", name, err)
			}
		}
		_, err := m.Services().Query(ops.InstallerService)
		return err == nil
	}

	// Without the flag (the batch as it was): the host loses msiserver.
	var old []ops.Op
	for _, op := range batch {
		op.RequiresPrevious = false
		old = append(old, op)
	}
	res := l.run(old...)
	if err := res[0].Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || res[0].Error.Win32 != 1051 {
		t.Fatalf("stop: %v", err)
	}
	if !res[1].OK {
		t.Fatalf("unregister: %+v", res[1].Error)
	}
	if res[2].OK || res[2].Error.Win32 != 1072 {
		t.Fatalf("register of a service marked for deletion: %+v", res[2])
	}
	if stopAll() {
		t.Fatal("without requires_previous msiserver should be gone once it stops")
	}

	// With it: the stop fails, the rest is skipped, msiserver stays.
	l.mustRun(ops.MustNew(ops.OpSimRestore, ops.SnapshotArgs{Name: "dependent"}))
	res = l.run(batch...)
	if res[0].OK || res[0].Error.Win32 != 1051 {
		t.Fatalf("stop: %+v", res[0])
	}
	for _, r := range res[1:] {
		if err := r.Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeSkipped}) {
			t.Fatalf("%s: %v, want Skipped", r.Op, err)
		}
	}
	if s, err := m.Services().Query(ops.InstallerService); err != nil || s.MarkedForDelete {
		t.Fatalf("msiserver after the skipped ops: %+v %v", s, err)
	}
	if !stopAll() {
		t.Fatal("msiserver is gone")
	}
}
