package remediation_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
)

// updateCorpus rewrites testdata/corpus/sim from the simulator:
// go test ./remediation -run TestCorpusSimLogs -update-corpus
var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus/sim and the README's corpus table")

const corpusDir = "testdata/corpus"

// corpusProfiles are the OS profiles whose logs the corpus keeps: a client
// and a server (where an absent DisableMSI rejects non-elevated installs).
var corpusProfiles = []string{"win11-24h2", "server2022"}

// simLogName is a cell's log file in the corpus.
func simLogName(c scenarios.Cell) string {
	return c.Scenario.Name + "__" + c.Host.OS + "__" + c.Context + ".log"
}

// corpusCells are the built-in cells on the corpus profiles.
func corpusCells(t *testing.T) []scenarios.Cell {
	t.Helper()
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var hosts []scenarios.Host
	for _, p := range corpusProfiles {
		hosts = append(hosts, scenarios.Host{Name: p, OS: p})
	}
	var out []scenarios.Cell
	for _, c := range scenarios.Expand(scs, hosts, scenarios.Filter{}) {
		if c.Scenario.UI == ops.UIFull {
			continue // someone must answer its prompt
		}
		out = append(out, c)
	}
	return out
}

// The corpus holds the simulator's own log of every built-in scenario
// (each cell on the corpus profiles): with -update-corpus the cells are
// run and their logs written; otherwise every cell must have its file.
func TestCorpusSimLogs(t *testing.T) {
	cells := corpusCells(t)
	dir := filepath.Join(corpusDir, "sim")
	if *updateCorpus {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range corpusProfiles {
			l := newSimLab(t, p)
			for _, c := range cells {
				if c.Host.OS != p {
					continue
				}
				l.reset()
				tgt := l.target(c.Context)
				sc := c.Scenario
				if sc.Action == "uninstall" {
					l.install(sc.Package, ops.ContextAdminElevated, nil, "")
				}
				for _, spec := range sc.Faults {
					l.inject(spec.Type, spec.Params, tgt)
				}
				var run ops.MsiRun
				if sc.Action == "uninstall" {
					run = l.uninstall(sc.Package, c.Context)
				} else {
					run = l.installLogon(sc.Package, c.Context, sc.Logon, sc.Properties, sc.UI)
				}
				if run.ExitCode != c.Expect.ExitCode {
					t.Errorf("%s: exit %d, want %d", c.ID, run.ExitCode, c.Expect.ExitCode)
				}
				if err := os.WriteFile(filepath.Join(dir, simLogName(c)), []byte(run.Log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	have, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	seen := map[string]bool{}
	for _, c := range cells {
		name := filepath.Join(dir, simLogName(c))
		if !slices.Contains(have, name) {
			t.Errorf("no corpus log for %s: run go test ./remediation -run TestCorpusSimLogs -update-corpus", c.ID)
		}
		seen[name] = true
	}
	for _, h := range have {
		if !seen[h] {
			t.Errorf("%s is no built-in cell's log any more: regenerate with -update-corpus", h)
		}
	}
	scs, _ := scenarios.Builtin()
	for _, sc := range scs {
		if sc.UI != ops.UIFull && !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(filepath.Base(h), sc.Name+"__") }) {
			t.Errorf("built-in scenario %s has no log in the corpus", sc.Name)
		}
	}
}
