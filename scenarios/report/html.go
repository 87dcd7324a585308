package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/evidence"
	"github.com/msilab/msilab/scenarios/results"
)

// The page is one file: the stylesheet, the script and the data are
// inline, and nothing is loaded from anywhere else (no CDN, no web font),
// so it opens from a CI artifact or an e-mail attachment as it is.

//go:embed assets/report.html.tmpl
var pageTemplate string

//go:embed assets/report.css
var pageCSS string

//go:embed assets/report.js
var pageJS string

var page = template.Must(template.New("report").Parse(pageTemplate))

// MaxLogBytes bounds each verbose log embedded in the HTML report; a longer
// log keeps its first and last halves (the evidence bundle has it whole).
const MaxLogBytes = 1 << 20

// htmlPage is what the template renders: the header and the grid are HTML
// (readable without JavaScript), the evidence is data for the script.
type htmlPage struct {
	Title       string
	ID          string
	Started     string
	Duration    string
	Lab         string
	Shard       string
	ToolVersion string
	Counts      Counts
	// Remedy counts the cells whose remediation ran, by outcome.
	Remedy RemedyCounts
	OSes   []string
	Rows   []htmlRow
	CSS    template.CSS
	JS     template.JS
	// Data is the JSON of htmlData, with <, > and & escaped as \u003c...,
	// so no text in it (a log quoting "</script>") can end its element.
	Data template.JS
	// Calibrated adds the calibration column (msilab run --calibrate).
	Calibrated bool
	// Quarantined are the hosts taken out of the run, by name (section
	// #quarantined).
	Quarantined []htmlQuarantine
}

// htmlQuarantine is a quarantined host, why, and the cells whose result
// rests on it.
type htmlQuarantine struct {
	Host, Reason string
	Cells        []string
}

type htmlRow struct {
	Name    string
	Summary string
	Cols    [][]htmlBox
	// Calib is the row's calibration column: one line per cell that
	// disagrees with the simulator or could not be compared, else one
	// saying all agree.
	Calib []htmlCalib
}

type htmlCalib struct {
	Class, Text string
}

type htmlBox struct {
	ID, Class, Code, Ctx, Title string
	// Mark is the remediation's outcome in a word ("" when none ran),
	// MarkClass its class (rem-recovered, rem-not-applicable...).
	Mark, MarkClass string
}

// htmlData is the JSON the script reads.
type htmlData struct {
	Run       htmlRun                 `json:"run"`
	Cells     []htmlCell              `json:"cells"`
	Scenarios map[string]htmlScenario `json:"scenarios,omitempty"`
	// Files are the names of the evidence bundle's files, for links.
	Files htmlFiles `json:"files"`
}

type htmlRun struct {
	ID          string    `json:"id"`
	Started     time.Time `json:"started"`
	DurationNS  int64     `json:"duration_ns"`
	ToolVersion string    `json:"tool_version"`
	Lab         string    `json:"lab"`
	Shard       string    `json:"shard,omitempty"`
}

type htmlFiles struct {
	Log    string `json:"log"`
	Repro  string `json:"repro"`
	Cell   string `json:"cell"`
	Events string `json:"events"`
}

type htmlScenario struct {
	Summary    string   `json:"summary,omitempty"`
	References []string `json:"references,omitempty"`
	Evidence   string   `json:"evidence,omitempty"`
	File       string   `json:"file,omitempty"`
}

type htmlCell struct {
	*results.CellResult
	Log string `json:"log"`
	// LogNote says how the log was shortened, when it was.
	LogNote string `json:"log_note,omitempty"`
	// EventDetails are the events with their level and message, when the
	// cell still holds its MsiRun (results.jsonl keeps only the IDs);
	// RerunEventDetails the same for the remediation's rerun.
	EventDetails      []ops.Event `json:"event_details,omitempty"`
	RerunEventDetails []ops.Event `json:"rerun_event_details,omitempty"`
	// Calibration is the cell against the simulator (--calibrate).
	Calibration *results.Calibration `json:"calibration,omitempty"`
}

