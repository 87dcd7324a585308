// Package report renders a run's cell results for people and for CI: a
// self-contained HTML matrix with each cell's evidence (report.html), JUnit
// XML (junit.xml) and a Markdown summary (summary.md). The cells are
// ordered by scenario, OS profile and install context whatever order they
// finished in, so the same results always give the same files.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// Run is one run of a scenario matrix, as the reports show it.
type Run struct {
	ID          string
	Started     time.Time
	Duration    time.Duration
	ToolVersion string
	// Lab is "embedded simulated lab" or the inventory file.
	Lab string
	// Shard is "i/n" when the matrix was sharded ("" when not).
	Shard string
	Cells []results.CellResult
	// Logs maps a cell ID to its verbose log text; a cell without one falls
	// back to its Observed.Log, then to its Observed.Run.
	Logs map[string]string
	// Scenarios maps a scenario name to its definition (optional): the HTML
	// report then shows each scenario's summary and references.
	Scenarios map[string]*scenarios.Scenario
	// Calibration maps a cell ID to its comparison with a simulated host
	// of the same profile (msilab run --calibrate; nil: none): the HTML
	// report adds a calibration column.
	Calibration map[string]*results.Calibration
	// Quarantined are the hosts taken out of the run because they could
	// not be shown back at their baseline, and why.
	Quarantined map[string]string
}

// File names WriteAll writes.
const (
	FileHTML     = "report.html"
	FileJUnit    = "junit.xml"
	FileMarkdown = "summary.md"
)

// ErrDuplicateCell is returned when two cells of a run share an ID.
var ErrDuplicateCell = errors.New("report: duplicate cell id")

// WriteAll writes report.html, junit.xml and summary.md into dir,
// creating it if needed. dir is the run's output directory: the HTML
// report links each cell's evidence bundle by its Evidence path, which is
// relative to that directory.
func WriteAll(dir string, r Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer, Run) error
	}{
		{FileHTML, WriteHTML},
		{FileJUnit, WriteJUnit},
		{FileMarkdown, WriteMarkdown},
	} {
		if err := writeFile(filepath.Join(dir, f.name), r, f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, r Run, write func(io.Writer, Run) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Counts are a run's cells by status.
type Counts struct {
	Total, Pass, Fail, Infra, Skip int
	// Other counts cells with a status that is none of the four.
	Other int
}

// Count counts cells by status.
func Count(cells []results.CellResult) Counts {
	var n Counts
	for i := range cells {
		n.Total++
		switch cells[i].Status {
		case results.StatusPass:
			n.Pass++
		case results.StatusFail:
			n.Fail++
		case results.StatusInfra:
			n.Infra++
		case results.StatusSkip:
			n.Skip++
		default:
			n.Other++
		}
	}
	return n
}

// grid is a run's cells arranged for the matrix: rows are scenarios,
// columns OS profiles, and each grid cell holds the cells of its scenario
// and OS, one per context, in context order.
type grid struct {
	scenarios []string
	oses      []string
	cells     map[[2]string][]*results.CellResult
	// multi is true for a scenario row whose cells span several contexts,
	// or whose only context is not the default: its cells are labelled.
	multi map[string]bool
	// sorted is every cell in row, column, context order.
	sorted []*results.CellResult
}

func newGrid(cells []results.CellResult) (*grid, error) {
	g := &grid{cells: map[[2]string][]*results.CellResult{}, multi: map[string]bool{}}
	seen := map[string]bool{}
	contexts := map[string]map[string]bool{}
	for i := range cells {
		c := &cells[i]
		if seen[c.ID] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateCell, c.ID)
		}
		seen[c.ID] = true
		g.sorted = append(g.sorted, c)
		if contexts[c.Scenario] == nil {
			contexts[c.Scenario] = map[string]bool{}
			g.scenarios = append(g.scenarios, c.Scenario)
		}
		contexts[c.Scenario][c.Context] = true
		if !slices.Contains(g.oses, c.OS) {
			g.oses = append(g.oses, c.OS)
		}
	}
	slices.Sort(g.scenarios)
	slices.Sort(g.oses)
	slices.SortFunc(g.sorted, func(a, b *results.CellResult) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(a.OS, b.OS),
			compareContexts(a.Context, b.Context), cmp.Compare(a.ID, b.ID))
	})
	for _, c := range g.sorted {
		k := [2]string{c.Scenario, c.OS}
		g.cells[k] = append(g.cells[k], c)
	}
	for s, ctx := range contexts {
		g.multi[s] = len(ctx) > 1 || !ctx[ops.ContextAdminElevated] && !ctx[""]
	}
	return g, nil
}

// compareContexts orders install contexts as ops.Contexts does, unknown
// ones after them by name.
func compareContexts(a, b string) int {
	ia, ib := contextRank(a), contextRank(b)
	if ia != ib {
		return cmp.Compare(ia, ib)
	}
	return cmp.Compare(a, b)
}

func contextRank(c string) int {
	if c == "" {
		c = ops.ContextAdminElevated
	}
	if i := slices.Index(ops.Contexts, c); i >= 0 {
		return i
	}
	return len(ops.Contexts)
}

