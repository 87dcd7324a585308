package remediation_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
)

// A corpus entry: an input and what a right answer is.
type corpusEntry struct {
	path string
	// want are the causes a right answer may name first; class is what the
	// answer must be when no cause is expected: "insufficient",
	// "none" (no finding at all, not even a candidate), "no-failure",
	// "not-msi", "empty".
	want  []string
	class string
	form  msilog.Form // "" when the input's form is not fixed by its name
	row   string      // the README table's row
}

// Outcomes of a corpus entry.
const (
	outRight  = "right"
	outMissed = "missed" // no cause named where one was expected (not wrong, not right)
	outWrong  = "wrong"  // a cause named that the entry does not show
)

// corpusEntries lists the hand-written inputs (named
// <expected>__<form>__<what>.txt) and the simulator's logs (named
// <scenario>__<profile>__<context>.log, expected from the cause catalog).
func corpusEntries(t *testing.T) []corpusEntry {
	t.Helper()
	var out []corpusEntry
	hand, _ := filepath.Glob(filepath.Join(corpusDir, "hand", "*.txt"))
	for _, p := range hand {
		parts := strings.Split(strings.TrimSuffix(filepath.Base(p), ".txt"), "__")
		if len(parts) != 3 {
			t.Fatalf("%s: want <expected>__<form>__<what>.txt", p)
		}
		e := corpusEntry{path: p, form: msilog.Form(parts[1]), row: parts[0]}
		switch parts[0] {
		case "insufficient", "none", "no-failure", "not-msi", "empty":
			e.class = parts[0]
		default:
			if _, ok := remediation.LookupCause(parts[0]); !ok {
				t.Fatalf("%s: unknown cause %s", p, parts[0])
			}
			e.want = []string{parts[0]}
		}
		out = append(out, e)
	}
	cells := map[string]scenarios.Cell{}
	for _, c := range corpusCells(t) {
		cells[simLogName(c)] = c
	}
	sims, _ := filepath.Glob(filepath.Join(corpusDir, "sim", "*.log"))
	for _, p := range sims {
		c, ok := cells[filepath.Base(p)]
		if !ok {
			t.Fatalf("%s: no built-in cell (regenerate with -update-corpus)", p)
		}
		e := corpusEntry{path: p, row: "sim: " + c.Scenario.Name}
		switch {
		case c.Expect.ExitCode == 0:
			e.class = "no-failure"
		case c.OverrideReason != "":
			e.want = []string{serverRejected}
		default:
			e.want = logFirst(c.Scenario.Name)
		}
		out = append(out, e)
	}
	return out
}

// judge reads an answer against the entry.
func judge(e corpusEntry, a remediation.Answer) (outcome, got string) {
	named := ""
	if len(a.Findings) > 0 {
		named = a.Findings[0].ID
	}
	got = a.Verdict
	if named != "" {
		got = a.Verdict + ": " + named
	} else if len(a.Candidates) > 0 {
		got = a.Verdict + " (candidate " + a.Candidates[0].ID + ")"
	}
	for _, f := range a.Findings {
		if !slices.Contains(e.want, f.ID) && (len(e.want) > 0 || e.class != "") && f.Confidence >= remediation.AnswerThreshold && f.ID == named {
			return outWrong, got
		}
	}
	switch {
	case len(e.want) > 0 && named != "":
		return outRight, got
	case len(e.want) > 0:
		// No cause named: right when the input cannot decide and says so
		// with the expected cause among its candidates, or has no log at all.
		if a.Verdict == remediation.VerdictInsufficient && len(a.Candidates) > 0 && slices.Contains(e.want, a.Candidates[0].ID) ||
			a.Verdict == remediation.VerdictEmpty {
			return outRight, got
		}
		return outMissed, got
	case e.class == "none":
		if len(a.Findings)+len(a.Candidates) == 0 && (a.Verdict == remediation.VerdictInsufficient || a.Verdict == remediation.VerdictNoFailure) {
			return outRight, got
		}
		return outWrong, got
	case e.class == "insufficient":
		if a.Verdict == remediation.VerdictInsufficient {
			return outRight, got
		}
	case a.Verdict == e.class:
		return outRight, got
	}
	if named != "" {
		return outWrong, got
	}
	return outMissed, got
}

