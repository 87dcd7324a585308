package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// CellRun is one cell's lifecycle on a leased host, as steps: Baseline,
// Inject, Install, Check, then Cleanup. The runner calls them in order;
// the Ginkgo suites (e2e) call them one by one with their own assertions
// in between. Each step is one op batch.
type CellRun struct {
	r      *run
	host   *lab.Host
	s      lab.Session
	cell   scenarios.Cell
	res    *results.CellResult
	target faults.Target
	fs     []faults.Fault
	pkg    *pkgInfo
	logons []ops.Logon // the host's (hostInfo.logons), carried by every batch

	undo      []faults.Probe
	probes    []ops.Op // every read of the baseline, replayed at cleanup
	entries   []journal.Entry
	installed bool
	cleaned   bool

	// Remediation (steps 6 and 7): what it reads, the host before the
	// fault and after the failed install, and the install rerun with the
	// cleanup batch.
	remProbes []ops.Op
	remBase   *remediation.HostState
	remFailed *remediation.HostState
	rerun     *ops.Op

	// Exactly-once delivery (lab.WithBatchID): seq tells this CellRun's
	// batch IDs from another's of the same cell, step counts its batches,
	// intent is set while journaled changes wait for their batch, and
	// stats counts the sends.
	seq, step int
	intent    bool
	stats     lab.BatchStats
	// snapshotted: the host was reverted to its snapshot after the cell.
	snapshotted bool
}

// begin readies a cell on a leased host: the host is prepared and reverted
// to its clean snapshot (not counted). A cell that cannot run on this host
// gets res.Status skipped.
func (r *run) begin(ctx context.Context, host *lab.Host, c scenarios.Cell, res *results.CellResult) (*CellRun, error) {
	res.Status, res.Reason, res.Checks = "", "", nil
	res.Commands = 0
	res.Record.Batches = nil
	hi := r.hostInfo(host)
	if hi.err != nil { // a transient failure while preparing: prepare again
		hi = r.prepareAgain(ctx, host)
		if hi.err != nil {
			return nil, fmt.Errorf("%w: host %s could not be prepared: %v", errInfra, host.Spec.Name, hi.err)
		}
	}
	res.Record.OSBuild, res.Record.MsiVersion = hi.info.Build, hi.info.MsiVersion
	res.Record.Snapshot = host.Spec.Snapshot.Driver + ":" + host.Spec.Snapshot.Name
	if c.Scenario.UI == ops.UIFull && !hi.simulated {
		res.Status, res.Reason = results.StatusSkip, "full UI needs someone to accept the UAC prompt: simulated hosts only"
		return nil, nil
	}
	if res.Revert == nil || res.Revert.How != results.RevertSnapshot { // keep an earlier attempt's snapshot revert
		res.Revert = &results.RevertNote{Policy: r.opts.Revert, How: results.RevertJournal}
	}
	if r.opts.Revert == RevertSnapshot {
		if err := r.revertHost(ctx, host, res, "policy snapshot: before every cell"); err != nil {
			return nil, err
		}
	}
	s, err := host.Session(ctx)
	if err != nil {
		return nil, err
	}
	fs, err := decodeFaults(c.Scenario)
	if err != nil {
		return nil, err
	}
	cr := &CellRun{r: r, host: host, s: s, cell: c, res: res, fs: fs, pkg: r.packages[c.Scenario.Package], logons: hi.logons,
		target: faults.Target{AdminUser: host.Spec.User, StandardUser: host.Spec.StandardUser, Context: c.Context}, seq: r.nextSeq()}
	if r.opts.Remediate && c.Expect.ExitCode != 0 {
		cr.remProbes = remediation.ProbeOps(cr.target)
	}
	return cr, nil
}

// batch sends one lifecycle step's ops, counting and recording it.
func (cr *CellRun) batch(ctx context.Context, b []ops.Op) ([]ops.Result, error) {
	cr.res.Commands++
	cr.res.Record.Batches = append(cr.res.Record.Batches, b)
	return cr.send(lab.WithLogons(ctx, cr.logons...), b)
}

