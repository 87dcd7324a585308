package reproduce

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/runner"
)

func reproduceText(t *testing.T, name string, raw []byte) *Report {
	t.Helper()
	out := t.TempDir()
	rep, err := Run(context.Background(), Options{Input: msilog.ParseString(string(raw)), Raw: raw, Name: name, Out: out,
		Recipe: "msilab diagnose --log " + name + " --reproduce"})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, f := range []string{FileReport, FileMarkdown, FileRecipe, InputFile(name)} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: the bundle has no %s: %v", name, f, err)
		}
	}
	return rep
}

// simLog runs one cell of a built-in scenario on the embedded simulated
// lab and returns the log msiexec wrote.
func simLog(t *testing.T, sc *scenarios.Scenario) (string, string) {
	t.Helper()
	prof := "win11-24h2"
	if !sc.AppliesTo(prof) {
		prof = sc.OS[0]
	}
	ctxs := sc.Contexts
	if len(ctxs) == 0 {
		ctxs = []string{"admin-elevated"}
	}
	pool, _, closeLab, err := openSim(prof)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLab()
	cells := scenarios.Expand([]*scenarios.Scenario{sc}, []scenarios.Host{{OS: prof}}, scenarios.Filter{Contexts: ctxs[:1]})
	out := t.TempDir()
	sum, err := runner.Run(context.Background(), pool, cells, runner.Options{Out: out, Parallel: 1})
	if err != nil || len(sum.Cells) != 1 || sum.Cells[0].Evidence == "" {
		t.Fatalf("%s: %v %+v", sc.Name, err, sum)
	}
	b, err := os.ReadFile(filepath.Join(out, sum.Cells[0].Evidence, "msiexec.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), sum.Cells[0].ID
}


// scenarioCauses are the causes that name a built-in scenario, with it.
func scenarioCauses(t *testing.T) map[string]*scenarios.Scenario {
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*scenarios.Scenario{}
	for _, c := range remediation.Causes() {
		if c.Scenario == "" {
			continue
		}
		i := slices.IndexFunc(scs, func(s *scenarios.Scenario) bool { return s.Name == c.Scenario })
		if i < 0 {
			t.Errorf("cause %s names scenario %s, which is not built in", c.ID, c.Scenario)
			continue
		}
		out[c.ID] = scs[i]
	}
	if len(out) < 10 {
		t.Fatalf("only %d causes name a scenario", len(out))
	}
	return out
}

// reproduced checks that the report reproduced cause id with a matching
// signature and named the fix verified on the reproduction (or "fix n/a"
// with the reason).
func reproduced(t *testing.T, name string, rep *Report, id string) {
	t.Helper()
	i := slices.IndexFunc(rep.Causes, func(c CauseRepro) bool { return c.Cause == id })
	if i < 0 {
		t.Errorf("%s: cause %s not reproduced (%s)", name, id, rep.Why)
		return
	}
	c := rep.Causes[i]
	if !c.Match() {
		for _, x := range c.Cells {
			if x.Comparison != nil {
				t.Errorf("%s: %s on %s: the signature differs: %s", name, id, x.ID, strings.Join(x.Comparison.Differences, "; "))
			} else {
				t.Errorf("%s: %s on %s: nothing compared (%s: %s) %s", name, id, x.ID, x.Status, x.Reason, c.Error)
			}
		}
		if len(c.Cells) == 0 {
			t.Errorf("%s: %s: no cell ran: %s", name, id, c.Error)
		}
		return
	}
	for _, x := range c.Cells {
		if x.Comparison == nil || !x.Comparison.Match {
			continue
		}
		if !x.FixVerified && !strings.HasPrefix(x.Fix, "fix n/a: ") {
			t.Errorf("%s: %s on %s: no verified fix: %s", name, id, x.ID, x.Fix)
		}
		if cause, _ := remediation.LookupCause(id); len(cause.Fixes) == 0 != strings.HasPrefix(x.Fix, "fix n/a: ") {
			t.Errorf("%s: %s: fix %q, the cause's fixes %v (%s)", name, id, x.Fix, cause.Fixes, cause.NoFix)
		}
	}
}

// --reproduce on the simulator's own log of each built-in failing
// scenario reproduces a matching signature and names the verified fix:
// every cause that names a scenario (one that gets one later is covered
// without editing this test).
func TestReproduceSimOwnLog(t *testing.T) {
	for id, sc := range scenarioCauses(t) {
		t.Run(id, func(t *testing.T) {
			log, cell := simLog(t, sc)
			rep := reproduceText(t, cell+".log", []byte(log))
			reproduced(t, cell, rep, id)
		})
	}
}

// --reproduce on a hand-written excerpt (testdata/excerpts/<cause>.txt:
// our own paths, names, pids and times, in the shape the cause's lines
// have) of each cause that names a scenario reproduces a matching
// signature and names the verified fix.
func TestReproduceHandExcerpt(t *testing.T) {
	for id := range scenarioCauses(t) {
		t.Run(id, func(t *testing.T) {
			file := filepath.Join("testdata", "excerpts", id+".txt")
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("cause %s names a scenario but has no hand-written excerpt: %v", id, err)
			}
			rep := reproduceText(t, file, raw)
			reproduced(t, file, rep, id)
		})
	}
}
