package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// cell runs one cell, with retries after infrastructure errors.
func (r *run) cell(ctx context.Context, c scenarios.Cell) results.CellResult {
	res := results.CellResult{ID: c.ID, Scenario: c.Scenario.Name, OS: c.Host.OS, Context: c.Context,
		Started: time.Now().UTC(), Expected: expected(c)}
	pkg := r.packages[c.Scenario.Package]
	res.Record = results.Record{ScenarioFile: c.Scenario.File, ScenarioSHA256: c.Scenario.SHA256, Package: pkg.remote,
		PackageSHA256: pkg.sha256, ProductCode: pkg.productCode, ToolVersion: r.opts.ToolVersion, ModuleSHA256: ops.ModuleSHA256}
	for _, f := range c.Scenario.Faults {
		res.Faults = append(res.Faults, results.FaultNote{Type: f.Type, Params: string(f.Params)})
	}
	var runRes *ops.MsiRun
	for attempt := 1; attempt <= 1+r.opts.Retries; attempt++ {
		res.Attempts = attempt
		if ctx.Err() != nil {
			res.Status, res.Reason = results.StatusInfra, "run interrupted: "+ctx.Err().Error()
			break
		}
		host, err := r.pool.Lease(ctx, c.Host.OS)
		if err != nil {
			res.Status, res.Reason = results.StatusInfra, err.Error()
			break
		}
		res.Host = host.Spec.Name
		runRes, err = r.attempt(ctx, host, c, &res)
		if err != nil && isInfra(err) {
			host.Reset()
		}
		r.pool.Release(host)
		if err == nil {
			break
		}
		if !isInfra(err) {
			res.Status, res.Reason = results.StatusFail, err.Error()
			break
		}
		res.Status, res.Reason = results.StatusInfra, err.Error()
	}
	res.Duration = time.Since(res.Started)
	writeEvidence(r.opts.Out, &res, c.Scenario, runRes)
	return res
}

