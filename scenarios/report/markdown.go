package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/msilab/msilab/scenarios/results"
)

// WriteMarkdown writes a summary for a pull request or a CI job summary
// ($GITHUB_STEP_SUMMARY): the counts by status, the scenario × OS matrix
// ("✅ 1603" a pass with the observed exit code, "❌ 0≠1603" a fail,
// "⚠ infra", "– skip"; the contexts of a scenario labelled when it has
// several), then each cell that did not pass with its failed checks.
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
			if c.Host != "" {
				fmt.Fprintf(b, "- host: %s\n", mdCode(c.Host))
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

// matrixText is a cell as the Markdown matrix shows it.
func matrixText(c *results.CellResult) string {
	got, want := strconv.Itoa(c.Observed.ExitCode), strconv.Itoa(c.Expected.ExitCode)
	switch c.Status {
	case results.StatusPass:
		return "✅ " + got
	case results.StatusFail:
		switch failed := failedChecks(c); {
		case len(c.Checks) == 0:
			return "❌ not checked" // the cell failed before its install could be checked
		case exitMismatch(c):
			return "❌ " + got + "≠" + want
		case len(failed) > 0:
			return "❌ " + got + " (" + strings.Join(failed, ", ") + ")"
		}
		return "❌ " + got
	case results.StatusInfra:
		return "⚠ infra"
	case results.StatusSkip:
		return "– skip"
	}
	return "? " + mdCell(c.Status)
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
