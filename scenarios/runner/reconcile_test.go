package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/report"
	"github.com/msilab/msilab/scenarios/results"
)

// A host that cannot be shown back at its baseline (another administrator
// changed C:\Windows\Temp's owner mid-cell, which no journal entry undoes)
// under --revert journal is quarantined: the cell's result says why, the
// summary names the host, and no later cell starts on it (they are
// infrastructure errors naming it, with no command sent).
func TestUnreconciledHostIsQuarantined(t *testing.T) {
	pool, srv, g := gatedHost(t, "win11-24h2")
	clean := tempOwner(t, srv)
	wait := changeOwnerDuringInstall(t, srv, g)
	cells := builtinCells(t, "temp-acl-*", "win11-24h2")
	if len(cells) < 2 {
		t.Fatalf("%d cells", len(cells))
	}
	out := t.TempDir()
	sum, err := Run(context.Background(), pool, cells, Options{Out: out, Revert: RevertJournal})
	wait()
	if err != nil {
		t.Fatal(err)
	}
	why := sum.Quarantined["gated"]
	if !strings.Contains(why, "not reconciled") || !strings.Contains(why, "not back to its state before") {
		t.Fatalf("quarantined %v: want gated, for its state off the baseline", sum.Quarantined)
	}
	first := sum.Cells[0]
	if first.Status != results.StatusFail || len(first.Reconciled) != 1 || !strings.Contains(first.Reconciled[0], "quarantined") {
		t.Errorf("first cell: %s (%s), reconciled %q: want fail and the quarantine said", first.Status, first.Reason, first.Reconciled)
	}
	for _, c := range sum.Cells[1:] {
		if c.Status != results.StatusInfra || !strings.Contains(c.Reason, "gated quarantined") || c.Commands != 0 {
			t.Errorf("%s: %s (%s), %d commands: want an infrastructure error naming the quarantine, nothing sent", c.ID, c.Status, c.Reason, c.Commands)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(md), "1 host(s) quarantined") || !strings.Contains(string(md), "`gated`: host gated quarantined") {
		t.Errorf("summary.md does not name the quarantined host (%v):\n%.600s", err, md)
	}
	// report.html and junit.xml name it too; the refused cells are
	// JUnit errors of type quarantined.
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(page), `<section id="quarantined"`) || !strings.Contains(string(page), `<li data-host="gated">`) {
		t.Errorf("report.html does not name the quarantined host (%v)", err)
	}
	junit, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil || !strings.Contains(string(junit), `<property name="quarantined_hosts" value="gated">`) ||
		strings.Count(string(junit), `type="quarantined"`) != len(sum.Cells)-1 {
		t.Errorf("junit.xml does not name the quarantined host, or not each refused cell's error (%v):\n%.2000s", err, junit)
	}
	// run.json keeps them, so a merged report names them too.
	merged := filepath.Join(t.TempDir(), "merged")
	mr, err := report.Merge([]string{out}, report.MergeOptions{Out: merged})
	if err != nil || mr.Quarantined["gated"] != why {
		t.Errorf("merged report: quarantined %v, %v: want gated and why", mr.Quarantined, err)
	}
	if page, err := os.ReadFile(filepath.Join(merged, "report.html")); err != nil || !strings.Contains(string(page), `<li data-host="gated">`) {
		t.Errorf("the merged report.html does not name the quarantined host (%v)", err)
	}
	if tempOwner(t, srv) == clean {
		t.Error("Temp's owner is back: nothing should have touched the quarantined host")
	}
}

// What rests on a lost, partial or interrupted answer is an
// infrastructure error, never a product result; a host's own answer (an
// op that failed) is not.
func TestLostObservationsAreInfra(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("install: %w", &ops.ResponseError{Err: errors.New("batch response is not JSON")}),
		fmt.Errorf("inject: %w", &ops.BatchInterruptedError{ID: "r_c_s1_a1"}),
		fmt.Errorf("lab: h: %w", &lab.TransportError{URL: "http://h/wsman", Err: errors.New("EOF")}),
		fmt.Errorf("%w: %w", ErrNotReconciled, &lab.TransportError{URL: "http://h/wsman", Err: errors.New("reset")}),
	} {
		if !isInfra(err) {
			t.Errorf("%v: not an infrastructure error", err)
		}
	}
	for _, err := range []error{
		fmt.Errorf("fault injection failed: %w", &ops.Error{Op: ops.OpACLSet, Code: ops.CodeAccessDenied, Message: "denied"}),
		fmt.Errorf("%w: the state differs from the baseline", ErrNotReconciled),
	} {
		if isInfra(err) {
			t.Errorf("%v: an infrastructure error", err)
		}
	}
}
