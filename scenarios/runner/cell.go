package runner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
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
		if why := r.refusal(c.Host.OS); why != "" {
			res.Status, res.Reason = results.StatusInfra, why
			break
		}
		host, err := r.pool.Lease(ctx, c.Host.OS)
		if err != nil {
			res.Status, res.Reason = results.StatusInfra, err.Error()
			break
		}
		res.Host = host.Spec.Name
		if why := r.quarantined(host); why != "" { // a cell never starts on a host not known to be at its baseline
			r.pool.Release(host)
			res.Status, res.Reason = results.StatusInfra, why
			continue
		}
		if r.live != nil {
			r.live.started(host.Spec.Name, c.ID)
		}
		var cr *CellRun
		runRes, cr, err = r.attempt(ctx, host, c, &res)
		if err != nil && isInfra(err) {
			host.Reset()
		}
		if cr != nil {
			r.reconcile(ctx, cr, err)
			st := cr.stats.Snapshot()
			res.Resends += st.Resends
			res.Sends += st.Sends
			res.Replayed += st.Replayed
			res.TransportErrors = append(res.TransportErrors, st.Errors...)
		}
		if r.live != nil {
			r.live.stopped(host.Spec.Name)
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
		res.TransportErrors = append(res.TransportErrors, fmt.Sprintf("attempt %d: %v", attempt, err))
	}
	res.Duration = time.Since(res.Started)
	writeEvidence(r.opts.Out, &res, c.Scenario, runRes)
	return res
}

// attempt takes the cell once through its lifecycle on a leased host.
// Cleanup (revert, uninstall, baseline check) runs on every path out,
// with its own context so that Ctrl-C and timeouts still clean up.
func (r *run) attempt(parent context.Context, host *lab.Host, c scenarios.Cell, res *results.CellResult) (runRes *ops.MsiRun, cr *CellRun, err error) {
	cr, err = r.begin(parent, host, c, res)
	if err != nil || res.Status == results.StatusSkip {
		return nil, cr, err
	}
	ctx, cancel := context.WithTimeout(parent, r.opts.CellTimeout)
	defer cancel()
	defer func() {
		// Cleanup gets its own time even when the run was cancelled.
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(parent), 2*time.Minute)
		defer ccancel()
		if cerr := cr.Cleanup(cctx); cerr != nil && err == nil {
			err = cerr
		}
		if r.opts.Revert != RevertAuto || !host.HasSnapshots() {
			return
		}
		why := snapshotReason(res, err, cr.cleaned)
		if why == "" {
			return
		}
		if rerr := r.revertHost(cctx, host, res, why); rerr != nil {
			if err == nil {
				err = rerr
			}
			return
		}
		cr.snapshotted = true
		if !cr.cleaned { // the snapshot undid what the journal could not
			cr.cleaned = true
			if jerr := r.journal.Append(journal.Entry{Kind: journal.KindDone, Cell: c.ID, Host: host.Spec.Name}); jerr != nil && err == nil {
				err = jerr
			}
		}
	}()
	if err = cr.Baseline(ctx); err != nil {
		return nil, cr, err
	}
	if err = cr.Inject(ctx); err != nil {
		return nil, cr, err
	}
	if runRes, err = cr.Install(ctx); err != nil {
		return nil, cr, err
	}
	cr.Check(runRes)
	if err = cr.Remediate(ctx, runRes); err != nil { // steps 6 and 7
		return runRes, cr, err
	}
	return runRes, cr, nil
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

// installOp is the cell's install (or removal) in t's context.
func installOp(c scenarios.Cell, pkg *pkgInfo, t faults.Target) (ops.Op, error) {
	logon := c.Scenario.Logon
	if t.Context != c.Context {
		logon = "" // a rerun in another context (a fix's RunAs) uses that context's own logon
	}
	user := ""
	if t.Context == ops.ContextStandardUser {
		user = t.StandardUser
	}
	if c.Scenario.Action == scenarios.ActionUninstall {
		return ops.New(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: pkg.productCode, Context: t.Context,
			User: user, Properties: c.Scenario.Properties, UI: c.Scenario.UI, Logon: logon})
	}
	return ops.New(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkg.remote, Context: t.Context,
		User: user, Properties: c.Scenario.Properties, UI: c.Scenario.UI, Logon: logon})
}

// stateLines renders probe results as sorted "op args = value" lines,
// each value by meaning (remediation.StateValue): an ACL by the rights it
// grants, a service by its configuration without its run state and PID
// (Windows starts msiserver on demand and stops it when idle).
func stateLines(probes []ops.Op, out []ops.Result) []string {
	var lines []string
	for i, p := range probes {
		if i >= len(out) {
			break
		}
		lines = append(lines, fmt.Sprintf("%s %s = %s", p.Name, p.Args, remediation.StateValue(p.Name, out[i])))
	}
	slices.Sort(lines)
	return lines
}

func expected(c scenarios.Cell) results.Expected {
	e := c.Expect
	return results.Expected{ExitCode: e.ExitCode, Messages: e.Messages, Log: e.Log, NotLog: e.NotLog,
		Events: e.Events, NoEvents: e.NoEvents, Override: c.OverrideReason}
}
