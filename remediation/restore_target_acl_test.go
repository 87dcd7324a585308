package remediation

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/win"
)

// A 1303 naming C:\Program Files (x86)\MsiLab\PerMachine, as the
// target-acl-system-denied scenario's log has it.
const log1303 = "MSI (s) (F0:0C) [09:00:00:300]: Note: 1: 1303 2: C:\\Program Files (x86)\\MsiLab\\PerMachine \n" +
	"Error 1303. The installer has insufficient privileges to access this directory: C:\\Program Files (x86)\\MsiLab\\PerMachine.  " +
	"The installation cannot continue.  Log on as administrator or contact your system administrator.\n" +
	"MSI (s) (F0:0C) [09:00:00:301]: MainEngineThread is returning 1603\n"

const (
	targetNamed  = `C:\Program Files (x86)\MsiLab\PerMachine`
	targetAbove  = `C:\Program Files (x86)\MsiLab`
	inheritedPF  = "(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;0x1200a9;;;BU)"
	healthyAbove = "O:BAG:SYD:AI" + inheritedPF
)

// targetState is the state the engine reads for a run with log1303: the
// named folder missing, the folder above with descriptor above.
func targetState(t *testing.T, above string) *HostState {
	t.Helper()
	in := newInput(msilog.ParseString(log1303), -1, nil)
	byCause, extra := runProbeOps(faults.Target{Context: ops.ContextAdminElevated}, in, nil)
	if len(extra) != 4 || len(byCause[FindingTargetDenied]) != 4 {
		t.Fatalf("run probes %v", extra)
	}
	val := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	var res []ops.Result
	for _, op := range extra {
		var a ops.PathArgs
		_ = json.Unmarshal(op.Args, &a)
		exists := strings.EqualFold(a.Path, targetAbove)
		switch op.Name {
		case ops.OpPathStat:
			res = append(res, ops.Result{Op: op.Name, OK: true, Value: val(ops.PathInfo{Path: a.Path, Exists: exists, ParentExists: true, IsDir: exists})})
		case ops.OpACLGet:
			acl := ops.ACL{Path: a.Path, Exists: exists}
			if exists {
				acl.SDDL = above
			}
			res = append(res, ops.Result{Op: op.Name, OK: true, Value: val(acl)})
		}
	}
	st, err := ReadState(faults.Target{Context: ops.ContextAdminElevated}, extra, res)
	if err != nil {
		t.Fatal(err)
	}
	st.RunProbes = byCause
	return st
}

