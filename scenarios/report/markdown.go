package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/msilab/msilab/scenarios/results"
)

// WriteMarkdown writes a summary for a pull request or a CI job summary
// ($GITHUB_STEP_SUMMARY): the counts by status, the scenario × OS matrix
// ("✅ 1603" a pass with the observed exit code, "❌ 0≠1603" a fail,
// "⚠ infra", "– skip"; after a remediation "✅ 1603→0" recovered by the
// fixes, "✅ 1603 (fix n/a)" no host fix applies, "❌ 1603→1603 (not
// fixed)" and "❌ 1603→0 (over-broad)"; the contexts of a scenario
// labelled when it has several), then each cell that did not pass with its
// failed checks and its remediation (outcome and reason, findings, fixes,
// rerun, over-broad rights).
func WriteMarkdown(w io.Writer, r Run) error {
	g, err := newGrid(r.Cells)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	n := Count(r.Cells)

	title := "msilab run"
	if r.ID != "" {
		title += " " + r.ID
	}
	fmt.Fprintf(b, "# %s\n\n", mdText(title))
	var meta []string
	if !r.Started.IsZero() {
		meta = append(meta, "started "+r.Started.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if r.Duration > 0 {
		meta = append(meta, "took "+human(r.Duration))
	}
	if r.Lab != "" {
		meta = append(meta, "lab: "+mdText(r.Lab))
	}
	if r.Shard != "" {
		meta = append(meta, "shard "+mdText(r.Shard))
	}
	if r.ToolVersion != "" {
		meta = append(meta, "msilab "+mdText(r.ToolVersion))
	}
	if len(meta) > 0 {
		fmt.Fprintf(b, "%s\n\n", strings.Join(meta, " · "))
	}
	fmt.Fprintf(b, "**%d cells**: %d pass · %d fail · %d infra-error · %d skipped", n.Total, n.Pass, n.Fail, n.Infra, n.Skip)
	if n.Other > 0 {
		fmt.Fprintf(b, " · %d other", n.Other)
	}
	b.WriteString("\n\n")
	if len(r.Quarantined) > 0 {
		hosts := make([]string, 0, len(r.Quarantined))
		for h := range r.Quarantined {
			hosts = append(hosts, h)
		}
		sort.Strings(hosts)
		fmt.Fprintf(b, "**%d host(s) quarantined** (not shown back at their baseline; no cell ran on them after):\n\n", len(hosts))
		for _, h := range hosts {
			fmt.Fprintf(b, "- %s: %s\n", mdCode(h), mdText(oneLine(r.Quarantined[h])))
		}
		b.WriteString("\n")
	}
	if rn := CountRemediation(r.Cells); rn.Total > 0 {
		fmt.Fprintf(b, "**%d remediated**: %d recovered · %d fix n/a · %d not recovered\n\n", rn.Total, rn.Recovered, rn.NotApplicable, rn.NotRecovered)
	}

	if n.Total > 0 {
		b.WriteString("| Scenario |")
		for _, osName := range g.oses {
			fmt.Fprintf(b, " %s |", mdCell(osName))
		}
		b.WriteString("\n|---|")
		for range g.oses {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for _, s := range g.scenarios {
			fmt.Fprintf(b, "| %s |", mdCell(s))
			for _, osName := range g.oses {
				var parts []string
				for _, c := range g.cells[[2]string{s, osName}] {
					text := matrixText(c)
					if g.multi[s] {
						text = mdCell(contextName(c.Context)) + ": " + text
					}
					parts = append(parts, text)
				}
				fmt.Fprintf(b, " %s |", strings.Join(parts, "<br>"))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}

	var bad []*results.CellResult
	for _, c := range g.sorted {
		if c.Status != results.StatusPass {
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(b, "## Cells that did not pass (%d)\n\n", len(bad))
		for _, c := range bad {
			fmt.Fprintf(b, "### %s %s: %s\n\n", statusIcon(c.Status), mdText(c.ID), mdText(c.Status))
			if c.Reason != "" {
				fmt.Fprintf(b, "%s\n\n", mdText(oneLine(c.Reason)))
			}
			for _, ch := range c.Checks {
				if !ch.OK {
					fmt.Fprintf(b, "- %s: want %s, got %s\n", mdCode(ch.Name), mdCode(oneLine(ch.Want)), mdCode(oneLine(ch.Got)))
				}
			}
			if c.Expected.Override != "" {
				fmt.Fprintf(b, "- expectation overridden: %s\n", mdText(oneLine(c.Expected.Override)))
			}
			for _, line := range remedyLines(c) {
				fmt.Fprintf(b, "%s\n", line)
			}
			if c.Host != "" {
				fmt.Fprintf(b, "- host: %s\n", mdCode(c.Host))
			}
			for _, e := range c.TransportErrors {
				fmt.Fprintf(b, "- transport error: %s\n", mdText(oneLine(e)))
			}
			for _, rc := range c.Reconciled {
				fmt.Fprintf(b, "- %s\n", mdText(oneLine(rc)))
			}
			if c.Evidence != "" {
				fmt.Fprintf(b, "- evidence: %s\n", mdCode(c.Evidence))
			}
			b.WriteString("\n")
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("report: markdown: %w", err)
	}
	return nil
}

// matrixText is a cell as the Markdown matrix shows it: after a
// remediation, with the rerun's exit code ("✅ 1603→0") and, unless it
// recovered, the outcome ("✅ 1603 (fix n/a)", "❌ 1603→1603 (not fixed)").
func matrixText(c *results.CellResult) string {
	got, want := strconv.Itoa(c.Observed.ExitCode), strconv.Itoa(c.Expected.ExitCode)
	switch c.Status {
	case results.StatusPass:
		return "✅ " + got + rebootNote(&c.Observed) + remedyText(c)
	case results.StatusFail:
		switch failed := failedChecks(c); {
		case len(c.Checks) == 0:
			return "❌ not checked" // the cell failed before its install could be checked
		case exitMismatch(c):
			return "❌ " + got + "≠" + want
		case len(failed) > 0:
			return "❌ " + got + " (" + strings.Join(failed, ", ") + ")"
		}
		return "❌ " + got + remedyText(c)
	case results.StatusInfra:
		return "⚠ infra"
	case results.StatusSkip:
		return "– skip"
	}
	return "? " + mdCell(c.Status)
}

// remedyText is what follows a remediated cell's exit code in the matrix.
func remedyText(c *results.CellResult) string {
	out := remedyOutcome(c)
	if out == "" {
		return ""
	}
	s := remedyArrow(c)
	if out != remRecovered {
		s += " (" + remedyMark(out) + ")"
	}
	return s
}

// remedyLines are the Markdown list items of a remediation for a cell
// that did not pass: its outcome and reason, the findings, the fixes, the
// rerun and any over-broad right.
func remedyLines(c *results.CellResult) []string {
	r := c.Remediation
	if r == nil {
		return nil
	}
	out := remedyOutcome(c)
	head := "- remediation: " + remedyWords(out)
	switch {
	case out == remNotApplicable:
		head += ": " + mdText(r.NotApplicable)
	case r.Reason != "" && oneLine(r.Reason) != oneLine(c.Reason):
		head += ": " + mdText(r.Reason)
	}
	lines := []string{head}
	if len(r.Findings) > 0 {
		var f []string
		for _, x := range r.Findings {
			f = append(f, mdCode(x.ID)+" ("+percent(x.Confidence)+")")
		}
		lines = append(lines, "  - findings: "+strings.Join(f, ", "))
	}
	if len(r.Fixes) > 0 {
		var f []string
		for _, x := range r.Fixes {
			f = append(f, mdCode(x.Name)+" ("+mdText(x.Risk)+" risk, "+fixState(&x)+")")
		}
		lines = append(lines, "  - fixes, in order: "+strings.Join(f, ", "))
	}
	if r.Rerun != nil {
		rerun := "  - rerun: exit code " + strconv.Itoa(r.Rerun.ExitCode) + rebootNote(r.Rerun)
		if r.RunAs != "" {
			rerun += " as " + mdText(r.RunAs)
		}
		lines = append(lines, rerun)
	}
	for _, b := range r.OverBroad {
		lines = append(lines, "  - **over-broad**: "+mdCode(b))
	}
	return lines
}

func statusIcon(status string) string {
	switch status {
	case results.StatusPass:
		return "✅"
	case results.StatusFail:
		return "❌"
	case results.StatusInfra:
		return "⚠"
	case results.StatusSkip:
		return "–"
	}
	return "?"
}

// mdEscaper escapes the characters Markdown would read as markup or HTML.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", `\|`, "#", `\#`, "~", `\~`,
)

// mdText is plain text in Markdown, on one line.
func mdText(s string) string { return mdEscaper.Replace(oneLine(s)) }

// mdCell is plain text in a table cell.
func mdCell(s string) string { return mdText(s) }

// mdCode is a code span holding s verbatim: the fence is one backtick
// longer than the longest run of backticks in s (CommonMark 6.1). Not for
// table cells, where GitHub would still split it at a pipe.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return "(empty)"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}
