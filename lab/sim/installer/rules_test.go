package installer

import (
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/evidencedoc"
)

// Every rule cites its row of docs/evidence.md (what `msilab sim rules`
// prints), the row exists and names the rule, and the rule has a label.
func TestRulesCiteEvidence(t *testing.T) {
	rows, err := evidencedoc.Load()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.When == "" || r.Then == "" || !strings.ContainsAny(r.Label, "DRG") {
			t.Errorf("rule %s: when, then and a D/R/G label are required: %+v", r.ID, r)
		}
		cited := evidencedoc.Cited(r.Sources)
		if len(cited) == 0 {
			t.Errorf("rule %s cites no row of %s: %q", r.ID, evidencedoc.Path, r.Sources)
			continue
		}
		named := false
		for _, id := range cited {
			row, ok := rows[id]
			if !ok {
				t.Errorf("rule %s cites %s#%s, which is no row", r.ID, evidencedoc.Path, id)
				continue
			}
			named = named || row.Mentions(r.ID)
		}
		if !named {
			t.Errorf("rule %s: none of the rows it cites (%v) names it as `%s`", r.ID, cited, r.ID)
		}
	}
}
