// Package reproduce closes the loop from a pasted log to a reproduction
// (msilab diagnose --log FILE --reproduce): it diagnoses the input, picks
// the OS profile and install contexts closest to it, runs each cause's
// built-in scenario on the embedded simulated lab (or a lab's hosts) with
// the runner's closed loop (remediation, then a rerun), puts the input's
// signature lines beside the reproduced log's, and writes an evidence
// bundle that is its own recipe.
package reproduce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/scenarios/runner"
)

// Errors of Run.
var (
	ErrNotMSI     = errors.New("not a Windows Installer log")
	ErrNoCause    = errors.New("no cause found")
	ErrNoScenario = errors.New("no scenario reproduces the cause")
)

// Options configure Run.
type Options struct {
	// Input is the parsed input; Raw its bytes (copied into the bundle)
	// and Name what it was called (a file name, "stdin").
	Input *msilog.Log
	Raw   []byte
	Name  string
	// Out is the bundle's directory (created).
	Out string
	// Open opens the hosts of one OS profile; nil starts the embedded
	// simulated lab with that profile.
	Open func(os string) (pool *lab.Pool, name string, closeLab func(), err error)
	// Profiles are the OS profiles the lab has (nil: every built-in
	// profile, as the embedded simulated lab has them).
	Profiles []string
	// Recipe is the command line that re-runs this reproduction from
	// the bundle's directory (its input is the bundle's copy).
	Recipe string
	// ToolVersion is recorded with the cells.
	ToolVersion string
}

// Report is what a reproduction found.
type Report struct {
	Input  string             `json:"input"`
	Form   msilog.Form        `json:"form"`
	Answer remediation.Answer `json:"answer"`
	Recipe string             `json:"recipe"`
	// Version is the msilab version that wrote it.
	Version string       `json:"version,omitempty"`
	Causes  []CauseRepro `json:"causes"`
	// Why says why these causes were reproduced.
	Why string `json:"why"`
}

// Match reports that some cause's reproduction matched the input.
func (r *Report) Match() bool {
	return slices.ContainsFunc(r.Causes, func(c CauseRepro) bool { return c.Match() })
}

// CauseRepro is one cause's reproduction.
type CauseRepro struct {
	Cause      string  `json:"cause"`
	Confidence float64 `json:"confidence"`
	// Scenario is the built-in scenario run ("" none: NoScenario says why).
	Scenario   string        `json:"scenario,omitempty"`
	NoScenario string        `json:"no_scenario,omitempty"`
	Profile    ProfileChoice `json:"profile"`
	Contexts   []string      `json:"contexts,omitempty"`
	ContextWhy string        `json:"contexts_why,omitempty"`
	Lab        string        `json:"lab,omitempty"`
	Cells      []CellRepro   `json:"cells,omitempty"`
	Error      string        `json:"error,omitempty"`
}

// Match reports a cell whose signature matched.
func (c CauseRepro) Match() bool {
	return slices.ContainsFunc(c.Cells, func(x CellRepro) bool { return x.Comparison != nil && x.Comparison.Match })
}

// CellRepro is one reproduced cell.
type CellRepro struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Context string `json:"context"`
	// Evidence is the cell's evidence bundle, relative to the report's directory.
	Evidence   string      `json:"evidence"`
	Comparison *Comparison `json:"comparison,omitempty"`
	// Fix is the fix verified on the reproduction, or "fix n/a: reason".
	Fix         string `json:"fix"`
	FixVerified bool   `json:"fix_verified"`
}

// Files of the bundle, beside the runs' own output directories.
const (
	FileReport   = "comparison.json"
	FileMarkdown = "comparison.md"
	FileRecipe   = "recipe.txt"
)

