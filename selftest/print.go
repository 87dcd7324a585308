package selftest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Print writes the report as text: a header, one line per op (op, result,
// duration, notes), the baseline comparison and the verdict.
func (r *Report) Print(w io.Writer) error {
	fmt.Fprintf(w, "msilab selftest of %s", r.Host)
	if r.OS != "" {
		fmt.Fprintf(w, " (%s)", r.OS)
	}
	fmt.Fprintf(w, ": build %s, msi.dll %s, op module %s\n\n", orNone(r.Build), orNone(r.MsiVersion), short(r.ModuleSHA256))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OP\tRESULT\tDURATION\tNOTES")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Op, row.Result, row.Duration.Round(time.Millisecond), oneLine(row.Notes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if r.BackToBaseline {
		fmt.Fprintln(w, "baseline: the host reads as it did before the self-test")
	} else {
		fmt.Fprintf(w, "baseline: the host differs from before the self-test (%d line(s)):\n", len(r.Differences))
		for _, d := range r.Differences {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "not run: %s\n", strings.Join(r.Missing, ", "))
	}
	for _, sk := range r.Skipped() {
		fmt.Fprintf(w, "skipped: %s\n", oneLine(sk))
	}
	failed := r.Failed()
	switch {
	case r.Passed:
		fmt.Fprintf(w, "PASSED: %d op line(s), %d skipped, the host back at its baseline\n", len(r.Rows), len(r.Skipped()))
	default:
		fmt.Fprintf(w, "FAILED: %d op(s) failed", len(failed))
		if !r.BackToBaseline {
			fmt.Fprint(w, ", the host is not back at its baseline")
		}
		fmt.Fprintln(w)
		for _, f := range failed {
			fmt.Fprintf(w, "  %s\n", oneLine(f))
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
