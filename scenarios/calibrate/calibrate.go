// Package calibrate compares a lab's cells with the same cells on
// simulated hosts of the same OS profiles (msilab run --calibrate): where
// they disagree on the exit code, the message sequence, the log's
// signature lines or the events, the real host refutes the simulator, and
// the engine rules that decided the simulated outcome (with their evidence
// labels) are the ones to revisit. It writes calibration.json and
// calibration.md.
package calibrate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/sim/installer"
	"github.com/msilab/msilab/scenarios/results"
)

// File names Write writes.
const (
	FileJSON     = "calibration.json"
	FileMarkdown = "calibration.md"
)

// Compare pairs the lab's cells with the simulated ones by ID and
// compares each pair.
func Compare(host, sim []results.CellResult) map[string]*results.Calibration {
	simByID := map[string]*results.CellResult{}
	for i := range sim {
		simByID[sim[i].ID] = &sim[i]
	}
	out := map[string]*results.Calibration{}
	for i := range host {
		out[host[i].ID] = compareCell(&host[i], simByID[host[i].ID])
	}
	return out
}

func compareCell(h, s *results.CellResult) *results.Calibration {
	cal := &results.Calibration{ID: h.ID, Scenario: h.Scenario, OS: h.OS, Context: h.Context, Host: h.Host}
	cal.HostRules = rulesOf(h.Observed)
	if s == nil {
		cal.Note = "the simulated run has no such cell"
		return cal
	}
	cal.SimHost = s.Host
	cal.Rules = rulesOf(s.Observed)
	for _, side := range []struct {
		who string
		c   *results.CellResult
	}{{"the lab host", h}, {"the simulated host", s}} {
		switch {
		case side.c.Status == results.StatusInfra || side.c.Status == results.StatusSkip:
			cal.Note = side.who + "'s cell is " + side.c.Status + ": " + side.c.Reason
			return cal
		case len(side.c.Checks) == 0:
			cal.Note = side.who + "'s cell failed before its install: " + side.c.Reason
			return cal
		}
	}
	cal.Compared = true
	diff := func(signal, hv, sv string) {
		if hv != sv {
			cal.Differences = append(cal.Differences, results.Difference{Signal: signal, Host: hv, Sim: sv})
		}
	}
	diff(results.SignalExitCode, strconv.Itoa(h.Observed.ExitCode), strconv.Itoa(s.Observed.ExitCode))
	diff(results.SignalMessages, ints(h.Observed.Messages), ints(s.Observed.Messages))
	diff(results.SignalLog, signature(h), signature(s))
	diff(results.SignalEvents, ints(h.Observed.Events), ints(s.Observed.Events))
	cal.Agree = len(cal.Differences) == 0
	return cal
}

// signature says which of the cell's signature lines (the expectation's
// log and not_log lines) its verbose log holds, in words.
func signature(c *results.CellResult) string {
	log := c.Observed.Log
	if log == "" && c.Observed.Run != nil {
		log = c.Observed.Run.Log
	}
	var found, missing []string
	for _, l := range slices.Concat(c.Expected.Log, c.Expected.NotLog) {
		if strings.Contains(log, l) {
			found = append(found, strconv.Quote(l))
		} else {
			missing = append(missing, strconv.Quote(l))
		}
	}
	var parts []string
	if len(found) > 0 {
		parts = append(parts, "has "+strings.Join(found, ", "))
	}
	if len(missing) > 0 {
		parts = append(parts, "lacks "+strings.Join(missing, ", "))
	}
	if log == "" {
		parts = append(parts, "no verbose log")
	}
	return strings.Join(parts, "; ")
}