// send sends a batch under the cell's next batch ID: the host runs it
// once however often its answer is lost and it is resent. When journaled
// changes wait for it, its outcome is journaled after it.
func (cr *CellRun) send(ctx context.Context, b []ops.Op) ([]ops.Result, error) {
	id := cr.batchID()
	cr.step++
	ctx = lab.WithBatchStats(lab.WithBatchID(ctx, id), &cr.stats)
	if cr.r.opts.Resend.Sends > 0 {
		ctx = lab.WithResendPolicy(ctx, cr.r.opts.Resend)
	}
	out, err := cr.s.RunBatch(ctx, b)
	if err == nil && len(out) != len(b) {
		err = fmt.Errorf("%w: %d results for %d ops", errInfra, len(out), len(b))
	}
	if cr.intent {
		cr.intent = false
		e := journal.Entry{Kind: journal.KindBatch, Batch: id, Outcome: "answered"}
		if err != nil {
			e.Outcome = "no answer: " + err.Error()
		}
		if jerr := cr.journal(&e); jerr != nil && err == nil {
			err = jerr
		}
	}
	return out, err
}

// batchID is the ID of the cell's next batch.
func (cr *CellRun) batchID() string {
	return ops.BatchID(cr.r.journal.Run(), cr.cell.ID, fmt.Sprintf("c%d.s%d", cr.seq, cr.step), cr.res.Attempts)
}

// journal fills in the cell's fields and appends e (synced). A change's
// entry names the batch that will make it.
func (cr *CellRun) journal(e *journal.Entry) error {
	e.Cell, e.Host, e.Endpoint, e.Target = cr.cell.ID, cr.host.Spec.Name, cr.host.Endpoint.URL(), cr.target
	if e.Kind != journal.KindBatch && e.Kind != journal.KindDone {
		e.Batch = cr.batchID()
		cr.intent = true
	}
	return cr.r.journal.Append(*e)
}

// sender is the cell's session as the remediation engine uses it: its
// batches go through send (IDs, outcomes), counted by the engine.
type sender struct {
	lab.Session
	cr *CellRun
}

func (s sender) RunBatch(ctx context.Context, b []ops.Op) ([]ops.Result, error) {
	return s.cr.send(ctx, b)
}

// journalInstall records, before it is sent, an install whose product a
// revert must remove: per-machine products as the elevated admin, per-user
// ones in the context that installed them.
func (cr *CellRun) journalInstall(context string) error {
	e := journal.Entry{Kind: journal.KindInstall, Product: cr.pkg.productCode}
	if !cr.pkg.perMachine && context != ops.ContextAdminElevated {
		e.Context = context
		if context == ops.ContextStandardUser {
			e.User = cr.target.StandardUser
		}
	}
	if err := cr.journal(&e); err != nil {
		return err
	}
	cr.entries = append(cr.entries, e)
	cr.installed = true
	return nil
}

// Baseline is step 2: it reads what the faults will touch (their undo
// data). An uninstall cell first installs the product, elevated.
func (cr *CellRun) Baseline(ctx context.Context) error {
	var pre []ops.Op
	if cr.cell.Scenario.Action == scenarios.ActionUninstall {
		if err := cr.journalInstall(ops.ContextAdminElevated); err != nil {
			return err
		}
		op, _ := ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: cr.pkg.remote})
		pre = append(pre, op)
	}
	probes, spans := probeOps(cr.fs, cr.target)
	out, err := cr.batch(ctx, append(append(pre, probes...), cr.remProbes...))
	if err != nil {
		return err
	}
	if len(cr.remProbes) > 0 {
		n := len(out) - len(cr.remProbes)
		if cr.remBase, err = remediation.ReadState(cr.target, cr.remProbes, out[n:]); err != nil {
			return err
		}
		out = out[:n]
	}
	if len(pre) > 0 {
		var setup ops.MsiRun
		if err := out[0].Decode(&setup); err != nil || setup.ExitCode != 0 {
			return fmt.Errorf("setup install before the uninstall failed: %v (exit %d)", err, setup.ExitCode)
		}
	}
	first := out[len(pre):]
	cr.undo = make([]faults.Probe, len(cr.fs))
	var follow []ops.Op
	followSpans := make([][2]int, len(cr.fs))
	for i, f := range cr.fs {
		cr.undo[i] = append(faults.Probe(nil), first[spans[i][0]:spans[i][1]]...)
		if fp, ok := f.(faults.FollowUpProber); ok {
			more, err := fp.ProbeFollowUp(cr.target, cr.undo[i])
			if err != nil {
				return fmt.Errorf("fault %s: %w", cr.cell.Scenario.Faults[i].Type, err)
			}
			followSpans[i] = [2]int{len(follow), len(follow) + len(more)}
			follow = append(follow, more...)
		}
	}
	cr.probes = append(append([]ops.Op(nil), probes...), follow...)
	got := append([]ops.Result(nil), first...)
	if len(follow) > 0 { // reads named by what the first ones found (a user's SID)
		more, err := cr.batch(ctx, follow)
		if err != nil {
			return err
		}
		for i := range cr.fs {
			cr.undo[i] = append(cr.undo[i], more[followSpans[i][0]:followSpans[i][1]]...)
		}
		got = append(got, more...)
	}
	cr.res.StateBefore = stateLines(cr.probes, got)
	return nil
}

