package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// Remediate is step 6: after the expected failure, the remediation engine
// diagnoses the host and the failed run and applies fixes, least invasive
// first, until one verifies (each fix's undo journaled first). Step 7, the
// install rerun and the proof of recovery, rides with the cleanup batch.
// It does nothing for a cell that expects success or did not reproduce
// its failure.
func (cr *CellRun) Remediate(ctx context.Context, run *ops.MsiRun) error {
	if cr.remFailed == nil || cr.res.Status != results.StatusPass {
		return nil
	}
	rem := &results.Remediation{StateBefore: cr.remBase.Lines()}
	cr.res.Remediation = rem
	rep, err := remediation.Remediate(ctx, sender{cr.s, cr}, cr.target, run, remediation.Options{Before: cr.remFailed,
		BeforeStep: func(st remediation.Step) error {
			e := journal.Entry{Kind: journal.KindRemediation, Fix: st.Fix, FixUndo: st.Undo}
			if err := cr.journal(&e); err != nil {
				return err
			}
			cr.entries = append(cr.entries, e)
			return nil
		}})
	if rep != nil {
		rem.Commands = rep.Commands
		cr.res.Commands += rep.Commands
		for _, f := range rep.Findings {
			rem.Findings = append(rem.Findings, results.Finding{ID: f.ID, Summary: f.Summary, Confidence: f.Confidence,
				Evidence: f.Evidence, Scenario: f.Scenario})
		}
		for _, a := range rep.Applied {
			rem.Fixes = append(rem.Fixes, results.Fix{Name: a.Fix, Finding: a.Finding, Risk: string(a.Risk), Verified: a.Verified,
				RolledBack: a.RolledBack, PowerShell: a.PowerShell, Note: a.Note, RunAs: a.RunAs, Error: a.Error})
		}
		rem.RunAs = rep.RunAs
	}
	if err != nil {
		return err
	}
	if !rep.Resolved && len(rep.Unresolved) > 0 && packageProblem(rep.Unresolved) {
		// The cell passes (it reproduced a failure no host fix applies to:
		// the package's, the logon's, a source that is gone) but nothing
		// was fixed or rerun: not recovered. The causes say why.
		rem.NotApplicable = "no host fix applies to " + strings.Join(rep.Unresolved, ", ") + ": " + noFixReasons(rep.Unresolved)
		return nil
	}
	if !rep.Resolved {
		cr.failRemediation("not fixed: " + strings.Join(rep.Unresolved, ", ") + " still holds")
		return nil
	}
	context := cr.cell.Context
	if rep.RunAs != "" {
		context = rep.RunAs
	}
	op, err := installOp(cr.cell, cr.pkg, faults.Target{StandardUser: cr.target.StandardUser, Context: context})
	if err != nil {
		return err
	}
	if cr.cell.Scenario.Action != scenarios.ActionUninstall {
		if err := cr.journalInstall(context); err != nil {
			return err
		}
	}
	cr.rerun = &op
	return nil
}

// noFixReasons are the causes' reasons why no host fix applies.
func noFixReasons(ids []string) string {
	var out []string
	for _, id := range ids {
		if c, ok := remediation.LookupCause(id); ok && c.NoFix != "" && !slices.Contains(out, c.NoFix) {
			out = append(out, c.NoFix)
		}
	}
	return strings.Join(out, "; ")
}

// packageProblem reports findings that no host fix addresses (a failing
// custom action, a logon the service refuses): the cell reproduced a
// failure that is not the host's.
func packageProblem(ids []string) bool {
	for _, id := range ids {
		if f, ok := remediation.LookupFinding(id); !ok || len(f.Fixes) > 0 {
			return false
		}
	}
	return true
}

func (cr *CellRun) failRemediation(reason string) {
	cr.res.Remediation.Reason = reason
	if cr.res.Status == results.StatusPass {
		cr.res.Status, cr.res.Reason = results.StatusFail, "remediation: "+reason
	}
}

// recovery is step 7's check, from the rerun and the reads after it: the
// install succeeds (exit 0, or 3010/1641 with a restart due; its success events) and the host is back to its
// baseline apart from the product, with no right broader than the default.
func (cr *CellRun) recovery(out []ops.Result) {
	rem := cr.res.Remediation
	var rerun ops.MsiRun
	if err := out[0].Decode(&rerun); err != nil {
		cr.failRemediation("rerun: " + err.Error())
		return
	}
	obs, _ := Evaluate(scenarios.Expectation{}, &rerun)
	obs.Log = ""
	rem.Rerun = &obs
	after, err := remediation.ReadState(cr.target, cr.remProbes, out[1:])
	if err != nil {
		cr.failRemediation("state after the rerun: " + err.Error())
		return
	}
	rem.StateAfter = after.Lines()
	rem.OverBroad = after.OverBroad()
	want := []int{11707, 1033}
	if cr.cell.Scenario.Action == scenarios.ActionUninstall {
		want = []int{11724, 1034}
	}
	onlyBefore, onlyAfter := remediation.Diff(cr.remBase, after)
	switch {
	case rerun.ExitCode != 0 && !obs.RebootRequired: // 3010/1641: succeeded, a restart is due (docs/evidence.md#E-reboot)
		cr.failRemediation(fmt.Sprintf("the install still fails after the fixes: exit %d", rerun.ExitCode))
	case !multisetContains(obs.Events, want) || !statusZero(rerun.Events):
		cr.failRemediation(fmt.Sprintf("the rerun's events %v lack %v with status 0", obs.Events, want))
	case len(rem.OverBroad) > 0:
		cr.failRemediation("over-broad fix: " + strings.Join(rem.OverBroad, "; "))
	case len(onlyBefore)+len(onlyAfter) > 0:
		cr.failRemediation("the host is not back to its baseline: " + strings.Join(slices.Concat(prefix("-", onlyBefore), prefix("+", onlyAfter)), "; "))
	default:
		rem.Recovered = true
	}
}

// statusZero checks the 1033/1034 events report status 0, read from their
// data: the message text is in the host's language
// (docs/evidence.md#E-localized-events).
func statusZero(evs []ops.Event) bool {
	for _, e := range evs {
		if e.EventID != ops.EventInstalled && e.EventID != ops.EventRemoved {
			continue
		}
		if status, ok := e.Status(); !ok || status != 0 {
			return false
		}
	}
	return true
}

func prefix(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + " " + l
	}
	return out
}
