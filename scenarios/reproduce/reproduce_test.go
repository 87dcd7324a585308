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

// causeRepro returns the report's reproduction of cause id.
func causeRepro(t *testing.T, rep *Report, id string) CauseRepro {
	t.Helper()
	i := slices.IndexFunc(rep.Causes, func(c CauseRepro) bool { return c.Cause == id })
	if i < 0 || len(rep.Causes[i].Cells) == 0 {
		t.Fatalf("cause %s not reproduced: %+v", id, rep.Causes)
	}
	return rep.Causes[i]
}

// An excerpt whose lines are a client's (exit 1603) but whose property
// dump says a server (MsiNTProductType 3) is reproduced on a server
// profile, where a non-elevated install is rejected with 1625: the
// exit code and the lines are reported as differences, not a match.
func TestReproducePlantedOtherProfile(t *testing.T) {
	raw, err := os.ReadFile("testdata/excerpts/per-machine-not-elevated.txt")
	if err != nil {
		t.Fatal(err)
	}
	planted := append([]byte("Property(S): MsiNTProductType = 3\r\n"), raw...)
	rep := reproduceText(t, "planted-server.txt", planted)
	c := causeRepro(t, rep, "per-machine-not-elevated")
	if !strings.HasPrefix(c.Profile.Name, "server") || !slices.ContainsFunc(c.Profile.Why, func(s string) bool { return strings.Contains(s, "MsiNTProductType = 3") }) {
		t.Errorf("profile %s, why %v: want a server, from MsiNTProductType", c.Profile.Name, c.Profile.Why)
	}
	if c.Match() {
		t.Fatalf("a client's signature reproduced on %s matches: %+v", c.Profile.Name, c.Cells[0].Comparison)
	}
	cmp := c.Cells[0].Comparison
	if cmp.InputExit != 1603 || cmp.ReproExit != 1625 || !slices.ContainsFunc(cmp.Differences, func(s string) bool { return strings.Contains(s, "exit is 1603") }) {
		t.Errorf("exit: input %d, reproduction %d, differences %q", cmp.InputExit, cmp.ReproExit, cmp.Differences)
	}
	// The same excerpt without the planted line matches on a client.
	if c := causeRepro(t, reproduceText(t, "client.txt", raw), "per-machine-not-elevated"); !c.Match() || strings.HasPrefix(c.Profile.Name, "server") {
		t.Errorf("the unplanted excerpt: profile %s, match %v", c.Profile.Name, c.Match())
	}
}

// An excerpt whose 2203 note names another system error (-2147287037,
// path not found, for the 2503 marker's -2147287035, access denied) is
// reported as that note's argument differing, not a match.
func TestReproducePlantedNoteArgument(t *testing.T) {
	raw, err := os.ReadFile("testdata/excerpts/temp-acl.txt")
	if err != nil {
		t.Fatal(err)
	}
	planted := strings.Replace(string(raw), "3: -2147287035", "3: -2147287037", 1)
	if planted == string(raw) {
		t.Fatal("nothing planted")
	}
	rep := reproduceText(t, "planted-arg.txt", []byte(planted))
	c := causeRepro(t, rep, "temp-acl")
	if c.Match() {
		t.Fatal("a different note argument matches")
	}
	cmp := c.Cells[0].Comparison
	i := slices.IndexFunc(cmp.Rows, func(r Row) bool { return r.Status == RowDiffers })
	if i < 0 {
		t.Fatalf("no row differs: %+v", cmp.Rows)
	}
	r := cmp.Rows[i]
	if r.Input.What != "2203" || !strings.Contains(r.Why, `argument 3: "-2147287037" in the input, "-2147287035" in the reproduction`) {
		t.Errorf("row %+v: %s", r, r.Why)
	}
}
