package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios/results"
)

func plantDisableMSI(t *testing.T, pool *lab.Pool) {
	t.Helper()
	h := pool.Hosts()[0]
	s, err := h.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{
		Path: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`, Name: "DisableMSI", Type: "REG_DWORD", Number: 1})})
	if err == nil {
		err = out[0].Decode(nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A host that fails msilab doctor's checks (here DisableMSI=1, a variant
// the default disable-msi would not see) is refused before its first
// cell, and the cells say so, naming it.
func TestPreflightRefusesAHost(t *testing.T) {
	pool, _, _ := gatedHost(t, "win11-24h2")
	plantDisableMSI(t, pool)
	var progress strings.Builder
	sum, err := Run(context.Background(), pool, builtinCells(t, "clean-host", "win11-24h2"), Options{Out: t.TempDir(), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sum.Cells {
		if c.Status != results.StatusInfra || !strings.Contains(c.Reason, "host gated failed msilab doctor's checks") ||
			!strings.Contains(c.Reason, "disable-msi") || c.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts: %s", c.ID, c.Status, c.Attempts, c.Reason)
		}
	}
	if !strings.Contains(progress.String(), "refusing host gated") {
		t.Errorf("the refusal is not said:\n%s", progress.String())
	}
	// Without the preflight the same cells run (and fail on the host's fault).
	sum, err = Run(context.Background(), pool, builtinCells(t, "clean-host", "win11-24h2"), Options{Out: t.TempDir(), SkipPreflight: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sum.Cells {
		if c.Status == results.StatusInfra {
			t.Errorf("%s with the preflight skipped: %s %s", c.ID, c.Status, c.Reason)
		}
	}
}
