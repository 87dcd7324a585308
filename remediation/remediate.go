package remediation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// Options configure Remediate.
type Options struct {
	// DryRun probes and plans, and sends no change: the Report's Plan
	// has each step's PowerShell.
	DryRun bool
	// MinConfidence: findings below it are reported, not fixed (0 is 0.5).
	MinConfidence float64
	// MutexWait is how long wait-for-mutex waits for another process to
	// release the execution mutex (0: it does not wait; it reports the
	// holder and the finding stays).
	MutexWait time.Duration
	// Before, when set, is the host's state already read (ProbeOps sent in
	// the same batch as the failed install): Remediate then sends no probe
	// of its own first.
	Before *HostState
	// BeforeStep, when set, is called with each step that changes the
	// host before it is sent, so that its Rollback can be journaled first
	// (as a run journal does); an error stops Remediate, nothing sent.
	BeforeStep func(Step) error
}

// Report is what Remediate found and did.
type Report struct {
	Target   faults.Target `json:"target"`
	Findings []Finding     `json:"findings"`
	// Plan is the plan made from the first probe.
	Plan []Step `json:"plan"`
	// Applied lists the steps sent, in order (none in a dry run).
	Applied []Applied `json:"applied,omitempty"`
	// RunAs is the install context to rerun the install in ("" keeps the
	// run's own): set by run-elevated.
	RunAs string `json:"run_as,omitempty"`
	// Resolved is true when no finding at MinConfidence or above still
	// holds (one without a fix, such as a failing custom action, always
	// does); Unresolved lists those that do.
	Resolved   bool     `json:"resolved"`
	Unresolved []string `json:"unresolved,omitempty"`
	// Before and After are the host's state before the first change and
	// after the last (the same in a dry run).
	Before *HostState `json:"before"`
	After  *HostState `json:"after"`
	DryRun bool       `json:"dry_run,omitempty"`
	// Commands counts the WinRM commands (op batches) sent.
	Commands int `json:"commands"`
}

// Rollback is the batch that undoes every verified fix, last first: what
// a cell's cleanup sends before it reverts its faults, so that the
// faults' own undo data applies to the state it was taken from.
func (r *Report) Rollback() []ops.Op {
	var out []ops.Op
	for i := len(r.Applied) - 1; i >= 0; i-- {
		if a := r.Applied[i]; a.Verified {
			out = append(out, a.Rollback...)
		}
	}
	return out
}

// Remediate probes the host, diagnoses the failed run (nil: the host
// alone), plans, and applies the plan: for each finding at
// MinConfidence or above, in order, its fixes are tried least invasive
// first, each as one batch (its changes followed by the probes, so the
// verification needs no extra round trip); a fix that does not verify
// is rolled back (one batch) before the next; a finding is done once the
// probed state no longer shows it (for causes tied to the install
// context, once a fix changes how the install is run). It returns an
// error (and the report so far) only when the host could not be probed,
// a batch could not be sent or Options.BeforeStep failed.
func Remediate(ctx context.Context, s lab.Session, t faults.Target, run *ops.MsiRun, opts Options) (*Report, error) {
	if opts.MinConfidence <= 0 {
		opts.MinConfidence = 0.5
	}
	e := &engine{s: s, t: t, opts: opts, probes: ProbeOps(t), rep: &Report{Target: t, DryRun: opts.DryRun}}
	before := opts.Before
	if before == nil {
		var err error
		if before, err = e.probe(ctx); err != nil {
			return nil, err
		}
	}
	// Then the reads the run's evidence asks for (a folder a message names).
	in := runInput(run)
	before, err := e.runProbes(ctx, in, before)
	if err != nil {
		return nil, err
	}
	rep := e.rep
	rep.Before, rep.After = before, before
	rep.Findings = Diagnose(before, run, t.Context)
	var todo []Finding
	for _, f := range rep.Findings {
		if f.Confidence >= opts.MinConfidence {
			todo = append(todo, f)
		}
	}
	todo = runFailureOnly(todo)
	rep.Plan = Plan(todo, before)
	if opts.DryRun {
		for _, f := range todo {
			if holds(f.ID, before, t.Context, in) {
				rep.Unresolved = append(rep.Unresolved, f.ID)
			}
		}
		return rep, nil
	}
	cur := before
	applied := map[string]bool{}
	for _, f := range todo {
		for _, name := range f.Fixes {
			if !holds(f.ID, cur, e.context(), in) {
				break
			}
			if applied[name] {
				continue
			}
			step, ok, err := planStep(name, f, cur)
			if err != nil || !ok {
				continue
			}
			applied[name] = true
			a, after, err := e.apply(ctx, step, cur)
			if err != nil {
				if a.Error != "" { // sent, or maybe sent: keep it on record
					rep.Applied = append(rep.Applied, a)
				}
				return rep, err
			}
			rep.Applied = append(rep.Applied, a)
			cur = after
			rep.After = cur
		}
		if holds(f.ID, cur, e.context(), in) {
			rep.Unresolved = append(rep.Unresolved, f.ID)
		}
	}
	rep.Resolved = len(rep.Unresolved) == 0
	rep.RunAs = e.runAs
	return rep, nil
}

