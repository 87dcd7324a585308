package runner

import (
	"context"
	"encoding/json"
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
	pool, _, _ := gatedHost(t, "win11-24h2")
	h, err := pool.Lease(context.Background(), "win11-24h2")
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	target := faults.Target{AdminUser: h.Spec.User, StandardUser: "msilab-user", Context: ops.ContextAdminElevated}
	base, err := remediation.Probe(context.Background(), s, target)
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := json.Marshal(ops.MsiRun{ExitCode: 0, Events: []ops.Event{
		{EventID: 11707, Message: "Product: X -- Installation completed successfully."},
		{EventID: 1033, Message: "Windows Installer installed the product. ... Installation success or error status: 0."}}})
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
