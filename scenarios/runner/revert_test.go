package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
)

// changeOwnerDuringInstall holds the cell's install and, meanwhile, makes
// BUILTIN\Users the owner of C:\Windows\Temp through a session of its own
// (as another administrator might): temp-acl reverts the DACL it broke,
// never the owner, so the cell's baseline check finds the host changed.
func changeOwnerDuringInstall(t *testing.T, srv *sim.Server, g *testlab.Gate) (wait func()) {
	t.Helper()
	held := g.HoldWhen(testlab.StdinHas(`"op":"msi.install"`))
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-held
		defer g.Release()
		host, port := srv.HostPort()
		s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})
		if err != nil {
			t.Error(err)
			return
		}
		defer s.Close()
		out, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: `C:\Windows\Temp`, SDDL: "O:BU", Sections: []string{"owner"}})})
		if err == nil {
			err = out[0].Decode(nil)
		}
		if err != nil {
			t.Error(err)
		}
	}()
	return func() { <-done }
}

func tempOwner(t *testing.T, srv *sim.Server) string {
	t.Helper()
	sd, err := srv.Host().Machine().FS().GetSecurity(win.SystemToken(), `C:\Windows\Temp`)
	if err != nil {
		t.Fatal(err)
	}
	return string(sd.Owner)
}

// --revert auto: the journal's undo left the host changed, so the host is
// reverted by its snapshot, and the result says why and how long it took.
func TestRevertAutoUsesTheSnapshotWhenTheHostChanged(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	clean := tempOwner(t, srv)
	wait := changeOwnerDuringInstall(t, srv, g)
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: t.TempDir(), Revert: RevertAuto})
	wait()
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Cells[0]
	if c.BackToBaseline || c.Status != results.StatusFail {
		t.Errorf("status %s, back to baseline %v: the owner change should fail the cell's baseline check", c.Status, c.BackToBaseline)
	}
	rv := c.Revert
	if rv == nil || rv.Policy != RevertAuto || rv.How != results.RevertSnapshot || !strings.Contains(rv.Why, "baseline") ||
		rv.Took <= 0 || rv.Snapshot != "sim:msilab-clean" || rv.Error != "" {
		t.Fatalf("revert note %+v, want a snapshot revert because of the baseline", rv)
	}
	if got := tempOwner(t, srv); got != clean {
		t.Errorf("Temp's owner is %s after the run, want %s (the snapshot's)", got, clean)
	}
}

// --revert journal: the same cell leaves the host changed; nothing else
// reverts it (the check above can fail).
func TestRevertJournalLeavesTheChange(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	clean := tempOwner(t, srv)
	wait := changeOwnerDuringInstall(t, srv, g)
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: t.TempDir(), Revert: RevertJournal})
	wait()
	if err != nil {
		t.Fatal(err)
	}
	if rv := sum.Cells[0].Revert; rv == nil || rv.How != results.RevertJournal {
		t.Errorf("revert note %+v, want journal", rv)
	}
	if got := tempOwner(t, srv); got == clean {
		t.Error("Temp's owner is back although no snapshot revert ran")
	}
}

// A clean cell under auto is undone by the journal alone.
func TestRevertAutoKeepsTheJournalForACleanCell(t *testing.T) {
	pool, _, _ := gatedHost(t, "win11-24h2")
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Cells[0]
	if c.Status != results.StatusPass || c.Revert == nil || c.Revert.Policy != RevertAuto || c.Revert.How != results.RevertJournal {
		t.Errorf("status %s, revert %+v: want pass, journal under auto", c.Status, c.Revert)
	}
}

// --revert snapshot reverts before every cell.
func TestRevertSnapshotBeforeEveryCell(t *testing.T) {
	pool, _, _ := gatedHost(t, "win11-24h2")
	cells := builtinCells(t, "temp-acl-*", "win11-24h2")
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Revert: RevertSnapshot})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) < 2 {
		t.Fatalf("%d cells", len(sum.Cells))
	}
	for _, c := range sum.Cells {
		if c.Status != results.StatusPass || c.Revert == nil || c.Revert.How != results.RevertSnapshot || !strings.Contains(c.Revert.Why, "before every cell") {
			t.Errorf("%s: %s, revert %+v", c.ID, c.Status, c.Revert)
		}
	}
}

// With driver none, auto is the journal and says so once; snapshot is
// refused, naming the host.
func TestRevertWithoutDriver(t *testing.T) {
	pool, _, _ := gatedHost(t, "win11-24h2")
	h := pool.Hosts()[0]
	h.Spec.Snapshot.Driver = "none"
	var progress strings.Builder
	cells := builtinCells(t, "temp-acl-*", "win11-24h2")
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(progress.String(), "no snapshot driver"); n != 1 {
		t.Errorf("said %d times that auto falls back to the journal:\n%s", n, progress.String())
	}
	for _, c := range sum.Cells {
		if c.Revert == nil || c.Revert.How != results.RevertJournal {
			t.Errorf("%s: revert %+v", c.ID, c.Revert)
		}
	}
	_, err = Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Revert: RevertSnapshot})
	if err == nil || !strings.Contains(err.Error(), "gated") {
		t.Errorf("--revert snapshot without a driver: %v, want a refusal naming the host", err)
	}
}

// --revert auto after an infrastructure error: the host is reverted by
// its snapshot before the retry, and the result keeps saying so.
func TestRevertAutoAfterInfraError(t *testing.T) {
	pool, _, g := gatedHost(t, "win11-24h2")
	g.DropWhen(testlab.StdinHas(`"op":"msi.install"`))
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: t.TempDir(), Resend: lab.ResendPolicy{Sends: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Cells[0]
	if c.Status != results.StatusPass || c.Attempts != 2 {
		t.Errorf("status %s after %d attempts (%s), want pass after 2", c.Status, c.Attempts, c.Reason)
	}
	if rv := c.Revert; rv == nil || rv.How != results.RevertSnapshot || !strings.Contains(rv.Why, "infrastructure error") || rv.Took <= 0 {
		t.Errorf("revert note %+v, want a snapshot revert after the infrastructure error", rv)
	}
}