// attempt takes the cell once through its lifecycle on a leased host.
// Cleanup (revert, uninstall, baseline check) runs on every path out,
// with its own context so that Ctrl-C and timeouts still clean up.
func (r *run) attempt(parent context.Context, host *lab.Host, c scenarios.Cell, res *results.CellResult) (runRes *ops.MsiRun, err error) {
	res.Status, res.Reason, res.Checks = "", "", nil
	res.Commands = 0
	res.Record.Batches = nil
	hi := r.hostInfo(host)
	if hi.err != nil { // a transient failure while preparing: prepare again
		hi = r.prepareAgain(parent, host)
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
	ctx, cancel := context.WithTimeout(parent, r.opts.CellTimeout)
	defer cancel()
	s, err := host.Session(ctx)
	if err != nil {
		return nil, err
	}
	if err := host.Revert(ctx); err != nil { // snapshot revert: not counted
		return nil, err
	}
	batch := func(b []ops.Op) ([]ops.Result, error) {
		res.Commands++
		res.Record.Batches = append(res.Record.Batches, b)
		out, err := s.RunBatch(ctx, b)
		if err == nil && len(out) != len(b) {
			err = fmt.Errorf("%w: %d results for %d ops", errInfra, len(out), len(b))
		}
		return out, err
	}
	target := faults.Target{AdminUser: host.Spec.User, StandardUser: host.Spec.StandardUser, Context: c.Context}
	fs, err := decodeFaults(c.Scenario)
	if err != nil {
		return nil, err
	}
	pkg := r.packages[c.Scenario.Package]
	cl := &cleanup{r: r, host: host, cell: c, target: target}
	defer func() {
		// Cleanup gets its own time even when the run was cancelled.
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(parent), 2*time.Minute)
		defer ccancel()
		if cerr := cl.run(cctx, s, res); cerr != nil && err == nil {
			err = cerr
		}
	}()

	// Step 2: baseline. An uninstall cell first installs the product, elevated.
	var pre []ops.Op
	if c.Scenario.Action == "uninstall" {
		cl.installed = true
		if err := r.journal.Append(faults.Entry{Kind: faults.KindInstall, Cell: c.ID, Host: host.Spec.Name, Endpoint: host.Endpoint.URL(), Target: target, Product: pkg.productCode}); err != nil {
			return nil, err
		}
		op, _ := ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkg.remote})
		pre = append(pre, op)
	}
	probes, spans := probeOps(fs, target)
	out, err := batch(append(pre, probes...))
	if err != nil {
		return nil, err
	}
	if len(pre) > 0 {
		var setup ops.MsiRun
		if err := out[0].Decode(&setup); err != nil || setup.ExitCode != 0 {
			return nil, fmt.Errorf("setup install before the uninstall failed: %v (exit %d)", err, setup.ExitCode)
		}
	}
	first := out[len(pre):]
	undo := make([]faults.Probe, len(fs))
	var follow []ops.Op
	followSpans := make([][2]int, len(fs))
	for i, f := range fs {
		undo[i] = append(faults.Probe(nil), first[spans[i][0]:spans[i][1]]...)
		if fp, ok := f.(faults.FollowUpProber); ok {
			more, err := fp.ProbeFollowUp(target, undo[i])
			if err != nil {
				return nil, fmt.Errorf("fault %s: %w", c.Scenario.Faults[i].Type, err)
			}
			followSpans[i] = [2]int{len(follow), len(follow) + len(more)}
			follow = append(follow, more...)
		}
	}
	all := append(append([]ops.Op(nil), probes...), follow...)
	got := append([]ops.Result(nil), first...)
	if len(follow) > 0 { // reads named by what the first ones found (a user's SID)
		more, err := batch(follow)
		if err != nil {
			return nil, err
		}
		for i := range fs {
			undo[i] = append(undo[i], more[followSpans[i][0]:followSpans[i][1]]...)
		}
		got = append(got, more...)
	}
	res.StateBefore = stateLines(all, got)
	cl.probes = all
	cl.baseline = res.StateBefore

	// Step 3: inject, each fault's undo journaled (and synced) first.
	var inject []ops.Op
	for i, f := range fs {
		p := undo[i]
		spec := c.Scenario.Faults[i]
		e := faults.Entry{Kind: faults.KindFault, Cell: c.ID, Host: host.Spec.Name, Endpoint: host.Endpoint.URL(),
			Target: target, Fault: spec.Type, Params: faults.Params(f), Undo: p}
		if err := r.journal.Append(e); err != nil {
			return nil, err
		}
		cl.entries = append(cl.entries, e)
		more, err := f.Inject(target, p)
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", spec.Type, err)
		}
		inject = append(inject, more...)
	}
	if len(inject) > 0 {
		out, err := batch(inject)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if err := o.Decode(nil); err != nil {
				return nil, fmt.Errorf("fault injection failed: %w", err)
			}
		}
	}

	// Step 4: the install (or removal) in the cell's context.
	op, err := installOp(c, pkg, target)
	if err != nil {
		return nil, err
	}
	if c.Scenario.Action != "uninstall" {
		cl.installed = true
		if err := r.journal.Append(faults.Entry{Kind: faults.KindInstall, Cell: c.ID, Host: host.Spec.Name, Endpoint: host.Endpoint.URL(), Target: target, Product: pkg.productCode}); err != nil {
			return nil, err
		}
	}
	out, err = batch([]ops.Op{op})
	if err != nil {
		return nil, err
	}
	runRes = &ops.MsiRun{}
	if err := out[0].Decode(runRes); err != nil {
		return nil, fmt.Errorf("%s: %w", op.Name, err)
	}

	// Step 5: the three signals.
	res.Observed, res.Checks = Evaluate(c.Expect, runRes)
	res.Status = results.StatusPass
	var failed []string
	for _, ch := range res.Checks {
		if !ch.OK {
			failed = append(failed, ch.Name)
		}
	}
	if len(failed) > 0 {
		res.Status, res.Reason = results.StatusFail, "expectation missed: "+strings.Join(failed, ", ")
	}

	// Steps 6 and 7: remediation and proof of recovery (issue 6).
	if r.opts.Remediator != nil {
		if err := r.opts.Remediator.Remediate(ctx, s, c, res); err != nil {
			return runRes, err
		}
	}
	return runRes, nil
}