// WriteHTML writes the run as one self-contained HTML page: a header with
// the counts, the quarantined hosts (element #quarantined: each host, why,
// and the cells whose result rests on it), the scenario × OS matrix as a grid of coloured boxes (one per
// context, each with its observed exit code; element #matrix, each box with
// data-cell="<cell id>"; a remediated cell's box adds the rerun's exit
// code, "1603→0", and the outcome, "fixed", "fix n/a", "not fixed" or
// "over-broad"), and an evidence panel for the box clicked (or named in
// the address as #cell=<id>): expectation and observation, each check, the
// remediation (findings, the fixes in order with their PowerShell, the
// rerun, the host state before the fault and after the fixes, over-broad
// rights), the verbose log with its signature lines marked, the events,
// state before and after, faults, WinRM command count, the record and a
// link to the evidence bundle (a relative link: the page belongs in the
// run's output directory, see WriteAll).
func WriteHTML(w io.Writer, r Run) error {
	g, err := newGrid(r.Cells)
	if err != nil {
		return err
	}
	p := htmlPage{
		ID:          r.ID,
		Lab:         r.Lab,
		Shard:       r.Shard,
		ToolVersion: r.ToolVersion,
		Counts:      Count(r.Cells),
		Remedy:      CountRemediation(r.Cells),
		OSes:        g.oses,
		Calibrated:  r.Calibration != nil,
		CSS:         template.CSS(pageCSS),
		JS:          template.JS(pageJS),
	}
	p.Title = "msilab run"
	if r.ID != "" {
		p.Title += " " + r.ID
	}
	if !r.Started.IsZero() {
		p.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if r.Duration > 0 {
		p.Duration = human(r.Duration)
	}
	for _, h := range quarantinedHosts(&r) {
		q := htmlQuarantine{Host: h, Reason: oneLine(r.Quarantined[h])}
		for _, c := range g.sorted {
			if c.Host == h && quarantineOf(&r, c) != "" {
				q.Cells = append(q.Cells, c.ID)
			}
		}
		p.Quarantined = append(p.Quarantined, q)
	}
	for _, s := range g.scenarios {
		row := htmlRow{Name: s}
		if sc := r.Scenarios[s]; sc != nil {
			row.Summary = oneLine(sc.Summary)
		}
		for _, osName := range g.oses {
			var boxes []htmlBox
			for _, c := range g.cells[[2]string{s, osName}] {
				b := boxOf(c)
				if cal := r.Calibration[c.ID]; cal != nil {
					b.Title += "; calibration: " + calibWords(cal)
				}
				boxes = append(boxes, b)
				if p.Calibrated {
					row.Calib = append(row.Calib, calibLine(c, r.Calibration[c.ID])...)
				}
			}
			row.Cols = append(row.Cols, boxes)
		}
		if p.Calibrated && len(row.Calib) == 0 {
			row.Calib = []htmlCalib{{Class: "calib-agree", Text: "agrees with the simulator"}}
		}
		p.Rows = append(p.Rows, row)
	}

	data := htmlData{
		Run: htmlRun{ID: r.ID, Started: r.Started, DurationNS: int64(r.Duration), ToolVersion: r.ToolVersion,
			Lab: r.Lab, Shard: r.Shard},
		Files: htmlFiles{Log: evidence.FileLog, Repro: evidence.FileRepro, Cell: evidence.FileCell, Events: evidence.FileEvents},
	}
	for _, c := range g.sorted {
		hc := htmlCell{CellResult: c, Calibration: r.Calibration[c.ID]}
		hc.Log, hc.LogNote = trimLog(cellLog(&r, c))
		if c.Observed.Run != nil {
			hc.EventDetails = c.Observed.Run.Events
		}
		if rem := c.Remediation; rem != nil && rem.Rerun != nil && rem.Rerun.Run != nil {
			hc.RerunEventDetails = rem.Rerun.Run.Events
		}
		data.Cells = append(data.Cells, hc)
	}
	for name, sc := range r.Scenarios {
		if sc == nil {
			continue
		}
		if data.Scenarios == nil {
			data.Scenarios = map[string]htmlScenario{}
		}
		data.Scenarios[name] = htmlScenario{Summary: sc.Summary, References: sc.References, Evidence: sc.Evidence, File: sc.File}
	}
	raw, err := json.Marshal(data) // escapes <, > and & (and U+2028, U+2029)
	if err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	p.Data = template.JS(raw)

	var buf bytes.Buffer
	if err := page.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

// boxOf is a cell's box in the grid.
func boxOf(c *results.CellResult) htmlBox {
	b := htmlBox{ID: c.ID, Class: statusClass(c.Status), Ctx: shortContext(c.Context)}
	got, want := strconv.Itoa(c.Observed.ExitCode), strconv.Itoa(c.Expected.ExitCode)
	title := c.ID + ": " + c.Status
	switch c.Status {
	case results.StatusPass:
		b.Code = got
		title += ", exit code " + got + rebootNote(&c.Observed)
	case results.StatusFail:
		if len(c.Checks) == 0 { // it failed before its install could be checked
			b.Code = "fail"
			break
		}
		b.Code = got
		if exitMismatch(c) {
			b.Code += "≠" + want
		}
		title += ", exit code " + got + " (expected " + want + ")"
		if f := failedChecks(c); len(f) > 0 {
			title += ", failed: " + strings.Join(f, ", ")
		}
	case results.StatusInfra:
		b.Code = "infra"
	case results.StatusSkip:
		b.Code = "skip"
	default:
		b.Code = "?"
	}
	if c.Reason != "" {
		title += " — " + oneLine(c.Reason)
	}
	if out := remedyOutcome(c); out != "" {
		arrow := remedyArrow(c)
		if arrow != "" && (c.Status == results.StatusPass || c.Status == results.StatusFail) && len(c.Checks) > 0 && !exitMismatch(c) {
			b.Code += arrow
		}
		b.Mark, b.MarkClass = remedyMark(out), "rem-"+out
		title += "; remediation: " + remedyWords(out)
		if rem := c.Remediation; rem.Rerun != nil {
			title += ", rerun exit code " + strconv.Itoa(rem.Rerun.ExitCode) + rebootNote(rem.Rerun)
		}
		var fixes []string
		for _, f := range c.Remediation.Fixes {
			fixes = append(fixes, f.Name)
		}
		if len(fixes) > 0 {
			title += ", fixes: " + strings.Join(fixes, ", ")
		}
	}
	b.Title = title
	return b
}

// calibWords is a cell's calibration in words.
func calibWords(cal *results.Calibration) string {
	switch {
	case !cal.Compared:
		return "not compared: " + cal.Note
	case cal.Agree:
		return "agrees with the simulator"
	}
	var d []string
	for _, x := range cal.Differences {
		d = append(d, x.Signal+" (host "+x.Host+", simulator "+x.Sim+")")
	}
	s := "differs from the simulator on " + strings.Join(d, "; ")
	var rules []string
	for _, r := range cal.Rules {
		rules = append(rules, r.ID+" ["+r.Label+"]")
	}
	if len(rules) > 0 {
		s += "; simulator rules: " + strings.Join(rules, ", ")
	}
	return s
}

// calibLine is a cell's line in its row's calibration column: none when
// it agrees, or when it has no comparison.
func calibLine(c *results.CellResult, cal *results.Calibration) []htmlCalib {
	where := c.OS + "/" + shortContext(c.Context) + ": "
	switch {
	case cal == nil:
		return []htmlCalib{{Class: "calib-none", Text: where + "no simulated run"}}
	case !cal.Compared:
		return []htmlCalib{{Class: "calib-none", Text: where + "not compared: " + cal.Note}}
	case cal.Agree:
		return nil
	}
	return []htmlCalib{{Class: "calib-differs", Text: where + calibWords(cal)}}
}

// trimLog bounds a log to MaxLogBytes, keeping whole lines from its start
// and its end, and says what was left out.
func trimLog(log string) (string, string) {
	if len(log) <= MaxLogBytes {
		return log, ""
	}
	half := MaxLogBytes / 2
	head := log[:half]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	tail := log[len(log)-half:]
	if i := strings.IndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	omitted := len(log) - len(head) - len(tail)
	note := fmt.Sprintf("%d of %d bytes left out in the middle; the evidence bundle's %s has the whole log", omitted, len(log), evidence.FileLog)
	return head + "[… " + note + " …]\r\n" + tail, note
}
