package runner

import (
	"context"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// gatedHost is one simulated host reached through a testlab.Gate.
func gatedHost(t *testing.T, os string) (*lab.Pool, *sim.Server, *testlab.Gate) {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	g := testlab.NewGate(srv.URL())
	front := httptest.NewServer(g)
	t.Cleanup(front.Close)
	u, _ := url.Parse(front.URL)
	port, _ := strconv.Atoi(u.Port())
	spec := lab.HostSpec{Name: "gated", OS: os, Endpoint: front.URL, Auth: "basic", AllowBasicOverHTTP: true, User: srv.User(),
		StandardUser: "msilab-user", Snapshot: lab.SnapshotSpec{Driver: "sim", Name: "msilab-clean"}}
	h := lab.NewHost(spec, lab.Endpoint{Host: u.Hostname(), Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})
	pool := lab.NewPool([]*lab.Host{h})
	t.Cleanup(pool.Close)
	return pool, srv, g
}

// leasedHost is gatedHost's pool with its host leased and a session on it.
func leasedHost(t *testing.T, os string) (*lab.Pool, *lab.Host, lab.Session) {
	t.Helper()
	pool, _, _ := gatedHost(t, os)
	h, err := pool.Lease(context.Background(), os)
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pool, h, s
}

func builtinCells(t *testing.T, name, os string) []scenarios.Cell {
	t.Helper()
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cells := scenarios.Expand(scs, []scenarios.Host{{Name: "gated", OS: os}}, scenarios.Filter{Scenarios: []string{name}})
	if len(cells) == 0 {
		t.Fatalf("no cell for %s on %s", name, os)
	}
	return cells
}

// changedLines counts state lines that differ from the clean snapshot,
// apart from the event log and msiserver's run state.
func changedLines(t testing.TB, m *model.Machine) []string {
	t.Helper()
	clean, err := m.SnapshotState("msilab-clean")
	if err != nil {
		t.Fatal(err)
	}
	a, b := model.DiffState(clean, m.State())
	var out []string
	for _, l := range append(a, b...) {
		if !strings.HasPrefix(l, "event ") && !strings.HasPrefix(l, "svc msiserver ") {
			out = append(out, l)
		}
	}
	return out
}

// A connection dropped mid-cell, with batches never resent, is an
// infrastructure error: the cell is retried, and its result is the
// retry's, not a product failure.
func TestDroppedConnectionIsRetried(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	g.DropWhen(testlab.StdinHas(`"op":"msi.install"`))
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: t.TempDir(), Resend: lab.ResendPolicy{Sends: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Cells[0]
	if c.Status != results.StatusPass || c.Attempts != 2 {
		t.Errorf("status %s after %d attempts (%s), want pass after 2", c.Status, c.Attempts, c.Reason)
	}
	if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
		t.Errorf("host changed after the run: %v", n)
	}
}

// A host that stops answering for good gives infra-error after the retries.
func TestUnreachableHostIsInfraError(t *testing.T) {
	pool, _, g := gatedHost(t, "win11-24h2")
	g.DropWhen(testlab.StdinHas(`"op":"msi.install"`))
	g.DropNext(1000)
	sum, err := Run(context.Background(), pool, builtinCells(t, "clean-host", "win11-24h2"), Options{Out: t.TempDir(), Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c := sum.Cells[0]; c.Status != results.StatusInfra || sum.OK() {
		t.Errorf("status %s (%s), want infra-error", c.Status, c.Reason)
	}
}

// Ctrl-C during the install: the cell still reverts its faults, the host
// is back to its clean state, and the journal marks the cell done.
func TestInterruptStillCleansUp(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	held := g.HoldWhen(testlab.StdinHas(`"op":"msi.install"`))
	defer g.Release() // on a failure, let the run finish rather than hang the cleanup
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan *Summary, 1)
	go func() {
		sum, _ := Run(ctx, pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), Options{Out: out})
		done <- sum
	}()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the install never started")
	}
	if len(changedLines(t, srv.Host().Machine())) == 0 {
		t.Fatal("the fault is not in place while the install is held")
	}
	// Ctrl-C, then the host answers again. Nothing to wait for in between:
	// the context is cancelled when cancel returns, and the session checks
	// it once the command is over, whichever of the held install and the
	// terminate signal (queued behind it on the session's one connection)
	// the host answers first.
	cancel()
	g.Release()
	var sum *Summary
	select {
	case sum = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not stop after Ctrl-C")
	}
	if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
		t.Errorf("host not clean after an interrupted run: %v", n)
	}
	entries, err := journal.Read(filepath.Join(out, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if p := journal.Pending(entries); len(p) != 0 {
		t.Errorf("journal still has pending cells: %v", p)
	}
	if len(sum.Cells) != 1 || sum.Cells[0].Status != results.StatusInfra {
		t.Errorf("interrupted cell: %+v", sum.Cells)
	}
}

// Each lifecycle step is one batch: at most 6 WinRM commands per cell.
func TestCommandsPerCell(t *testing.T) {
	pool, _, _ := gatedHost(t, "win10-22h2")
	scs, _ := scenarios.Builtin()
	cells := scenarios.Expand(scs, []scenarios.Host{{Name: "gated", OS: "win10-22h2"}}, scenarios.Filter{})
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sum.Cells {
		if c.Commands < 3 || c.Commands > 6 || len(c.Record.Batches) != c.Commands {
			t.Errorf("%s: %d commands, %d batches recorded", c.ID, c.Commands, len(c.Record.Batches))
		}
		for _, b := range c.Record.Batches {
			for _, op := range b {
				if strings.HasPrefix(op.Name, "sim.") {
					t.Errorf("%s: a cell batch has %s: sim ops are the snapshot driver's", c.ID, op.Name)
				}
			}
		}
		if c.Status != results.StatusPass {
			t.Errorf("%s: %s %s", c.ID, c.Status, c.Reason)
		}
	}
	_ = ops.OpMsiInstall
}