// Run diagnoses the input and reproduces its cause (or each candidate
// when the input alone cannot decide between them).
func Run(ctx context.Context, opt Options) (*Report, error) {
	lg := opt.Input
	if lg.Form == msilog.FormNotMSI {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotMSI, opt.Name, lg.Why)
	}
	ans := remediation.Explain(lg, nil, -1, "")
	rep := &Report{Input: opt.Name, Form: lg.Form, Answer: ans, Recipe: opt.Recipe, Version: opt.ToolVersion}
	targets, why := targetsOf(lg, ans)
	rep.Why = why
	if len(targets) == 0 {
		return rep, fmt.Errorf("%w: %s: %s", ErrNoCause, opt.Name, why)
	}
	scs, err := scenarios.Builtin()
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return rep, fmt.Errorf("reproduce: %w", err)
	}
	if err := os.WriteFile(filepath.Join(opt.Out, InputFile(opt.Name)), opt.Raw, 0o644); err != nil {
		return rep, fmt.Errorf("reproduce: %w", err)
	}
	var noScenario []string
	for _, f := range targets {
		cr := CauseRepro{Cause: f.ID, Confidence: f.Confidence, Scenario: f.Scenario, NoScenario: f.NoScenario}
		if cr.Scenario == "" {
			switch {
			case cr.NoScenario == "":
				cr.NoScenario = "none yet: no built-in scenario reproduces it"
			case !strings.HasPrefix(cr.NoScenario, "none yet"):
				cr.NoScenario = "none yet: " + cr.NoScenario
			}
			noScenario = append(noScenario, f.ID+": "+cr.NoScenario)
			rep.Causes = append(rep.Causes, cr)
			continue
		}
		i := slices.IndexFunc(scs, func(s *scenarios.Scenario) bool { return s.Name == cr.Scenario })
		if i < 0 {
			cr.Error = fmt.Sprintf("scenario %s is not in this build's built-in catalog", cr.Scenario)
			rep.Causes = append(rep.Causes, cr)
			continue
		}
		if err := reproduceCause(ctx, opt, scs[i], &cr); err != nil {
			cr.Error = err.Error()
		}
		rep.Causes = append(rep.Causes, cr)
	}
	if err := write(opt.Out, rep); err != nil {
		return rep, err
	}
	if len(noScenario) == len(targets) {
		return rep, fmt.Errorf("%w: %s", ErrNoScenario, strings.Join(noScenario, "; "))
	}
	return rep, ctx.Err()
}

// targetsOf are the causes to reproduce: the top cause; each finding when
// the input cannot decide; the causes whose evidence is the very lines of
// the top's (the log alone cannot tell them apart); each candidate when
// no cause reaches an answer's confidence.
func targetsOf(lg *msilog.Log, ans remediation.Answer) ([]remediation.Finding, string) {
	switch ans.Verdict {
	case remediation.VerdictCause:
		top := ans.Findings[0]
		out := []remediation.Finding{top}
		var same []string
		for _, f := range append(slices.Clone(ans.Findings[1:]), ans.Candidates...) {
			if sameLines(top, f) {
				out = append(out, f)
				same = append(same, f.ID)
			}
		}
		why := fmt.Sprintf("the top cause, %s (confidence %.2f)", top.ID, top.Confidence)
		if len(same) > 0 {
			why += ", and " + strings.Join(same, ", ") + ", which the same lines support (the log alone cannot tell them apart)"
		}
		return out, why
	case remediation.VerdictCandidates:
		return ans.Findings, "the input cannot decide between " + ids(ans.Findings) + ": each is reproduced"
	case remediation.VerdictInsufficient:
		if len(ans.Candidates) > 0 {
			return ans.Candidates, "no cause reaches an answer's confidence: each candidate (" + ids(ans.Candidates) + ") is reproduced"
		}
		return nil, "insufficient evidence: no cause msilab knows is supported by this input"
	case remediation.VerdictEmpty:
		// An empty log is itself a signature: msiexec never reached the service.
		fs := remediation.DiagnoseParsed(nil, lg, -1, "")
		if len(fs) > 0 {
			return fs, "the input is empty, which is what an unreached service leaves: each cause of that (" + ids(fs) + ") is reproduced"
		}
		return nil, "the input is empty"
	case remediation.VerdictNoFailure:
		return nil, "the input shows a successful install and no error"
	}
	return nil, ans.Verdict
}

func sameLines(a, b remediation.Finding) bool {
	if len(a.Lines) == 0 || len(a.Lines) != len(b.Lines) {
		return false
	}
	for i := range a.Lines {
		if a.Lines[i].N != b.Lines[i].N {
			return false
		}
	}
	return true
}

func ids(fs []remediation.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.ID)
	}
	return strings.Join(s, ", ")
}

// InputFile is the name of the input's copy in the bundle: input with the
// input's extension (.log when it has none).
func InputFile(name string) string { return "input" + inputExt(name) }

func inputExt(name string) string {
	if e := filepath.Ext(name); e != "" && len(e) <= 5 {
		return e
	}
	return ".log"
}