// Inject is step 3: each fault's undo is journaled (and synced) before
// the changes are sent, in one batch.
func (cr *CellRun) Inject(ctx context.Context) error {
	var inject []ops.Op
	for i, f := range cr.fs {
		spec := cr.cell.Scenario.Faults[i]
		e := journal.Entry{Kind: journal.KindFault, Fault: spec.Type, Params: faults.Params(f), Undo: cr.undo[i]}
		if err := cr.journal(&e); err != nil {
			return err
		}
		cr.entries = append(cr.entries, e)
		more, err := f.Inject(cr.target, cr.undo[i])
		if err != nil {
			return fmt.Errorf("fault %s: %w", spec.Type, err)
		}
		inject = append(inject, more...)
	}
	if len(inject) == 0 {
		return nil
	}
	out, err := cr.batch(ctx, inject)
	if err != nil {
		return err
	}
	for _, o := range out {
		if err := o.Decode(nil); err != nil {
			return fmt.Errorf("fault injection failed: %w", err)
		}
	}
	return nil
}

// Install is step 4: the install (or removal) in the cell's context.
func (cr *CellRun) Install(ctx context.Context) (*ops.MsiRun, error) {
	op, err := installOp(cr.cell, cr.pkg, cr.target)
	if err != nil {
		return nil, err
	}
	if cr.cell.Scenario.Action != scenarios.ActionUninstall {
		if err := cr.journalInstall(cr.cell.Context); err != nil {
			return nil, err
		}
	}
	// The remediation engine's reads ride along: the state it diagnoses.
	out, err := cr.batch(ctx, append([]ops.Op{op}, cr.remProbes...))
	if err != nil {
		return nil, err
	}
	run := &ops.MsiRun{}
	if err := out[0].Decode(run); err != nil {
		return nil, fmt.Errorf("%s: %w", op.Name, err)
	}
	if len(cr.remProbes) > 0 {
		if cr.remFailed, err = remediation.ReadState(cr.target, cr.remProbes, out[1:]); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// Check is step 5: the three signals against the expectation; it sets the
// result's status.
func (cr *CellRun) Check(run *ops.MsiRun) {
	cr.res.Observed, cr.res.Checks = Evaluate(cr.cell.Expect, run)
	cr.res.Status, cr.res.Reason = results.StatusPass, ""
	var failed []string
	for _, ch := range cr.res.Checks {
		if !ch.OK {
			failed = append(failed, ch.Name)
		}
	}
	if len(failed) > 0 {
		cr.res.Status, cr.res.Reason = results.StatusFail, "expectation missed: "+strings.Join(failed, ", ")
	}
}

// Session is the leased host's session (for steps 6 and 7).
func (cr *CellRun) Session() lab.Session { return cr.s }

// Result is the cell's result so far.
func (cr *CellRun) Result() *results.CellResult { return cr.res }

// Cleanup is step 8: revert the faults, remove the product and compare the
// state the faults touch with the baseline, in one batch; then the
// journal marks the cell done. It is safe to call twice.
func (cr *CellRun) Cleanup(ctx context.Context) error {
	if cr == nil || cr.cleaned {
		return nil
	}
	// Step 7, when a fix was applied: the install again, and the state it
	// leaves, first in the same batch (nothing below depends on them).
	var pre []ops.Op
	if cr.rerun != nil {
		pre = append([]ops.Op{*cr.rerun}, cr.remProbes...)
	}
	// An uninstall cell's baseline was read with its setup install in
	// place: its faults and fixes are reverted and the reads replayed
	// before that product is removed, so that like is compared with like.
	entries, setup := cr.entries, []journal.Entry(nil)
	if cr.cell.Scenario.Action == scenarios.ActionUninstall && len(entries) > 0 && entries[0].Kind == journal.KindInstall {
		entries, setup = entries[1:], entries[:1]
	}
	revert, err := journal.RevertOps(entries)
	if err != nil {
		return err
	}
	removeSetup, err := journal.RevertOps(setup)
	if err != nil {
		return err
	}
	b := append(append(append(append([]ops.Op(nil), pre...), revert...), cr.probes...), removeSetup...)
	if len(b) > 0 {
		out, err := cr.batch(ctx, b)
		if err != nil {
			return err // infrastructure: the journal keeps the cell pending for msilab revert
		}
		if cr.rerun != nil {
			cr.recovery(out[:len(pre)])
		}
		out = out[len(pre):]
		reads := out[len(revert) : len(revert)+len(cr.probes)]
		if err := journal.CheckRevert(append(append([]ops.Result(nil), out[:len(revert)]...), out[len(revert)+len(cr.probes):]...)); err != nil {
			return err
		}
		cr.res.StateAfter = stateLines(cr.probes, reads)
	} else {
		cr.res.StateAfter = cr.res.StateBefore
	}
	cr.cleaned = true
	cr.res.BackToBaseline = slices.Equal(cr.res.StateAfter, cr.res.StateBefore)
	if !cr.res.BackToBaseline && cr.res.Status == results.StatusPass {
		cr.res.Status, cr.res.Reason = results.StatusFail, "the revert did not bring the host back to its baseline"
	}
	return cr.r.journal.Append(journal.Entry{Kind: journal.KindDone, Cell: cr.cell.ID, Host: cr.host.Spec.Name})
}

// revertHost reverts the host to its snapshot, records it in res, and
// brings back what preparation put on a host whose snapshot predates it
// (the lab user, the packages). A hypervisor that cannot be reached makes
// an infrastructure error.
func (r *run) revertHost(ctx context.Context, host *lab.Host, res *results.CellResult, why string) error {
	note := &results.RevertNote{Policy: r.opts.Revert, How: results.RevertSnapshot, Why: why,
		Snapshot: host.Spec.Snapshot.Driver + ":" + host.Spec.Snapshot.Name}
	res.Revert = note
	rv, err := host.Revert(ctx)
	note.Took, note.Detail = rv.Total, rv.String()
	if err == nil && host.Spec.Snapshot.Driver != "sim" {
		err = r.restock(ctx, host)
	}
	if err != nil {
		note.Error = err.Error()
		if errors.Is(err, lab.ErrHypervisorUnreachable) || errors.Is(err, lab.ErrNotReady) {
			err = fmt.Errorf("%w: %v", errInfra, err)
		}
		return fmt.Errorf("snapshot revert of host %s: %w", host.Spec.Name, err)
	}
	return nil
}

// snapshotReason says why --revert auto must revert the host after a
// cell ("" when the journal's undo was enough).
func snapshotReason(res *results.CellResult, err error, cleaned bool) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the cell timed out"
	case err != nil && isInfra(err):
		return "infrastructure error: " + err.Error()
	case err != nil:
		return "the cell ended with an error: " + err.Error()
	case !cleaned:
		return "the cleanup did not finish"
	case !res.BackToBaseline:
		return "the baseline check found the host changed"
	}
	return ""
}