// quarantinedHosts are the run's quarantined hosts, sorted.
func quarantinedHosts(r *Run) []string {
	hosts := make([]string, 0, len(r.Quarantined))
	for h := range r.Quarantined {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	return hosts
}

// quarantineOf is the quarantine of a cell's host when the cell's result
// rests on it: its reason (the host was refused to it) or one of its
// reconciliations (its attempt left the host that could not be brought
// back) names it. "" when none does.
func quarantineOf(r *Run, c *results.CellResult) string {
	why := r.Quarantined[c.Host]
	if c.Host == "" || why == "" || c.Status == results.StatusPass || c.Status == results.StatusSkip {
		return ""
	}
	names := func(s string) bool { return strings.Contains(oneLine(s), oneLine(why)) }
	if names(c.Reason) || slices.ContainsFunc(c.Reconciled, names) {
		return why
	}
	return ""
}

// failedChecks lists the names of a cell's checks that did not pass.
func failedChecks(c *results.CellResult) []string {
	var names []string
	for _, ch := range c.Checks {
		if !ch.OK {
			names = append(names, ch.Name)
		}
	}
	return names
}

// exitMismatch is true when the observed exit code differs from the
// expected one (which is then what the matrix shows as "0≠1603").
func exitMismatch(c *results.CellResult) bool {
	for _, ch := range c.Checks {
		if ch.Name == "exit_code" {
			return !ch.OK
		}
	}
	return len(c.Checks) > 0 && c.Observed.ExitCode != c.Expected.ExitCode
}

// statusClass is the CSS class and short word of a status.
func statusClass(status string) string {
	switch status {
	case results.StatusPass:
		return "pass"
	case results.StatusFail:
		return "fail"
	case results.StatusInfra:
		return "infra"
	case results.StatusSkip:
		return "skip"
	}
	return "other"
}

// shortContext is the label of a context in the HTML grid.
func shortContext(c string) string {
	switch c {
	case "", ops.ContextAdminElevated:
		return "elevated"
	case ops.ContextAdminFiltered:
		return "filtered"
	case ops.ContextStandardUser:
		return "user"
	case ops.ContextSystem:
		return "system"
	}
	return c
}

// contextName is a context as results show it ("" is admin-elevated).
func contextName(c string) string {
	if c == "" {
		return ops.ContextAdminElevated
	}
	return c
}

// seconds formats a duration as JUnit and people read it: seconds with
// millisecond precision.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// human formats a duration rounded for reading.
func human(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// oneLine folds a text onto one line (for table cells and attributes).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// cellLog is the verbose log of a cell: from the run's Logs, else the
// cell's own observation.
func cellLog(r *Run, c *results.CellResult) string {
	if l, ok := r.Logs[c.ID]; ok {
		return l
	}
	if c.Observed.Log != "" {
		return c.Observed.Log
	}
	if c.Observed.Run != nil {
		return c.Observed.Run.Log
	}
	return ""
}

// Remediation outcomes, as results.Remediation.Outcome names them.
const (
	remRecovered     = results.OutcomeRecovered     // the rerun succeeded, the host is back to its baseline
	remNotApplicable = results.OutcomeNotApplicable // no host fix applies (a package problem)
	remOverBroad     = results.OutcomeOverBroad     // a right broader than the default was left behind
	remNotRecovered  = results.OutcomeNotRecovered  // a fix or the rerun failed
)

// remedyOutcome is what a cell's remediation came to ("" when none ran).
func remedyOutcome(c *results.CellResult) string {
	return c.Remediation.Outcome()
}

// remedyMark is the short word of an outcome: the grid box's mark and the
// Markdown matrix's note.
func remedyMark(outcome string) string {
	switch outcome {
	case remRecovered:
		return "fixed"
	case remNotApplicable:
		return "fix n/a"
	case remOverBroad:
		return "over-broad"
	case remNotRecovered:
		return "not fixed"
	}
	return ""
}

// remedyWords is an outcome in words.
func remedyWords(outcome string) string {
	switch outcome {
	case remRecovered:
		return "recovered"
	case remNotApplicable:
		return "no host fix applies"
	case remOverBroad:
		return "not recovered (over-broad rights)"
	case remNotRecovered:
		return "not recovered"
	}
	return ""
}

// remedyArrow is "→<exit code>" of the install rerun after the fixes
// ("" when there was none, or no host fix applied).
func remedyArrow(c *results.CellResult) string {
	r := c.Remediation
	if r == nil || r.Rerun == nil || r.Outcome() == remNotApplicable {
		return ""
	}
	return "→" + strconv.Itoa(r.Rerun.ExitCode)
}

// RemedyCounts are a run's remediated cells by outcome.
type RemedyCounts struct {
	Total, Recovered, NotApplicable, NotRecovered int
}

// CountRemediation counts the cells whose remediation ran, by outcome (an
// over-broad fix is not recovered).
func CountRemediation(cells []results.CellResult) RemedyCounts {
	var n RemedyCounts
	for i := range cells {
		switch remedyOutcome(&cells[i]) {
		case "":
			continue
		case remRecovered:
			n.Recovered++
		case remNotApplicable:
			n.NotApplicable++
		default:
			n.NotRecovered++
		}
		n.Total++
	}
	return n
}

// fixState is how a fix ended, in words: "verified", "rolled back"...
func fixState(f *results.Fix) string {
	var s []string
	switch {
	case f.Verified:
		s = append(s, "verified")
	case f.Error != "" || f.RolledBack:
		s = append(s, "not verified")
	default:
		s = append(s, "unverified")
	}
	if f.RolledBack {
		s = append(s, "rolled back")
	}
	return strings.Join(s, ", ")
}

// percent formats a confidence (0 to 1) as a whole percentage.
func percent(f float64) string {
	return strconv.Itoa(int(f*100+0.5)) + "%"
}

// rebootNote is what the reports add to an exit code whose run needs a
// restart (3010, 1641): " (reboot required)", else "".
func rebootNote(o *results.Observed) string {
	if o != nil && o.RebootRequired {
		return " (reboot required)"
	}
	return ""
}
