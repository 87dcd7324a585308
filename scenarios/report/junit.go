package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/scenarios/results"
)

// JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one
// testsuite per scenario, one testcase per cell named "<os>/<context>".
// https://github.com/testmoapp/junitxml documents the common dialect.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Stamp    string       `xml:"timestamp,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Stamp      string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitProblem `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

// junitText is a multi-line text, as CDATA so its line ends stay readable
// in the file.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

// junitStamp is the timestamp format of the JUnit schema (no zone; UTC).
const junitStamp = "2006-01-02T15:04:05"

// WriteJUnit writes the run as JUnit XML: a pass is a passed testcase, a
// fail a <failure> (its reason as the message, the failed checks and the
// remediation in the body), an infra-error an <error> and a skipped cell a
// <skipped>. Each testcase's <system-out> sums the cell up, with its
// remediation: the findings, the fixes in order, the rerun, recovered or
// why not.
func WriteJUnit(w io.Writer, r Run) error {
	g, err := newGrid(r.Cells)
	if err != nil {
		return err
	}
	doc := junitSuites{Name: "msilab " + r.ID, Time: seconds(r.Duration)}
	if !r.Started.IsZero() {
		doc.Stamp = r.Started.UTC().Format(junitStamp)
	}
	props := []junitProperty{{"run", r.ID}, {"lab", r.Lab}, {"tool_version", r.ToolVersion}}
	if r.Shard != "" {
		props = append(props, junitProperty{"shard", r.Shard})
	}
	if hosts := quarantinedHosts(&r); len(hosts) > 0 {
		props = append(props, junitProperty{"quarantined_hosts", strings.Join(hosts, ", ")})
		for _, h := range hosts {
			props = append(props, junitProperty{"quarantined." + h, oneLine(r.Quarantined[h])})
		}
	}
	for _, name := range g.scenarios {
		s := junitSuite{Name: name, Properties: props}
		var total time.Duration
		var first time.Time
		for _, osName := range g.oses {
			for _, c := range g.cells[[2]string{name, osName}] {
				s.Cases = append(s.Cases, junitCaseOf(c, quarantineOf(&r, c)))
				s.Tests++
				switch c.Status {
				case results.StatusPass:
				case results.StatusFail:
					s.Failures++
				case results.StatusSkip:
					s.Skipped++
				default:
					s.Errors++
				}
				total += c.Duration
				if !c.Started.IsZero() && (first.IsZero() || c.Started.Before(first)) {
					first = c.Started
				}
			}
		}
		s.Time = seconds(total)
		if !first.IsZero() {
			s.Stamp = first.UTC().Format(junitStamp)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	return nil
}

// junitQuarantined is the error type of a cell whose host was quarantined.
const junitQuarantined = "quarantined"

// junitCaseOf is a cell's testcase; quarantine is the reason its host was
// quarantined when its result rests on that ("" when not): an
// infra-error is then an <error> of type "quarantined" with that reason
// as its message, and a failure's body says it.
func junitCaseOf(c *results.CellResult, quarantine string) junitCase {
	tc := junitCase{
		Name:      c.OS + "/" + contextName(c.Context),
		Classname: "msilab." + c.Scenario,
		Time:      seconds(c.Duration),
		SystemOut: &junitText{xmlSafe(cellText(c, quarantine))},
	}
	failed := failedChecks(c)
	switch c.Status {
	case results.StatusPass:
	case results.StatusFail:
		msg := c.Reason
		if msg == "" {
			msg = "expectation not met: " + strings.Join(failed, ", ")
		}
		body := checksText(c, false)
		if c.Remediation != nil {
			body += failureRemedy(c)
		}
		if quarantine != "" {
			body += "quarantined: " + oneLine(quarantine) + "\n"
		}
		tc.Failure = &junitProblem{Message: oneLine(msg), Type: strings.Join(failed, ","), Body: xmlSafe(body)}
	case results.StatusSkip:
		tc.Skipped = &junitProblem{Message: oneLine(c.Reason)}
	case results.StatusInfra:
		if quarantine != "" {
			body := "host: " + c.Host + "\n"
			if oneLine(c.Reason) != oneLine(quarantine) {
				body += "reason: " + oneLine(c.Reason) + "\n"
			}
			body += transportText(c) + checksText(c, false)
			tc.Error = &junitProblem{Message: oneLine(quarantine), Type: junitQuarantined, Body: xmlSafe(body)}
			break
		}
		tc.Error = &junitProblem{Message: oneLine(c.Reason), Type: results.StatusInfra, Body: xmlSafe(checksText(c, false))}
	default:
		tc.Error = &junitProblem{Message: oneLine("unknown status " + strconv.Quote(c.Status) + ": " + c.Reason), Type: c.Status}
	}
	return tc
}

// checksText lists a cell's checks, one per line; all of them or only the
// failed ones.
func checksText(c *results.CellResult, all bool) string {
	var b strings.Builder
	for _, ch := range c.Checks {
		if ch.OK && !all {
			continue
		}
		mark := "FAIL"
		if ch.OK {
			mark = "ok"
		}
		fmt.Fprintf(&b, "%-4s %s: want %s, got %s\n", mark, ch.Name, oneLine(ch.Want), oneLine(ch.Got))
	}
	return b.String()
}

// transportText lists a cell's transport errors and reconciliations,
// one per line.
func transportText(c *results.CellResult) string {
	var b strings.Builder
	for _, e := range c.TransportErrors {
		fmt.Fprintf(&b, "transport error: %s\n", oneLine(e))
	}
	for _, rc := range c.Reconciled {
		fmt.Fprintf(&b, "reconciled: %s\n", oneLine(rc))
	}
	return b.String()
}

// cellText is a cell's summary for a CI log: what was expected, what came,
// where the evidence is, and the quarantine of its host its result rests
// on ("" for none).
func cellText(c *results.CellResult, quarantine string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cell: %s\nstatus: %s\n", c.ID, c.Status)
	if c.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", oneLine(c.Reason))
	}
	if c.Host != "" {
		fmt.Fprintf(&b, "host: %s\n", c.Host)
	}
	if quarantine != "" {
		fmt.Fprintf(&b, "quarantined host: %s: %s\n", c.Host, oneLine(quarantine))
	}
	b.WriteString(transportText(c))
	if c.Status != results.StatusSkip {
		fmt.Fprintf(&b, "exit code: expected %d, observed %d%s\n", c.Expected.ExitCode, c.Observed.ExitCode, rebootNote(&c.Observed))
	}
	if c.Expected.Override != "" {
		fmt.Fprintf(&b, "override: %s\n", oneLine(c.Expected.Override))
	}
	if len(c.Checks) > 0 {
		b.WriteString("checks:\n")
		for _, line := range strings.SplitAfter(strings.TrimSuffix(checksText(c, true), "\n"), "\n") {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
	}
	if c.Remediation != nil {
		b.WriteString(remediationText(c))
	}
	if c.Evidence != "" {
		fmt.Fprintf(&b, "evidence: %s\n", c.Evidence)
	}
	return b.String()
}

// remediationText is a cell's remediation for a CI log (the PowerShell of
// each fix is in the HTML report and the evidence bundle):
//
//	remediation: recovered
//	  findings:
//	    installer-acl (confidence 90%): the in-progress marker ...
//	      evidence: ...
//	  fixes, in order:
//	    1. restore-installer-acl (low risk, for installer-acl): verified
//	  rerun: exit code 0
func remediationText(c *results.CellResult) string {
	r := c.Remediation
	var b strings.Builder
	out := remedyOutcome(c)
	fmt.Fprintf(&b, "remediation: %s\n", remedyWords(out))
	if r.NotApplicable != "" {
		fmt.Fprintf(&b, "  not applicable: %s\n", oneLine(r.NotApplicable))
	}
	if r.Reason != "" && oneLine(r.Reason) != oneLine(c.Reason) {
		fmt.Fprintf(&b, "  reason: %s\n", oneLine(r.Reason))
	}
	if len(r.Findings) > 0 {
		b.WriteString("  findings:\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "    %s (confidence %s)", f.ID, percent(f.Confidence))
			if f.Summary != "" {
				fmt.Fprintf(&b, ": %s", oneLine(f.Summary))
			}
			b.WriteString("\n")
			for _, e := range f.Evidence {
				fmt.Fprintf(&b, "      evidence: %s\n", oneLine(e))
			}
			if f.Scenario != "" {
				fmt.Fprintf(&b, "      reproduced by: %s\n", f.Scenario)
			}
		}
	}
	if len(r.Fixes) > 0 {
		b.WriteString("  fixes, in order:\n")
		for i, f := range r.Fixes {
			fmt.Fprintf(&b, "    %d. %s (%s risk", i+1, f.Name, f.Risk)
			if f.Finding != "" {
				fmt.Fprintf(&b, ", for %s", f.Finding)
			}
			fmt.Fprintf(&b, "): %s\n", fixState(&f))
			if f.RunAs != "" {
				fmt.Fprintf(&b, "       run as: %s\n", f.RunAs)
			}
			if f.Note != "" {
				fmt.Fprintf(&b, "       note: %s\n", oneLine(f.Note))
			}
			if f.Error != "" {
				fmt.Fprintf(&b, "       error: %s\n", oneLine(f.Error))
			}
		}
	} else if r.NotApplicable == "" {
		b.WriteString("  fixes: none applied\n")
	}
	if o := r.Rerun; o != nil {
		fmt.Fprintf(&b, "  rerun: exit code %d%s", o.ExitCode, rebootNote(o))
		if r.RunAs != "" {
			fmt.Fprintf(&b, " as %s", r.RunAs)
		}
		if len(o.Events) > 0 {
			fmt.Fprintf(&b, ", events %s", joinInts(o.Events))
		}
		b.WriteString("\n")
	}
	for _, o := range r.OverBroad {
		fmt.Fprintf(&b, "  over-broad: %s\n", oneLine(o))
	}
	if before, after := diffLines(r.StateBefore, r.StateAfter); len(before)+len(after) > 0 {
		b.WriteString("  state, before the fault → after the fixes:\n")
		for _, l := range before {
			fmt.Fprintf(&b, "    - %s\n", l)
		}
		for _, l := range after {
			fmt.Fprintf(&b, "    + %s\n", l)
		}
	}
	fmt.Fprintf(&b, "  winrm commands: %d\n", r.Commands)
	return b.String()
}

// failureRemedy is a failure's remediation in a line or a few (the
// reason is the failure's message when they are the same).
func failureRemedy(c *results.CellResult) string {
	r := c.Remediation
	s := "remediation: " + remedyWords(remedyOutcome(c))
	if r.Reason != "" && oneLine(r.Reason) != oneLine(c.Reason) {
		s += ": " + oneLine(r.Reason)
	}
	s += "\n"
	for _, o := range r.OverBroad {
		s += "over-broad: " + oneLine(o) + "\n"
	}
	if r.Rerun != nil {
		s += "rerun: exit code " + strconv.Itoa(r.Rerun.ExitCode) + "\n"
	}
	return s
}

func joinInts(a []int) string {
	s := make([]string, len(a))
	for i, n := range a {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// diffLines lists the lines only in a and only in b.
func diffLines(a, b []string) (onlyA, onlyB []string) {
	inA, inB := map[string]bool{}, map[string]bool{}
	for _, l := range a {
		inA[l] = true
	}
	for _, l := range b {
		inB[l] = true
	}
	for _, l := range a {
		if !inB[l] {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !inA[l] {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

// xmlSafe replaces the characters XML 1.0 cannot hold (most C0 controls,
// surrogates, U+FFFE, U+FFFF) with U+FFFD: encoding/xml escapes them in
// attributes and text, not in CDATA.
// https://www.w3.org/TR/xml/#charsets
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}