// runFailureOnly narrows the findings to fix: when the first is the
// run's own failure and no host fix applies to it (a package's custom
// action, the logon msiexec ran from), a fix for a cause the run does not
// show would change the host without making this install succeed, so
// those findings are reported, not fixed.
func runFailureOnly(todo []Finding) []Finding {
	if len(todo) == 0 || !todo[0].fromRun || len(todo[0].Fixes) > 0 {
		return todo
	}
	var out []Finding
	for _, f := range todo {
		if f.fromRun {
			out = append(out, f)
		}
	}
	return out
}

// engine applies steps on one host.
type engine struct {
	s      lab.Session
	t      faults.Target
	opts   Options
	probes []ops.Op
	rep    *Report
	runAs  string
	// run are the causes' reads of the run's evidence (Cause.RunProbes).
	run map[string][]ops.Op
}

// runProbes takes the reads the causes ask of the run's evidence that
// before lacks (one batch) and adds them to before and to every later
// probe.
func (e *engine) runProbes(ctx context.Context, in *Input, before *HostState) (*HostState, error) {
	byCause, extra := runProbeOps(e.t, in, before.Probes)
	if byCause == nil {
		return before, nil
	}
	e.run = byCause
	for _, list := range byCause {
		for _, op := range list {
			if !slices.ContainsFunc(e.probes, func(o ops.Op) bool { return sameOp(o, op) }) {
				e.probes = append(e.probes, op)
			}
		}
	}
	st := before
	if len(extra) > 0 {
		res, err := e.batch(ctx, extra)
		if err != nil {
			return nil, err
		}
		if st, err = ReadState(e.t, append(slices.Clone(before.Probes), extra...), append(slices.Clone(before.Results), res...)); err != nil {
			return nil, err
		}
	}
	st.RunProbes = byCause
	return st, nil
}

// context is the install context the rerun will use.
func (e *engine) context() string {
	if e.runAs != "" {
		return e.runAs
	}
	return e.t.Context
}

func (e *engine) batch(ctx context.Context, b []ops.Op) ([]ops.Result, error) {
	e.rep.Commands++
	res, err := e.s.RunBatch(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("remediation: %w", err)
	}
	if len(res) != len(b) {
		return nil, fmt.Errorf("%w: %d results for %d ops", ErrProbe, len(res), len(b))
	}
	return res, nil
}

func (e *engine) probe(ctx context.Context) (*HostState, error) {
	res, err := e.batch(ctx, e.probes)
	if err != nil {
		return nil, err
	}
	st, err := ReadState(e.t, e.probes, res)
	if st != nil {
		st.RunProbes = e.run
	}
	return st, err
}

// changeAndProbe sends changes followed by the probes: their results and
// the state after.
func (e *engine) changeAndProbe(ctx context.Context, change []ops.Op) ([]ops.Result, *HostState, error) {
	res, err := e.batch(ctx, append(append([]ops.Op(nil), change...), e.probes...))
	if err != nil {
		return nil, nil, err
	}
	st, err := ReadState(e.t, e.probes, res[len(change):])
	if st != nil {
		st.RunProbes = e.run
	}
	return res[:len(change)], st, err
}