// cleanup is step 8: revert the faults, remove the product, and compare
// the state the faults touch with the baseline — one batch.
type cleanup struct {
	r         *run
	host      *lab.Host
	cell      scenarios.Cell
	target    faults.Target
	entries   []faults.Entry
	installed bool
	probes    []ops.Op
	baseline  []string
}

func (cl *cleanup) run(ctx context.Context, s lab.Session, res *results.CellResult) error {
	entries := cl.entries
	if cl.installed {
		entries = append(entries, faults.Entry{Kind: faults.KindInstall, Product: cl.r.packages[cl.cell.Scenario.Package].productCode})
	}
	revert, err := faults.RevertOps(entries)
	if err != nil {
		return err
	}
	b := append(revert, cl.probes...)
	if len(b) > 0 {
		res.Commands++
		res.Record.Batches = append(res.Record.Batches, b)
		out, err := s.RunBatch(ctx, b)
		if err != nil {
			return err // infrastructure: the journal keeps the cell pending for msilab revert
		}
		if len(out) != len(b) {
			return fmt.Errorf("%w: %d results for %d ops", errInfra, len(out), len(b))
		}
		if err := faults.CheckRevert(out[:len(revert)]); err != nil {
			return err
		}
		res.StateAfter = stateLines(cl.probes, out[len(revert):])
	} else {
		res.StateAfter = cl.baseline
	}
	res.BackToBaseline = slices.Equal(res.StateAfter, cl.baseline)
	if !res.BackToBaseline && res.Status == results.StatusPass {
		res.Status, res.Reason = results.StatusFail, "the revert did not bring the host back to its baseline"
	}
	return cl.r.journal.Append(faults.Entry{Kind: faults.KindDone, Cell: cl.cell.ID, Host: cl.host.Spec.Name})
}

func decodeFaults(sc *scenarios.Scenario) ([]faults.Fault, error) {
	var out []faults.Fault
	for _, spec := range sc.Faults {
		f, err := faults.Decode(spec.Type, spec.Params)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// probeOps concatenates the faults' probes; spans[i] is fault i's range.
func probeOps(fs []faults.Fault, t faults.Target) ([]ops.Op, [][2]int) {
	var all []ops.Op
	spans := make([][2]int, len(fs))
	for i, f := range fs {
		p := f.Probe(t)
		spans[i] = [2]int{len(all), len(all) + len(p)}
		all = append(all, p...)
	}
	return all, spans
}

func installOp(c scenarios.Cell, pkg *pkgInfo, t faults.Target) (ops.Op, error) {
	user := ""
	if c.Context == ops.ContextStandardUser {
		user = t.StandardUser
	}
	if c.Scenario.Action == "uninstall" {
		return ops.New(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: pkg.productCode, Context: c.Context,
			User: user, Properties: c.Scenario.Properties, UI: c.Scenario.UI})
	}
	return ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkg.remote, Context: c.Context,
		User: user, Properties: c.Scenario.Properties, UI: c.Scenario.UI})
}

// stateLines renders probe results as sorted "op args = value" lines.
// A service's run state and PID are left out: Windows starts msiserver on
// demand and stops it when idle, so they are not part of a baseline.
func stateLines(probes []ops.Op, out []ops.Result) []string {
	var lines []string
	for i, p := range probes {
		if i >= len(out) {
			break
		}
		val := string(out[i].Value)
		if !out[i].OK && out[i].Error != nil {
			val = "error " + out[i].Error.Code
		}
		if p.Name == ops.OpServiceGet && out[i].OK {
			var m map[string]any
			if json.Unmarshal(out[i].Value, &m) == nil {
				delete(m, "state")
				delete(m, "pid")
				b, _ := json.Marshal(m)
				val = string(b)
			}
		}
		lines = append(lines, fmt.Sprintf("%s %s = %s", p.Name, p.Args, val))
	}
	slices.Sort(lines)
	return lines
}

func expected(c scenarios.Cell) results.Expected {
	e := c.Expect
	return results.Expected{ExitCode: e.ExitCode, Messages: e.Messages, Log: e.Log, NotLog: e.NotLog,
		Events: e.Events, NoEvents: e.NoEvents, Override: c.OverrideReason}
}
