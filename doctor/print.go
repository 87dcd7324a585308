package doctor

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Print writes rows as a table (host, check, status, reason), each
// warning or failure followed by its fix.
func Print(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tCHECK\tSTATUS\tREASON")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Host, r.Check, strings.ToUpper(string(r.Status)), r.Reason)
		if r.Fix != "" && (r.Status == Failed || r.Status == Warning) {
			fmt.Fprintf(tw, "\t\t\t  fix: %s\n", r.Fix)
		}
	}
	return tw.Flush()
}