// apply sends one step and verifies it; a step that fails is rolled back.
func (e *engine) apply(ctx context.Context, step Step, cur *HostState) (Applied, *HostState, error) {
	info, _ := Lookup(step.Fix)
	fix := info.New()
	a := Applied{Fix: step.Fix, Finding: step.Finding, Risk: step.Risk, Ops: step.Ops, PowerShell: step.PowerShell,
		Rollback: step.Rollback, Note: step.Note, RunAs: step.RunAs}
	after := cur
	if len(step.Ops) > 0 {
		if e.opts.BeforeStep != nil {
			if err := e.opts.BeforeStep(step); err != nil {
				return a, cur, fmt.Errorf("remediation: before %s: %w", step.Fix, err)
			}
		}
		res, st, err := e.changeAndProbe(ctx, step.Ops)
		if err != nil {
			a.Error = err.Error()
			return a, cur, err
		}
		a.Results, after = res, st
		for _, r := range res {
			if err := r.Decode(nil); err != nil && !benign(r) {
				a.Error = err.Error()
				break
			}
		}
	}
	verr := fix.Verify(after)
	if verr != nil && a.Error == "" && step.Wait {
		after, verr = e.wait(ctx, fix, after)
	}
	if a.Error == "" && verr == nil {
		a.Verified = true
		if step.RunAs != "" {
			e.runAs = step.RunAs
		}
		return a, after, nil
	}
	if a.Error == "" {
		a.Error = verr.Error()
	}
	if len(step.Rollback) > 0 && len(step.Ops) > 0 {
		res, st, err := e.changeAndProbe(ctx, step.Rollback)
		if err != nil {
			return a, after, err
		}
		a.RolledBack = true
		for _, r := range res {
			if err := r.Decode(nil); err != nil && !benign(r) {
				a.Error += "; rollback: " + err.Error()
			}
		}
		after = st
	}
	return a, after, nil
}

// wait probes again every PollEvery until the fix verifies or
// Options.MutexWait is over.
func (e *engine) wait(ctx context.Context, fix Fix, after *HostState) (*HostState, error) {
	w := fix.(Waiter)
	deadline := time.Now().Add(e.opts.MutexWait)
	verr := fix.Verify(after)
	for verr != nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return after, errors.Join(verr, ctx.Err())
		case <-time.After(min(w.PollEvery(), time.Until(deadline))):
		}
		st, err := e.probe(ctx)
		if err != nil {
			return after, errors.Join(verr, err)
		}
		after = st
		verr = fix.Verify(after)
	}
	if verr != nil && e.opts.MutexWait > 0 {
		verr = fmt.Errorf("%w (waited %s)", verr, e.opts.MutexWait)
	}
	return after, verr
}

// ErrRollback is wrapped by CheckRollback's errors.
var ErrRollback = errors.New("remediation: rollback incomplete")

// CheckRollback checks the results of a Report.Rollback batch: an op that
// found its change already undone (a value or folder gone, a service
// already running or stopped) is done.
func CheckRollback(results []ops.Result) error {
	var errs []error
	for _, r := range results {
		if err := r.Decode(nil); err != nil && !benign(r) {
			errs = append(errs, fmt.Errorf("%w: %w", ErrRollback, err))
		}
	}
	return errors.Join(errs...)
}

// benign is a change result that means "already so": starting a service
// that runs (the simulated host answers Conflict 1056 where PowerShell's
// Start-Service succeeds), removing or releasing what is gone.
func benign(r ops.Result) bool {
	if r.OK || r.Error == nil {
		return r.OK
	}
	switch {
	case r.Op == ops.OpServiceStart && r.Error.Code == ops.CodeConflict && r.Error.Win32 == 1056:
		return true
	case r.Op == ops.OpServiceStop && r.Error.Code == ops.CodeConflict && r.Error.Win32 == 1062:
		return true
	case r.Error.Code == ops.CodeNotFound && (r.Op == ops.OpRegistryDeleteValue || r.Op == ops.OpPathRemove ||
		r.Op == ops.OpInstallerUnregister || r.Op == ops.OpMutexRelease):
		return true
	}
	return false
}

// String is a one-line account of the fixes applied, for logs.
func (r *Report) String() string {
	var fixes []string
	for _, a := range r.Applied {
		state := "verified"
		if !a.Verified {
			state = "not verified"
		}
		fixes = append(fixes, a.Fix+" ("+state+")")
	}
	if r.RunAs != "" {
		fixes = append(fixes, "rerun as "+r.RunAs)
	}
	if len(fixes) == 0 {
		return "no fix applied"
	}
	return strings.Join(fixes, ", ")
}