// The fix gives SYSTEM back what the target-acl fault's deny took, on the
// folder above the missing one, and nothing else: the repaired DACL grants
// what the healthy one did (win.SameRights); its undo puts the probed
// DACL back; the cause reads the same folders.
func TestRestoreTargetACL(t *testing.T) {
	denied := "O:BAG:SYD:AI(D;OICI;0x116;;;SY)(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-1001)" + inheritedPF
	st := targetState(t, denied)
	fix := &RestoreTargetACL{}
	f := Finding{ID: FindingTargetDenied}
	if !fix.Applies(st, f) {
		t.Fatal("does not apply to a folder that denies SYSTEM")
	}
	if err := fix.Verify(st); err == nil || !strings.Contains(err.Error(), targetAbove) {
		t.Fatalf("Verify on the denied folder: %v", err)
	}
	change, err := fix.Ops(st, f)
	if err != nil || len(change) != 1 {
		t.Fatalf("ops %v, %v", change, err)
	}
	var set ops.ACLSetArgs
	_ = json.Unmarshal(change[0].Args, &set)
	if set.Path != targetAbove || !slices1(set.Sections, "dacl") {
		t.Fatalf("acl.set %+v", set)
	}
	got, _ := win.ParseSDDL("O:BAG:SY" + set.SDDL)
	want, _ := win.ParseSDDL("O:BAG:SYD:AI(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-1001)" + inheritedPF)
	if same, why := win.SameRights(got, want, win.FileMapping); !same {
		t.Errorf("repaired DACL %s: %s", set.SDDL, why)
	}
	after := targetState(t, "O:BAG:SY"+set.SDDL)
	if err := fix.Verify(after); err != nil {
		t.Errorf("Verify after: %v", err)
	}
	if fix.Applies(after, f) {
		t.Error("applies again once repaired")
	}

	// Undo: the probed DACL, only on that folder, only its DACL.
	data, err := fix.Undo(st)
	if err != nil {
		t.Fatal(err)
	}
	undo, err := fix.UndoOps(faults.Target{}, data)
	if err != nil || len(undo) != 1 {
		t.Fatalf("undo %v, %v", undo, err)
	}
	var back ops.ACLSetArgs
	_ = json.Unmarshal(undo[0].Args, &back)
	if back.Path != targetAbove || back.SDDL != denied {
		t.Errorf("undo sets %+v", back)
	}
	for _, bad := range []string{
		`{"folders":[{"path":"C:\\Windows\\Temp","sddl":"D:","sections":["dacl"]}]}`,
		`{"folders":[{"path":"C:\\Program Files","sddl":"D:","sections":["dacl"]}]}`,
		`{"folders":[{"path":"C:\\Program Files (x86)\\MsiLab","sddl":"O:SYD:","sections":["owner","dacl"]}]}`,
		`{"folders":[{"path":"C:\\Program Files (x86)\\MsiLab","sddl":"D:","sections":["dacl"],"extra":1}]}`,
		`{"folders":[]}`,
	} {
		if _, err := fix.UndoOps(faults.Target{}, json.RawMessage(bad)); err == nil {
			t.Errorf("UndoOps accepted %s", bad)
		}
	}

	// The cause: the host confirms the log, or refutes it once repaired.
	run := &ops.MsiRun{Log: log1303, ExitCode: 1603, Context: ops.ContextAdminElevated}
	for _, c := range []struct {
		st   *HostState
		conf float64
	}{{st, confBoth}, {after, confRefuted}} {
		fs := Diagnose(c.st, run, "")
		if len(fs) == 0 || fs[0].ID != FindingTargetDenied && c.conf == confBoth {
			t.Fatalf("findings %v", fs)
		}
		for _, f := range fs {
			if f.ID == FindingTargetDenied && f.Confidence != c.conf {
				t.Errorf("confidence %v, want %v: %v", f.Confidence, c.conf, f.Evidence)
			}
		}
	}
	if holds(FindingTargetDenied, after, ops.ContextAdminElevated, nil) {
		t.Error("holds once repaired")
	}
}

// What the fix does not touch: a folder that lacks nothing, a deny for a
// group that holds others too, a folder outside the ones it may change.
func TestRestoreTargetACLDoesNotApply(t *testing.T) {
	fix, f := &RestoreTargetACL{}, Finding{ID: FindingTargetDenied}
	for name, sddl := range map[string]string{
		"healthy":           healthyAbove,
		"deny for Everyone": "O:BAG:SYD:AI(D;OICI;0x116;;;WD)" + inheritedPF,
	} {
		if fix.Applies(targetState(t, sddl), f) {
			t.Errorf("%s: applies", name)
		}
	}
	if targetPathErr(`C:\Program Files (x86)`) == nil || targetPathErr(`C:\Windows\System32\x`) == nil || targetPathErr(targetAbove) != nil {
		t.Error("targetPathErr: wrong rule")
	}
	in := newInput(msilog.ParseString("MSI (s) (F0:0C) [09:00:00:301]: MainEngineThread is returning 1603\n"), -1, nil)
	if _, extra := runProbeOps(faults.Target{}, in, nil); len(extra) != 0 {
		t.Errorf("run probes without a 1303: %v", extra)
	}
}

func slices1(s []string, v string) bool { return len(s) == 1 && s[0] == v }
