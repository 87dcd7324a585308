package journal

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

func removal(code int) ops.Result {
	v, _ := json.Marshal(ops.MsiRun{Action: "uninstall", ExitCode: code,
		CommandLine: `msiexec.exe /x "{92281016-51D7-4D16-BEF2-82F4FB32D003}" /qn /L*v "x.log"`})
	return ops.Result{Op: ops.OpMsiUninstall, OK: true, Value: v}
}

func TestCheckRevertJudgesTheLastRemoval(t *testing.T) {
	ok := ops.Result{Op: ops.OpACLSet, OK: true}
	gone := ops.Result{Op: ops.OpPathMove, Error: &ops.Error{Code: ops.CodeNotFound}}
	busy := ops.Result{Op: ops.OpPathMove, Error: &ops.Error{Code: ops.CodeConflict, Message: "exists"}}
	for _, tc := range []struct {
		name    string
		results []ops.Result
		fails   bool
	}{
		{"first removal blocked by the fault, second one works", []ops.Result{removal(1603), ok, removal(0)}, false},
		{"not installed at all", []ops.Result{removal(1605), ok, removal(1605)}, false},
		{"already reverted", []ops.Result{removal(0), gone, removal(1605)}, false},
		{"the last removal fails", []ops.Result{removal(0), ok, removal(1603)}, true},
		{"a revert op fails", []ops.Result{removal(0), busy, removal(1605)}, true},
	} {
		err := CheckRevert(tc.results)
		if (err != nil) != tc.fails || (err != nil && !errors.Is(err, ErrRevert)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestRevertOpsOrder(t *testing.T) {
	entries := []Entry{
		{Kind: KindFault, Fault: "mutex-held", Target: faults.Target{Context: ops.ContextAdminElevated}, Params: json.RawMessage(`{"seconds":600}`),
			Undo: faults.Probe{{Op: ops.OpMutexGet, OK: true, Value: json.RawMessage(`{"name":"Global\\_MSIExecute","held":false}`)}}},
		{Kind: KindInstall, Product: "{92281016-51D7-4D16-BEF2-82F4FB32D003}", Target: faults.Target{Context: ops.ContextAdminElevated}},
	}
	b, err := RevertOps(entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 3 || b[0].Name != ops.OpMsiUninstall || b[len(b)-1].Name != ops.OpMsiUninstall {
		t.Errorf("RevertOps = %v, want removal, the fault's revert, removal", b)
	}
	// RevertProofOps puts the proof (the fault's probe) before the last removal.
	revert, proof, remove, err := RevertProofOps(entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(revert) != len(b)-1 || revert[0].Name != ops.OpMsiUninstall || revert[len(revert)-1].Name == ops.OpMsiUninstall ||
		len(proof) != 1 || proof[0].Name != ops.OpMutexGet || len(remove) != 1 || remove[0].Name != ops.OpMsiUninstall {
		t.Errorf("RevertProofOps = %v | %v | %v, want removal and revert | the probe | removal", revert, proof, remove)
	}
	// Without an install there is nothing to remove last.
	if revert, _, remove, err := RevertProofOps(entries[:1]); err != nil || len(remove) != 0 || len(revert) == 0 {
		t.Errorf("RevertProofOps of a fault alone = %v, remove %v, %v", revert, remove, err)
	}
}