func ints(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// rulesOf names the rules a simulated engine reported for the install,
// with their labels (none for a real host).
func rulesOf(o results.Observed) []results.RuleRef {
	if o.Run == nil {
		return nil
	}
	var out []results.RuleRef
	for _, id := range o.Run.Rules {
		ref := results.RuleRef{ID: id, Label: "?"}
		if r, ok := installer.LookupRule(id); ok {
			ref.Label, ref.Sources = r.Label, r.Sources
		}
		out = append(out, ref)
	}
	return out
}

// Report is what calibration.json holds.
type Report struct {
	// Lab is the lab compared; Sim describes the simulated twins.
	Lab string `json:"lab"`
	Sim string `json:"sim"`
	// Cells, Compared, Disagree count the cells.
	Cells    int `json:"cells"`
	Compared int `json:"compared"`
	Disagree int `json:"disagree"`
	// Rules are the simulator's rules involved in a disagreement, with
	// how many disagreeing cells each decided.
	Rules []RuleCount `json:"rules,omitempty"`
	// Disagreements and NotCompared list those cells; Agree lists the
	// IDs of the cells that agree.
	Disagreements []*results.Calibration `json:"disagreements"`
	NotCompared   []*results.Calibration `json:"not_compared,omitempty"`
	Agree         []string               `json:"agree"`
}

// RuleCount is a rule and the disagreeing cells it decided.
type RuleCount struct {
	results.RuleRef
	Cells []string `json:"cells"`
}

// Summarize orders the comparisons into a Report.
func Summarize(lab, sim string, cals map[string]*results.Calibration) *Report {
	rep := &Report{Lab: lab, Sim: sim, Disagreements: []*results.Calibration{}, Agree: []string{}}
	ids := make([]string, 0, len(cals))
	for id := range cals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byRule := map[string]*RuleCount{}
	for _, id := range ids {
		c := cals[id]
		rep.Cells++
		switch {
		case !c.Compared:
			rep.NotCompared = append(rep.NotCompared, c)
			continue
		case c.Agree:
			rep.Agree = append(rep.Agree, id)
		default:
			rep.Disagreements = append(rep.Disagreements, c)
			for _, r := range slices.Concat(c.Rules, c.HostRules) {
				rc := byRule[r.ID]
				if rc == nil {
					rc = &RuleCount{RuleRef: r}
					byRule[r.ID] = rc
				}
				if !slices.Contains(rc.Cells, id) {
					rc.Cells = append(rc.Cells, id)
				}
			}
		}
		rep.Compared++
	}
	rep.Disagree = len(rep.Disagreements)
	for _, rc := range byRule {
		rep.Rules = append(rep.Rules, *rc)
	}
	slices.SortFunc(rep.Rules, func(a, b RuleCount) int {
		return cmp.Or(cmp.Compare(len(b.Cells), len(a.Cells)), cmp.Compare(a.ID, b.ID))
	})
	return rep
}

// Write writes calibration.json and calibration.md into dir.
func Write(dir string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileJSON), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, FileMarkdown))
	if err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	if err := WriteMarkdown(f, rep); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	return nil
}

// WriteMarkdown writes the report for people: the counts, the rules
// involved, then each disagreeing cell with its signals and rules.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# msilab calibration\n\n%s against %s.\n\n", rep.Lab, rep.Sim)
	fmt.Fprintf(&b, "%d cells: %d compared, **%d disagree**, %d agree, %d not compared.\n\n",
		rep.Cells, rep.Compared, rep.Disagree, len(rep.Agree), len(rep.NotCompared))
	fmt.Fprintf(&b, "Each cell ran on the lab host and on a simulated host of the same OS profile; they are compared on the exit code, "+
		"the message sequence, the log's signature lines (the scenario's `log` and `not_log` lines) and the events. "+
		"Where a real host disagrees, it wins: the rules below decided the simulated outcome, and a G-labelled one is our inference "+
		"(docs/evidence.md).\n\n")
	if len(rep.Rules) > 0 {
		b.WriteString("## Rules involved\n\n| rule | label | disagreeing cells | evidence |\n|---|---|---|---|\n")
		for _, r := range rep.Rules {
			fmt.Fprintf(&b, "| `%s` | %s | %d | %s |\n", r.ID, md(r.Label), len(r.Cells), md(r.Sources))
		}
		b.WriteString("\n")
	}
	if rep.Disagree > 0 {
		b.WriteString("## Disagreements\n\n")
		for _, c := range rep.Disagreements {
			fmt.Fprintf(&b, "### %s\n\nlab host `%s`, simulated host `%s`\n\n| signal | lab host | simulator |\n|---|---|---|\n", c.ID, c.Host, c.SimHost)
			for _, d := range c.Differences {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", d.Signal, md(d.Host), md(d.Sim))
			}
			b.WriteString("\n")
			fmt.Fprintf(&b, "Simulator's rules: %s\n\n", rulesText(c.Rules))
			if len(c.HostRules) > 0 {
				fmt.Fprintf(&b, "The lab host is simulated too; its rules: %s\n\n", rulesText(c.HostRules))
			}
		}
	}
	if len(rep.NotCompared) > 0 {
		b.WriteString("## Not compared\n\n")
		for _, c := range rep.NotCompared {
			fmt.Fprintf(&b, "- %s: %s\n", c.ID, md(c.Note))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func rulesText(rs []results.RuleRef) string {
	if len(rs) == 0 {
		return "none reported"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = "`" + r.ID + "` (" + r.Label + ")"
	}
	return strings.Join(s, ", ")
}

// md escapes a table cell's text.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}
