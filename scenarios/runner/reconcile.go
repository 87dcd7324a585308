package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/results"
)

// Reconciling a host. After an attempt that did not end with the host
// shown back at its baseline (an infrastructure error, a cleanup that did
// not finish or found a difference), and before the host serves another
// cell, the runner reads the host's state for everything the journal says
// the attempt touched, reverts what is still changed with the journaled
// undo data, checks that no variant of any fault is present (every
// fault's Detect), and compares the state with the baseline. A host that
// cannot be reconciled is reverted to its snapshot where it has a
// driver, and otherwise quarantined: no cell starts on it for the rest of
// the run, and the cells that lease it are infrastructure errors naming it.

// ErrNotReconciled is wrapped when a host could not be shown back at its baseline.
var ErrNotReconciled = errors.New("runner: host not reconciled")

// reconcileTimeout bounds a reconciliation, its tries included.
const reconcileTimeout = 3 * time.Minute

// reconcileTries is how many times a reconciliation that meets the
// network is tried before the host is quarantined.
const reconcileTries = 3

var cellSeq atomic.Int64

// nextSeq numbers CellRuns, so that two of one cell never share a batch ID.
func (r *run) nextSeq() int { return int(cellSeq.Add(1)) }

// reconcile brings the host of an attempt back to its baseline, or
// quarantines it; err is the attempt's.
func (r *run) reconcile(parent context.Context, cr *CellRun, err error) {
	needed := !cr.cleaned || !cr.res.BackToBaseline && !cr.snapshotted
	if !needed || cr.res.Status == results.StatusSkip {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), reconcileTimeout)
	defer cancel()
	why := "the cleanup did not finish"
	if err != nil {
		why = err.Error()
	} else if cr.cleaned {
		why = "the cleanup left the host off its baseline"
	}
	// A reconciliation that meets the network is tried again: each try
	// reads back and reverts from the journal, safe to repeat.
	var rerr error
	for try := 1; try <= reconcileTries; try++ {
		if rerr = cr.Reconcile(ctx); rerr == nil || !isInfra(rerr) {
			break
		}
	}
	if rerr == nil {
		cr.res.Reconciled = append(cr.res.Reconciled, fmt.Sprintf("attempt %d: host %s reconciled (%s)", cr.res.Attempts, cr.host.Spec.Name, why))
		return
	}
	if cr.host.HasSnapshots() && r.opts.Revert != RevertJournal {
		if serr := r.revertHost(ctx, cr.host, cr.res, "reconcile failed: "+rerr.Error()); serr == nil {
			cr.res.Reconciled = append(cr.res.Reconciled, fmt.Sprintf("attempt %d: host %s not reconciled (%v): reverted to its snapshot", cr.res.Attempts, cr.host.Spec.Name, rerr))
			_ = r.journal.Append(journal.Entry{Kind: journal.KindDone, Cell: cr.cell.ID, Host: cr.host.Spec.Name})
			return
		} else {
			rerr = fmt.Errorf("%w; snapshot revert: %v", rerr, serr)
		}
	}
	reason := r.quarantine(cr.host, rerr)
	cr.res.Reconciled = append(cr.res.Reconciled, fmt.Sprintf("attempt %d: %s", cr.res.Attempts, reason))
}

// Reconcile reads back, on a new session, what the cell's journal entries
// touched, reverts it, and checks it against the baseline and every
// fault's Detect; then the journal marks the cell done. Its batches are
// resent as any other.
func (cr *CellRun) Reconcile(ctx context.Context) error {
	cr.host.Reset()
	s, err := cr.host.Session(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReconciled, err)
	}
	cr.s = s
	send := func(ctx context.Context, b []ops.Op) ([]ops.Result, error) {
		return cr.send(lab.WithLogons(ctx, cr.logons...), b)
	}
	revert, err := journal.RevertOps(cr.entries)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReconciled, err)
	}
	proof, err := journal.ProofOps(cr.entries)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotReconciled, err)
	}
	b := append(append(append([]ops.Op(nil), revert...), proof...), cr.probes...)
	if len(b) > 0 {
		out, err := send(ctx, b)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrNotReconciled, err)
		}
		if err := journal.CheckRevert(out[:len(revert)]); err != nil {
			return fmt.Errorf("%w: %w", ErrNotReconciled, err)
		}
		out = out[len(revert):]
		if err := journal.CheckProof(cr.entries, out[:len(proof)]); err != nil {
			return fmt.Errorf("%w: %w", ErrNotReconciled, err)
		}
		if cr.res.StateBefore != nil {
			after := stateLines(cr.probes, out[len(proof):])
			if !slices.Equal(after, cr.res.StateBefore) {
				return fmt.Errorf("%w: the state differs from the baseline: before %q, now %q", ErrNotReconciled, cr.res.StateBefore, after)
			}
		}
	}
	ps, err := faults.DetectAll(ctx, send, faults.Names(), []faults.Target{cr.target})
	if err != nil {
		return fmt.Errorf("%w: detect: %w", ErrNotReconciled, err)
	}
	for _, p := range ps {
		info, _ := faults.Lookup(p.Fault)
		switch {
		case p.Err != nil:
			return fmt.Errorf("%w: %s %s cannot be checked: %v", ErrNotReconciled, p.Fault, p.Params, p.Err)
		case p.Present && !info.NegativeControl:
			return fmt.Errorf("%w: %s %s is present: %s", ErrNotReconciled, p.Fault, p.Params, p.Evidence)
		}
	}
	if !cr.cleaned && cr.res.StateBefore != nil { // a cleanup's own finding stands
		cr.res.StateAfter, cr.res.BackToBaseline = cr.res.StateBefore, true
	}
	cr.cleaned = true
	return cr.r.journal.Append(journal.Entry{Kind: journal.KindDone, Cell: cr.cell.ID, Host: cr.host.Spec.Name})
}

// quarantine takes a host out of service for the rest of the run and
// says why; it returns the reason as cells name it.
func (r *run) quarantine(h *lab.Host, why error) string {
	reason := fmt.Sprintf("host %s quarantined: %v", h.Spec.Name, why)
	r.mu.Lock()
	if r.quarantines == nil {
		r.quarantines = map[*lab.Host]string{}
	}
	r.quarantines[h] = reason
	r.mu.Unlock()
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "msilab: %s\n", reason)
	}
	return reason
}

// quarantined is why the host serves no more cells ("" when it may).
func (r *run) quarantined(h *lab.Host) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.quarantines[h]
}

// forgetBatches asks every host that served the run, quarantined ones
// aside, to delete the run's batch records.
func (r *run) forgetBatches(parent context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), time.Minute)
	defer cancel()
	r.mu.Lock()
	var hosts []*lab.Host
	for h := range r.hosts {
		if r.quarantines[h] == "" {
			hosts = append(hosts, h)
		}
	}
	r.mu.Unlock()
	for _, h := range hosts {
		err := forgetRun(ctx, h, r.journal.Run())
		if err != nil && r.opts.Progress != nil {
			fmt.Fprintf(r.opts.Progress, "msilab: host %s keeps this run's batch records: %v\n", h.Spec.Name, err)
		}
	}
}

// forgetRun deletes a run's batch records on a host.
func forgetRun(ctx context.Context, h *lab.Host, run string) error {
	s, err := h.Session(ctx)
	if err != nil {
		return err
	}
	_, err = s.RunBatch(lab.WithForget(ctx, run+"_"), nil)
	return err
}