// reproduceCause runs sc on the profile and contexts closest to the input.
func reproduceCause(ctx context.Context, opt Options, sc *scenarios.Scenario, cr *CauseRepro) error {
	allowed := sc.OS
	if opt.Profiles != nil {
		allowed = nil
		for _, p := range opt.Profiles {
			if sc.AppliesTo(p) {
				allowed = append(allowed, p)
			}
		}
		if len(allowed) == 0 {
			return fmt.Errorf("scenario %s runs on %s: the lab has none of them (it has %s)", sc.Name, strings.Join(sc.OS, ", "), strings.Join(opt.Profiles, ", "))
		}
	}
	ch, err := PickProfile(opt.Input, allowed)
	if err != nil {
		return err
	}
	cr.Profile = ch
	cr.Contexts, cr.ContextWhy = PickContexts(opt.Input, sc.Contexts)
	open := opt.Open
	if open == nil {
		open = openSim
	}
	pool, labName, closeLab, err := open(ch.Name)
	if err != nil {
		return err
	}
	defer closeLab()
	cr.Lab = labName
	var hosts []scenarios.Host
	for _, h := range pool.Hosts() {
		hosts = append(hosts, scenarios.Host{Name: h.Spec.Name, OS: h.Spec.OS})
	}
	cells := scenarios.Expand([]*scenarios.Scenario{sc}, hosts, scenarios.Filter{OS: []string{ch.Name}, Contexts: cr.Contexts})
	if len(cells) == 0 {
		return fmt.Errorf("no cell of %s on %s in %s", sc.Name, ch.Name, strings.Join(cr.Contexts, ", "))
	}
	runDir := filepath.Join(opt.Out, "run-"+cr.Cause)
	sum, err := runner.Run(ctx, pool, cells, runner.Options{Out: runDir, Parallel: 1, Remediate: true, Lab: labName, ToolVersion: opt.ToolVersion})
	if sum == nil {
		return err
	}
	for _, c := range sum.Cells {
		cr.Cells = append(cr.Cells, cellRepro(opt, runDir, c))
	}
	return err
}

// openSim starts the embedded simulated lab with one host of the profile.
func openSim(os string) (*lab.Pool, string, func(), error) {
	sl, err := simlab.Start(simlab.Options{OS: []string{os}})
	if err != nil {
		return nil, "", nil, err
	}
	return lab.NewPool(sl.Hosts()), "embedded simulated lab", sl.Close, nil
}

func cellRepro(opt Options, runDir string, c results.CellResult) CellRepro {
	x := CellRepro{ID: c.ID, Status: c.Status, Reason: c.Reason, Context: c.Context}
	if c.Evidence != "" {
		rel, _ := filepath.Rel(opt.Out, filepath.Join(runDir, c.Evidence))
		x.Evidence = rel
		dir := filepath.Join(runDir, c.Evidence)
		logText, err := os.ReadFile(filepath.Join(dir, "msiexec.log"))
		if err == nil {
			var events []ops.Event
			if b, err := os.ReadFile(filepath.Join(dir, "events.json")); err == nil {
				_ = json.Unmarshal(b, &events)
			}
			x.Comparison = Compare(opt.Input, string(logText), c.Observed.ExitCode, events)
		}
	}
	x.Fix, x.FixVerified = fixWords(c.Remediation)
	return x
}

// fixWords is the fix the closed loop verified on the reproduction.
func fixWords(r *results.Remediation) (string, bool) {
	switch r.Outcome() {
	case "":
		return "fix n/a: the runner did not remediate this cell (no failure was reproduced)", false
	case results.OutcomeNotApplicable:
		return "fix n/a: " + r.NotApplicable, false
	case results.OutcomeRecovered:
		var names []string
		for _, f := range r.Fixes {
			if f.Verified && !f.RolledBack {
				names = append(names, f.Name)
			}
		}
		s := strings.Join(names, ", ")
		if s == "" {
			s = "none needed"
		}
		if r.RunAs != "" {
			s += fmt.Sprintf(" (rerun as %s)", r.RunAs)
		}
		return s + fmt.Sprintf(": verified, the rerun exited %d and the host is back to its baseline", r.Rerun.ExitCode), true
	}
	return fmt.Sprintf("not verified (%s): %s", r.Outcome(), r.Reason), false
}
