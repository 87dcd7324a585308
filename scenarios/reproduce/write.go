package reproduce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// write writes the report as JSON and Markdown, and the recipe.
func write(dir string, rep *Report) error {
	var j bytes.Buffer
	enc := json.NewEncoder(&j)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("reproduce: %w", err)
	}
	var md bytes.Buffer
	Markdown(&md, rep)
	for name, data := range map[string][]byte{FileReport: j.Bytes(), FileMarkdown: md.Bytes(), FileRecipe: []byte(fmt.Sprintf("# from this bundle's directory (msilab %s)\n%s\n", rep.Version, rep.Recipe))} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("reproduce: %w", err)
		}
	}
	return nil
}

// Markdown prints the report: per cause the profile and contexts with
// why, each cell's signature side by side, where they match and differ,
// and the fix verified on the reproduction.
func Markdown(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "# Reproduction of %s\n\n", rep.Input)
	fmt.Fprintf(w, "Input: %s, diagnosed %s. Reproduced: %s.\n\n", rep.Form, rep.Answer.Verdict, rep.Why)
	fmt.Fprintf(w, "Recipe (re-runs this reproduction from the bundle's directory, msilab %s):\n\n    %s\n", rep.Version, rep.Recipe)
	var matched []string
	for _, c := range rep.Causes {
		if c.Match() {
			matched = append(matched, c.Cause)
		}
	}
	switch len(matched) {
	case 0:
		fmt.Fprintln(w, "\nNo reproduction matches the input's signature: the differences are listed under each.")
	case 1:
		fmt.Fprintf(w, "\nReproduced with a matching signature: %s.\n", matched[0])
	default:
		fmt.Fprintf(w, "\nReproduced with a matching signature: %s. The log cannot tell them apart, and their fixes differ: "+
			"msilab diagnose --host with the endpoint flags reads the host's state.\n", strings.Join(matched, ", "))
	}
	for _, c := range rep.Causes {
		fmt.Fprintf(w, "\n## %s (confidence %.2f)\n\n", c.Cause, c.Confidence)
		if c.Scenario == "" {
			fmt.Fprintf(w, "Not reproduced: %s\n", c.NoScenario)
			continue
		}
		fmt.Fprintf(w, "Scenario: %s (msilab run --only %s --os %s --context %s)\n\n", c.Scenario, c.Scenario, c.Profile.Name, strings.Join(c.Contexts, ","))
		fmt.Fprintf(w, "OS profile: %s\n", c.Profile.Name)
		for _, y := range c.Profile.Why {
			fmt.Fprintf(w, "- %s\n", y)
		}
		fmt.Fprintf(w, "\nContexts: %s: %s\n", strings.Join(c.Contexts, ", "), c.ContextWhy)
		if c.Lab != "" {
			fmt.Fprintf(w, "\nLab: %s\n", c.Lab)
		}
		if c.Error != "" {
			fmt.Fprintf(w, "\nError: %s\n", c.Error)
		}
		for _, x := range c.Cells {
			fmt.Fprintf(w, "\n### %s: %s\n\n", x.ID, x.Status)
			if x.Reason != "" {
				fmt.Fprintf(w, "%s\n\n", x.Reason)
			}
			fmt.Fprintf(w, "Evidence: %s\n\n", x.Evidence)
			if cmp := x.Comparison; cmp != nil {
				verdict := "MATCH: the same signature"
				if !cmp.Match {
					verdict = fmt.Sprintf("DIFFERS in %d place(s)", len(cmp.Differences))
				}
				fmt.Fprintf(w, "Signature: %s\n\n", verdict)
				if len(cmp.Rows) == 0 {
					fmt.Fprintln(w, "No signature line on either side: neither log has a line to compare (an empty log is itself the signature of an unreached service).")
					fmt.Fprintln(w)
				}
				fmt.Fprintln(w, "| | input | reproduction |")
				fmt.Fprintln(w, "|---|---|---|")
				for _, r := range cmp.Rows {
					fmt.Fprintf(w, "| %s | %s | %s |\n", r.Status, cellText(r.Input), cellText(r.Repro))
				}
				fmt.Fprintf(w, "\n- exit code: %s\n- events: %s\n", cmp.ExitNote, cmp.EventsNote)
				fmt.Fprintf(w, "- not compared: times, process and thread ids; negative-control lines left out: %d in the input, %d in the reproduction\n", cmp.LeftOutInput, cmp.LeftOutRepro)
				if len(cmp.Normalised) > 0 {
					fmt.Fprintf(w, "- normalised: %s\n", strings.Join(cmp.Normalised, "; "))
				}
				for _, d := range cmp.Differences {
					fmt.Fprintf(w, "- %s\n", d)
				}
			}
			fmt.Fprintf(w, "\nFix: %s\n", x.Fix)
		}
	}
}

func cellText(s *SigLine) string {
	if s == nil {
		return ""
	}
	t := s.Words()
	if s.N > 0 {
		t = fmt.Sprintf("line %d: %s", s.N, t)
	}
	return strings.ReplaceAll(t, "|", `\|`)
}
