package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// Step 7 fails a cell whose fix left a right broader than the OS default
// (Everyone:F on C:\Windows\Temp, the folklore fix), even though the
// install then succeeds.
func TestRecoveryRejectsOverBroadFix(t *testing.T) {
	_, h, s := leasedHost(t, "win11-24h2")
	target := faults.Target{AdminUser: h.Spec.User, StandardUser: "msilab-user", Context: ops.ContextAdminElevated}
	base, err := remediation.Probe(context.Background(), s, target)
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := json.Marshal(ops.MsiRun{ExitCode: 0, Events: []ops.Event{
		{EventID: 11707, Message: "Product: X -- Installation completed successfully."},
		{EventID: 1033, Message: "Windows Installer installed the product. ... Installation success or error status: 0.",
			Data: []string{"X", "1.0.0", "1033", "0", "M"}}}})
	rerun := ops.Result{Op: ops.OpMsiInstall, OK: true, Value: ok}
	check := func(t *testing.T) *results.CellResult {
		t.Helper()
		probes := remediation.ProbeOps(target)
		out, err := s.RunBatch(context.Background(), probes)
		if err != nil {
			t.Fatal(err)
		}
		res := &results.CellResult{Status: results.StatusPass, Remediation: &results.Remediation{}}
		cr := &CellRun{target: target, remBase: base, remProbes: probes, res: res,
			cell: scenarios.Cell{Scenario: &scenarios.Scenario{}}}
		cr.recovery(append([]ops.Result{rerun}, out...))
		return res
	}
	if res := check(t); res.Status != results.StatusPass || !res.Remediation.Recovered {
		t.Fatalf("a host at its default: %s %s", res.Status, res.Reason)
	}
	everyone, _ := ops.New(ops.OpACLSet, ops.ACLSetArgs{Path: `C:\Windows\Temp`,
		SDDL: "D:PAI(A;OICI;FA;;;WD)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"})
	if _, err := s.RunBatch(context.Background(), []ops.Op{everyone}); err != nil {
		t.Fatal(err)
	}
	res := check(t)
	if res.Status != results.StatusFail || res.Remediation.Recovered || !strings.Contains(res.Reason, "over-broad") {
		t.Errorf("Everyone:F after the fix: %s %q, want a fail for an over-broad fix", res.Status, res.Reason)
	}
}

// A package whose deferred custom action fails (1603, message 1722) on the
// simulated lab: the cell passes, since it reproduced the package's own
// failure, but no host fix applies, so it is "not-applicable", never
// recovered: no fix, no rerun. A host fault in the same run still reads
// recovered. results.jsonl and the reports say the same.
func TestPackageFailureIsNotRecovered(t *testing.T) {
	pool, _, _ := gatedHost(t, "win11-24h2")
	cells := append(builtinCells(t, "custom-action-fails", "win11-24h2"), builtinCells(t, "temp-acl-system-read-only", "win11-24h2")...)
	out := t.TempDir()
	sum, err := Run(context.Background(), pool, cells, Options{Out: out, Remediate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) != 2 {
		t.Fatalf("%d cells, want 2", len(sum.Cells))
	}
	for _, c := range sum.Cells {
		rem := c.Remediation
		if c.Status != results.StatusPass || rem == nil {
			t.Fatalf("%s: %s (%s), remediation %+v: want a pass with a remediation", c.ID, c.Status, c.Reason, rem)
		}
		switch c.Scenario {
		case "custom-action-fails":
			if c.Observed.ExitCode != 1603 || !slices.Contains(c.Observed.Messages, 1722) {
				t.Errorf("%s: exit %d, messages %v, want 1603 with 1722", c.ID, c.Observed.ExitCode, c.Observed.Messages)
			}
			if got := rem.Outcome(); got != results.OutcomeNotApplicable || rem.Recovered || rem.NotApplicable == "" ||
				rem.Rerun != nil || len(rem.Fixes) != 0 {
				t.Errorf("%s: outcome %q, recovered %v, not applicable %q, rerun %v, %d fixes; want not-applicable, not recovered, no fix, no rerun",
					c.ID, got, rem.Recovered, rem.NotApplicable, rem.Rerun != nil, len(rem.Fixes))
			}
		default:
			if got := rem.Outcome(); got != results.OutcomeRecovered || !rem.Recovered || rem.Rerun == nil || rem.Rerun.ExitCode != 0 {
				t.Errorf("%s: outcome %q, recovered %v (%s), want recovered after a rerun with exit code 0", c.ID, got, rem.Recovered, rem.Reason)
			}
		}
	}

	// results.jsonl as written, line by line.
	data, err := os.ReadFile(filepath.Join(out, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec struct {
			Scenario    string `json:"scenario"`
			Remediation struct {
				Outcome   string `json:"outcome"`
				Recovered bool   `json:"recovered"`
			} `json:"remediation"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		want := results.OutcomeRecovered
		if rec.Scenario == "custom-action-fails" {
			want = results.OutcomeNotApplicable
		}
		if r := rec.Remediation; r.Outcome != want || r.Recovered != (want == results.OutcomeRecovered) {
			t.Errorf("results.jsonl: %s: outcome %q, recovered %v; want %q", rec.Scenario, r.Outcome, r.Recovered, want)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**2 remediated**: 1 recovered · 1 fix n/a · 0 not recovered", "| custom-action-fails | ✅ 1603 (fix n/a) |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
}

// A rerun that succeeds and asks for a restart (3010, msiexec ran with
// /norestart) recovers, and its observed outcome says a reboot is
// required; a rerun that fails (1603) does not.
func TestRecoveryWithRebootRequired(t *testing.T) {
	_, h, s := leasedHost(t, "server2022")
	target := faults.Target{AdminUser: h.Spec.User, StandardUser: "msilab-user", Context: ops.ContextAdminElevated}
	base, err := remediation.Probe(context.Background(), s, target)
	if err != nil {
		t.Fatal(err)
	}
	check := func(exit int) *results.CellResult {
		t.Helper()
		status := "0" // 1033's status of a run that needs a restart
		if exit != 3010 {
			status = strconv.Itoa(exit)
		}
		v, _ := json.Marshal(ops.MsiRun{ExitCode: exit, RebootRequired: exit == 3010, Events: []ops.Event{
			{EventID: 11707, Data: []string{"Product: X -- Installation completed successfully."}},
			{EventID: 1033, Data: []string{"X", "1.0.0", "1033", status, "M"}}}})
		probes := remediation.ProbeOps(target)
		out, err := s.RunBatch(context.Background(), probes)
		if err != nil {
			t.Fatal(err)
		}
		res := &results.CellResult{Status: results.StatusPass, Remediation: &results.Remediation{}}
		cr := &CellRun{target: target, remBase: base, remProbes: probes, res: res, cell: scenarios.Cell{Scenario: &scenarios.Scenario{}}}
		cr.recovery(append([]ops.Result{{Op: ops.OpMsiInstall, OK: true, Value: v}}, out...))
		return res
	}
	if res := check(3010); !res.Remediation.Recovered || !res.Remediation.Rerun.RebootRequired {
		t.Errorf("3010: recovered %v (%s), rerun %+v", res.Remediation.Recovered, res.Reason, res.Remediation.Rerun)
	}
	if res := check(1603); res.Remediation.Recovered || !strings.Contains(res.Reason, "still fails") {
		t.Errorf("1603: recovered %v (%s)", res.Remediation.Recovered, res.Reason)
	}
}
