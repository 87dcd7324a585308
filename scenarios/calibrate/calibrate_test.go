package calibrate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/results"
)

func cell(id, status string, exit int, log string, rules ...string) results.CellResult {
	return results.CellResult{ID: id, Status: status, Host: "h", Checks: []results.Check{{Name: "exit_code", OK: true}},
		Expected: results.Expected{Log: []string{"Note: 1: 2503"}},
		Observed: results.Observed{ExitCode: exit, Log: log, Run: &ops.MsiRun{Rules: rules}}}
}

// Cells agree when every signal matches; an infrastructure error or a
// missing simulated cell is not compared and says why; a difference in
// the signature lines alone is one; unknown rules keep their ID.
func TestCompare(t *testing.T) {
	host := []results.CellResult{
		cell("a", results.StatusPass, 1603, "x Note: 1: 2503 y"),
		cell("b", results.StatusInfra, 0, ""),
		cell("c", results.StatusPass, 0, ""),
		cell("d", results.StatusFail, 1603, "no signature"),
	}
	sim := []results.CellResult{
		cell("a", results.StatusPass, 1603, "Note: 1: 2503", "marker-denied-2503-2502"),
		cell("b", results.StatusPass, 0, ""),
		cell("d", results.StatusPass, 1603, "Note: 1: 2503", "no-such-rule"),
	}
	cals := Compare(host, sim)
	if c := cals["a"]; !c.Compared || !c.Agree || len(c.Rules) != 1 || c.Rules[0].Label == "?" {
		t.Errorf("a: %+v", c)
	}
	if c := cals["b"]; c.Compared || !strings.Contains(c.Note, "infra-error") {
		t.Errorf("b: %+v", c)
	}
	if c := cals["c"]; c.Compared || !strings.Contains(c.Note, "no such cell") {
		t.Errorf("c: %+v", c)
	}
	c := cals["d"]
	if !c.Compared || c.Agree || len(c.Differences) != 1 || c.Differences[0].Signal != results.SignalLog || c.Rules[0].Label != "?" {
		t.Errorf("d: %+v", c)
	}
	rep := Summarize("lab.yaml", "twins", cals)
	if rep.Cells != 4 || rep.Compared != 2 || rep.Disagree != 1 || len(rep.NotCompared) != 2 || len(rep.Rules) != 1 || rep.Rules[0].ID != "no-such-rule" {
		t.Errorf("summary %+v", rep)
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rep); err != nil || !strings.Contains(md.String(), "### d") || !strings.Contains(md.String(), "- b: the lab host's cell is infra-error") {
		t.Errorf("markdown: %v\n%s", err, md.String())
	}
}