func explainFile(t *testing.T, path string) (remediation.Answer, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	log, err := msilog.Parse(context.Background(), bytes.NewReader(b), msilog.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return remediation.Explain(log, nil, -1, ""), b
}

// Every corpus input gets a right answer: its cause first (or, where the
// input cannot decide, "insufficient evidence" with it as the first
// candidate), and no input names a cause it does not show. The README's
// table is generated from the outcomes (-update-corpus) and checked.
func TestCorpus(t *testing.T) {
	entries := corpusEntries(t)
	if len(entries) < 80 {
		t.Fatalf("corpus of %d inputs: the hand-written and simulated logs are missing", len(entries))
	}
	type cell struct{ right, missed, wrong int }
	table := map[string]map[msilog.Form]*cell{}
	forms := map[msilog.Form]bool{}
	wrong := 0
	for _, e := range entries {
		a, _ := explainFile(t, e.path)
		if e.form != "" && a.Input.Form != e.form {
			t.Errorf("%s: read as %s, named %s", e.path, a.Input.Form, e.form)
		}
		outcome, got := judge(e, a)
		if outcome != outRight {
			t.Errorf("%s: %s: %s (want %v%s)", e.path, outcome, got, e.want, e.class)
		}
		if outcome == outWrong {
			wrong++
		}
		if table[e.row] == nil {
			table[e.row] = map[msilog.Form]*cell{}
		}
		c := table[e.row][a.Input.Form]
		if c == nil {
			c = &cell{}
			table[e.row][a.Input.Form] = c
		}
		switch outcome {
		case outRight:
			c.right++
		case outMissed:
			c.missed++
		default:
			c.wrong++
		}
		forms[a.Input.Form] = true
	}
	// The table.
	var cols []msilog.Form
	for _, f := range []msilog.Form{msilog.FormVerbose, msilog.FormExcerpt, msilog.FormExcerpts, msilog.FormNonVerbose,
		msilog.FormEventViewer, msilog.FormGetWinEvent, msilog.FormWevtutil, msilog.FormDialog, msilog.FormEmpty, msilog.FormNotMSI} {
		if forms[f] {
			cols = append(cols, f)
		}
	}
	var rows []string
	for r := range table {
		rows = append(rows, r)
	}
	slices.Sort(rows)
	var b strings.Builder
	b.WriteString("| expected |")
	for _, c := range cols {
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString("\n|---|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |", r)
		for _, c := range cols {
			x := table[r][c]
			switch {
			case x == nil:
				b.WriteString(" |")
			case x.wrong > 0:
				fmt.Fprintf(&b, " %d right, %d WRONG |", x.right, x.wrong)
			case x.missed > 0:
				fmt.Fprintf(&b, " %d right, %d missed |", x.right, x.missed)
			default:
				fmt.Fprintf(&b, " %d right |", x.right)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%d inputs; %d name a wrong cause.\n", len(entries), wrong)
	checkReadmeBlock(t, "corpus-table", b.String())
}

// checkReadmeBlock compares (or with -update-corpus rewrites) the README's
// block between <!-- name:begin --> and <!-- name:end -->.
func checkReadmeBlock(t *testing.T, name, body string) {
	t.Helper()
	const readme = "../README.md"
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %s block", name)
	}
	if cur := s[i+len(begin) : j]; cur != body {
		if *updateCorpus {
			if err := os.WriteFile(readme, []byte(s[:i+len(begin)]+body+s[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md's %s block is stale: go test ./remediation -run TestCorpus -update-corpus\nwant:\n%s", name, body)
	}
}

// Never a cause its quoted evidence does not support: every finding an
// answer names, diagnosed again from its quoted lines alone, is named again.
func TestCorpusEvidenceSupportsCause(t *testing.T) {
	checked := 0
	for _, e := range corpusEntries(t) {
		a, raw := explainFile(t, e.path)
		for _, problem := range unsupported(a, raw) {
			t.Errorf("%s: %s", e.path, problem)
		}
		checked += len(a.Findings)
	}
	if checked < 40 {
		t.Errorf("only %d findings checked", checked)
	}
}

// unsupported lists the answer's findings that its quoted lines do not
// support: a quote that is not the input's line, or quotes from which the
// cause is not named again.
func unsupported(a remediation.Answer, raw []byte) []string {
	var out []string
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	for _, f := range a.Findings {
		if len(f.Lines) == 0 {
			out = append(out, f.ID+" quotes no line of the input")
			continue
		}
		var quoted []string
		for _, q := range f.Lines {
			if q.N < 1 || q.N > len(lines) || !strings.Contains(lines[q.N-1], q.Text) {
				out = append(out, fmt.Sprintf("%s quotes line %d as %q, which the input does not have", f.ID, q.N, q.Text))
			}
			quoted = append(quoted, q.Text)
		}
		again := remediation.Explain(msilog.ParseString(strings.Join(quoted, "\n")), nil, -1, "")
		if !slices.ContainsFunc(again.Findings, func(g remediation.Finding) bool { return g.ID == f.ID }) {
			out = append(out, f.ID+" is not supported by its quoted lines alone:\n"+strings.Join(quoted, "\n"))
		}
	}
	return out
}

// The support check catches a finding its quotes do not carry, and a
// quote the input does not have.
func TestUnsupportedCatchesBadQuotes(t *testing.T) {
	raw := []byte("MSI (s) (1C:20) [12:00:01:000]: Note: 1: 2503 \nMSI (s) (1C:20) [12:00:01:001]: Note: 1: 2502 \nMSI (c) (10:14) [12:00:02:000]: MainEngineThread is returning 1603\n")
	good := remediation.Explain(msilog.ParseString(string(raw)), nil, -1, "")
	if len(good.Findings) == 0 || len(unsupported(good, raw)) != 0 {
		t.Fatalf("a supported answer: %v %v", ids(good.Findings), unsupported(good, raw))
	}
	onlyExit := remediation.Answer{Findings: []remediation.Finding{{ID: remediation.FindingTempACL, Confidence: 0.7,
		Lines: []remediation.QuotedLine{{N: 3, Text: "MSI (c) (10:14) [12:00:02:000]: MainEngineThread is returning 1603"}}}}}
	if p := unsupported(onlyExit, raw); len(p) != 1 || !strings.Contains(p[0], "not supported") {
		t.Errorf("a cause its quote does not carry: %v", p)
	}
	misquoted := remediation.Answer{Findings: []remediation.Finding{{ID: remediation.FindingTempACL, Confidence: 0.7,
		Lines: []remediation.QuotedLine{{N: 3, Text: "MSI (s) (1C:20) [12:00:01:000]: Note: 1: 2503"}, {N: 2, Text: "MSI (s) (1C:20) [12:00:01:001]: Note: 1: 2502"}}}}}
	if p := unsupported(misquoted, raw); len(p) != 1 || !strings.Contains(p[0], "does not have") {
		t.Errorf("a quote of another line: %v", p)
	}
}

// Every hand-written input gives the same answer in each encoding and
// line end people have: UTF-16LE with and without its mark, CRLF or LF,
// and ANSI; its quoted lines keep their numbers.
func TestCorpusEncodings(t *testing.T) {
	hand, _ := filepath.Glob(filepath.Join(corpusDir, "hand", "*.txt"))
	for _, p := range hand {
		want, raw := explainFile(t, p)
		text := strings.ReplaceAll(string(raw), "\r\n", "\n")
		crlf := strings.ReplaceAll(text, "\n", "\r\n")
		ansi, ok := to1252(crlf)
		variants := map[string][]byte{"utf16-bom-crlf": utf16LE(crlf, true), "utf16-lf": utf16LE(text, false), "utf8-crlf": []byte(crlf)}
		if ok {
			variants["ansi-crlf"] = ansi
		}
		for name, b := range variants {
			log, err := msilog.Parse(context.Background(), bytes.NewReader(b), msilog.Options{})
			if err != nil {
				t.Errorf("%s as %s: %v", p, name, err)
				continue
			}
			got := remediation.Explain(log, nil, -1, "")
			if got.Verdict != want.Verdict || got.Input.Form != want.Input.Form || firstID(got.Findings) != firstID(want.Findings) {
				t.Errorf("%s as %s: %s %s %q, want %s %s %q", p, name, got.Input.Form, got.Verdict, firstID(got.Findings),
					want.Input.Form, want.Verdict, firstID(want.Findings))
				continue
			}
			if len(want.Findings) > 0 && fmt.Sprint(got.Findings[0].Lines) != fmt.Sprint(want.Findings[0].Lines) {
				t.Errorf("%s as %s: quoted %v, want %v", p, name, got.Findings[0].Lines, want.Findings[0].Lines)
			}
		}
	}
}

// to1252 encodes text in Windows-1252 (false when a character has no byte there).
func to1252(s string) ([]byte, bool) {
	var out []byte
	for _, r := range s {
		switch {
		case r < 0x80 || r >= 0xA0 && r <= 0xFF:
			out = append(out, byte(r))
		case r == '€':
			out = append(out, 0x80)
		default:
			return nil, false
		}
	}
	return out, true
}
