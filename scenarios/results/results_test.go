package results

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		rem  *Remediation
		want string
	}{
		{"none ran", nil, ""},
		{"recovered", &Remediation{Recovered: true, Rerun: &Observed{}}, OutcomeRecovered},
		{"package failure", &Remediation{NotApplicable: "no host fix applies to custom-action-failed: the package itself fails"}, OutcomeNotApplicable},
		// A results.jsonl written before Recovered was kept false for a
		// package failure: still not recovered.
		{"package failure, recorded as recovered", &Remediation{NotApplicable: "no host fix applies", Recovered: true}, OutcomeNotApplicable},
		{"over-broad", &Remediation{OverBroad: []string{`C:\Windows\Temp: Everyone gains write`}, Rerun: &Observed{}}, OutcomeOverBroad},
		{"not recovered", &Remediation{Reason: "not fixed: installer-acl still holds"}, OutcomeNotRecovered},
	} {
		if got := tc.rem.Outcome(); got != tc.want {
			t.Errorf("%s: Outcome() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// results.jsonl has each remediation's outcome; reading it back ignores it
// (Outcome derives it again) and keeps the rest.
func TestRemediationJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	w, err := OpenWriter(path, false)
	if err != nil {
		t.Fatal(err)
	}
	cells := []CellResult{
		{ID: "custom-action-fails/win11-24h2/admin-elevated", Status: StatusPass,
			Remediation: &Remediation{NotApplicable: "no host fix applies", Findings: []Finding{{ID: "custom-action-failed"}}}},
		{ID: "temp-acl-system-read-only/win11-24h2/admin-elevated", Status: StatusPass,
			Remediation: &Remediation{Recovered: true, Rerun: &Observed{ExitCode: 0, Events: []int{11707, 1033}}, Commands: 2}},
		{ID: "custom-action-ok/win11-24h2/admin-elevated", Status: StatusPass},
	}
	for _, c := range cells {
		if err := w.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	raw, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(cells[0])
	for _, want := range []string{`"remediation":{"outcome":"not-applicable","findings":[`, `"not_applicable":"no host fix applies"`, `"recovered":false`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("a package failure's JSON lacks %s: %s", want, data)
		}
	}
	if data, _ := json.Marshal(cells[1]); !strings.Contains(string(data), `"remediation":{"outcome":"recovered",`) {
		t.Errorf("a recovered cell's JSON: %s", data)
	}
	if data, _ := json.Marshal(cells[2]); strings.Contains(string(data), "remediation") || strings.Contains(string(data), "outcome") {
		t.Errorf("a cell without a remediation: %s", data)
	}
	if len(raw) != len(cells) {
		t.Fatalf("read %d cells, want %d", len(raw), len(cells))
	}
	for i, c := range raw {
		if got, want := c.Remediation.Outcome(), cells[i].Remediation.Outcome(); got != want {
			t.Errorf("%s: read back as %q, want %q", c.ID, got, want)
		}
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(cells[i])
		if string(a) != string(b) {
			t.Errorf("%s: read back differs:\n%s\n%s", c.ID, a, b)
		}
	}
}
