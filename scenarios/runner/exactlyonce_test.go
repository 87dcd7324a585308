package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios/results"
)

// loseOneAnswer runs one cell of temp-acl-system-read-only under --revert
// journal (no snapshot revert could hide a change made twice) while the
// gate loses the answer of the first batch whose stdin has match: the
// host runs that batch, the runner never hears of it.
func loseOneAnswer(t *testing.T, match string, opts Options) (results.CellResult, *sim.Server) {
	t.Helper()
	pool, srv, g := gatedHost(t, "win11-24h2")
	if match == cleanupBatch {
		g.LoseAnswerWhen(func(stdin []byte) bool {
			return bytes.Contains(stdin, []byte(`"op":"msi.uninstall"`)) && bytes.Contains(stdin, []byte(`"op":"acl.set"`))
		})
	} else {
		g.LoseAnswerWhen(testlab.StdinHas(match))
	}
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	opts.Revert = RevertJournal
	sum, err := Run(context.Background(), pool, builtinCells(t, "temp-acl-system-read-only", "win11-24h2"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if g.Lost() != 1 {
		t.Fatalf("the gate lost %d answers, want 1: the test did not lose the %s batch's answer", g.Lost(), match)
	}
	return sum.Cells[0], srv
}

// cleanupBatch matches the cell's cleanup: the product removed and the
// ACL set back (preparing the host may remove products too).
const cleanupBatch = "cleanup"

// checkOnce checks that the cell passed on its first attempt, that its
// lost batch was resent and answered from the host's record, that no
// batch ran twice on the host, and that the host is back at its clean state.
func checkOnce(t *testing.T, c results.CellResult, srv *sim.Server) {
	t.Helper()
	for _, p := range onceProblems(t, c, srv) {
		t.Error(p)
	}
}

func onceProblems(t *testing.T, c results.CellResult, srv *sim.Server) []string {
	var out []string
	errorf := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	if c.Status != results.StatusPass || c.Attempts != 1 {
		errorf("status %s after %d attempts (%s), want pass after 1", c.Status, c.Attempts, c.Reason)
	}
	if c.Observed.ExitCode != c.Expected.ExitCode {
		errorf("observed exit %d, want %d", c.Observed.ExitCode, c.Expected.ExitCode)
	}
	if c.Resends < 1 || c.Replayed != 1 || len(c.TransportErrors) < 1 {
		errorf("resends %d, replayed %d, transport errors %q: want the lost batch resent and replayed once", c.Resends, c.Replayed, c.TransportErrors)
	}
	runs := srv.Host().BatchRuns()
	if len(runs) < 3 {
		errorf("the host ran %d batches with an ID, want every step's", len(runs))
	}
	for id, n := range runs {
		if n != 1 {
			errorf("batch %s ran %d times on the host", id, n)
		}
	}
	if !c.BackToBaseline {
		errorf("not back to baseline: before %q, after %q", c.StateBefore, c.StateAfter)
	}
	if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
		errorf("host changed after the run (batch records left?): %v", n)
	}
	return out
}

// A lost answer after the inject: the inject is not applied twice (a
// second one would probe the broken ACL as the baseline of a retry).
func TestLostAnswerAfterInject(t *testing.T) {
	out := t.TempDir()
	c, srv := loseOneAnswer(t, `"op":"acl.set"`, Options{Out: out})
	checkOnce(t, c, srv)
	// The journal has the intent (the fault's undo, naming its batch)
	// before the send, and the outcome after it.
	entries, err := journal.Read(filepath.Join(out, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	intent, outcome := -1, -1
	for i, e := range entries {
		if e.Kind == journal.KindFault && e.Batch != "" && len(e.Undo) > 0 {
			intent = i
		}
		if intent >= 0 && e.Kind == journal.KindBatch && e.Batch == entries[intent].Batch && e.Outcome == "answered" {
			outcome = i
		}
	}
	if intent < 0 || outcome < intent {
		t.Errorf("journal: fault intent at %d, its batch's outcome at %d: want both, in that order", intent, outcome)
	}
}

// A lost answer after the install: the status is the install's as it ran
// once, not a second install's.
func TestLostAnswerAfterInstall(t *testing.T) {
	c, srv := loseOneAnswer(t, `"op":"msi.install"`, Options{})
	checkOnce(t, c, srv)
}

// A lost answer after the revert (the cleanup batch): the revert is not
// applied twice, the baseline check is the first one's.
func TestLostAnswerAfterRevert(t *testing.T) {
	c, srv := loseOneAnswer(t, cleanupBatch, Options{})
	checkOnce(t, c, srv)
}

// The control: with resends off, a lost answer of the cleanup is an
// infrastructure error of the attempt; the host is reconciled from the
// journal (read back, reverted again, checked against the baseline and
// every fault's Detect) before the cell's second attempt, which passes.
// checkOnce's checks fail on it.
func TestLostAnswerWithoutResendIsReconciled(t *testing.T) {
	c, srv := loseOneAnswer(t, cleanupBatch, Options{Resend: lab.ResendPolicy{Sends: 1}})
	if c.Status != results.StatusPass || c.Attempts != 2 || c.Resends != 0 {
		t.Errorf("status %s after %d attempts, %d resends (%s): want pass after 2, no resend", c.Status, c.Attempts, c.Resends, c.Reason)
	}
	if len(c.Reconciled) != 1 || !strings.Contains(c.Reconciled[0], "reconciled") || len(c.TransportErrors) == 0 {
		t.Errorf("reconciled %q, transport errors %q: want one reconciliation and the error listed", c.Reconciled, c.TransportErrors)
	}
	if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
		t.Errorf("host changed after the run: %v", n)
	}
	if len(onceProblems(t, c, srv)) == 0 {
		t.Error("checkOnce accepts a cell that needed a second attempt")
	}
}

// A lost answer to the snapshot restore that prepares a simulated host
// (back to the clean state an earlier run saved): the restore carries the
// preparation's batch ID, so it is resent and answered from the host's
// record, not restored twice, and the run goes on as on a clean network.
func TestLostAnswerAfterPrepareRestore(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	cells := builtinCells(t, "temp-acl-system-read-only", "win11-24h2")
	opts := Options{Revert: RevertJournal}
	opts.Out = t.TempDir()
	if _, err := Run(context.Background(), pool, cells, opts); err != nil { // saves the clean state
		t.Fatal(err)
	}
	before := srv.Host().BatchRuns()
	g.LoseAnswerWhen(testlab.StdinHas(`"op":"sim.restore"`))
	restores := g.Watch(testlab.StdinHas(`"op":"sim.restore"`))
	opts.Out = t.TempDir()
	sum, err := Run(context.Background(), pool, cells, opts)
	if err != nil {
		t.Fatal(err)
	}
	if g.Lost() != 1 {
		t.Fatalf("the gate lost %d answers, want the restore's", g.Lost())
	}
	c := sum.Cells[0]
	if c.Status != results.StatusPass || c.Attempts != 1 {
		t.Errorf("status %s after %d attempts (%s), want pass after 1", c.Status, c.Attempts, c.Reason)
	}
	if sum.PrepResends < 1 {
		t.Errorf("preparation resends %d: want the restore resent", sum.PrepResends)
	}
	// Every send of the restore carried the one batch ID, which ran once.
	ids := map[string]int{}
	for _, in := range restores() {
		var req struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(in, &req)
		ids[req.ID]++
	}
	runs := srv.Host().BatchRuns()
	if len(ids) != 1 || ids[""] != 0 {
		t.Fatalf("the restore's sends by batch ID: %v, want one ID", ids)
	}
	for id, n := range ids {
		if n < 2 || runs[id] != 1 {
			t.Errorf("restore %s: sent %d times, ran %d: want sent again, run once", id, n, runs[id])
		}
	}
	for id, n := range runs {
		if before[id] == 0 && n != 1 {
			t.Errorf("batch %s ran %d times on the host", id, n)
		}
	}
	if n := changedLines(t, srv.Host().Machine()); len(n) != 0 {
		t.Errorf("host changed after the run (batch records left?): %v", n)
	}
}
