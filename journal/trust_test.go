package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
)

var admin = faults.Target{AdminUser: "msilab", StandardUser: "msilab-user", Context: ops.ContextAdminElevated}

func result(op string, v any) ops.Result {
	b, _ := json.Marshal(v)
	return ops.Result{Op: op, OK: true, Value: b}
}

// installerMissing is the fault entry of installer-missing as the runner
// journals it: C:\Windows\Installer there, nothing at its hidden name.
func installerMissing() Entry {
	return Entry{Kind: KindFault, Cell: "c1", Host: "h", Target: admin, Fault: "installer-missing", Params: json.RawMessage(`{}`),
		Undo: faults.Probe{
			result(ops.OpPathStat, ops.PathInfo{Path: `C:\Windows\Installer`, Exists: true, ParentExists: true, IsDir: true}),
			result(ops.OpPathStat, ops.PathInfo{Path: `C:\Windows\Installer.msilab-hidden`, ParentExists: true}),
			result(ops.OpServiceGet, ops.Service{Name: ops.InstallerService, Exists: true, Start: 3, StartType: "Manual", State: "Running"}),
		}}
}

func writeJournal(t *testing.T, entries ...Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	return path
}

func TestReadChecksTheKeyedHash(t *testing.T) {
	path := writeJournal(t, installerMissing(), Entry{Kind: KindDone, Cell: "c1", Host: "h"})
	got, err := Read(path)
	if err != nil || len(got) != 2 || got[0].Run == "" || got[0].Run != got[1].Run {
		t.Fatalf("Read = %+v, %v", got, err)
	}
	data, _ := os.ReadFile(path)

	// An edited entry (another host) is refused, with its line.
	edited := bytes.Replace(data, []byte(`"host":"h"`), []byte(`"host":"x"`), 1)
	os.WriteFile(path, edited, 0o600)
	if _, err := Read(path); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("edited line: %v, want ErrTampered at line 1", err)
	}
	// A line from another journal (another key) is refused.
	other := writeJournal(t, installerMissing())
	foreign, _ := os.ReadFile(other)
	os.WriteFile(path, append(append([]byte(nil), data...), foreign...), 0o600)
	if _, err := Read(path); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), ":3:") {
		t.Errorf("foreign line: %v, want ErrTampered at line 3", err)
	}
	// Without its key, nothing in a journal is trusted.
	os.WriteFile(path, data, 0o600)
	os.Remove(KeyPath(path))
	if _, err := Read(path); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v, want ErrNoKey", err)
	}
	// Nor does Open make a key for a journal that has lines.
	if _, err := Open(path); !errors.Is(err, ErrNoKey) {
		t.Errorf("Open of a keyless journal: %v, want ErrNoKey", err)
	}
}

// A crafted entry that lists ops is refused even when signed with the
// journal's key: no field of an entry is a list of ops.
func TestReadRefusesOps(t *testing.T) {
	path := writeJournal(t)
	key, err := loadKey(path, false)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"time":"2026-01-01T00:00:00Z","kind":"remediation","cell":"c1","host":"h","target":{"AdminUser":"msilab","StandardUser":"msilab-user","Context":"admin-elevated"},` +
		`"ops":[{"op":"user.ensure","args":{"name":"evil","password":"x"}}]}`)
	line := append(append(body[:len(body)-1:len(body)-1], macField...), []byte(hexOf(sign(key, body))+`"}`+"\n")...)
	os.WriteFile(path, line, 0o600)
	if _, err := Read(path); err == nil || !strings.Contains(err.Error(), `unknown field "ops"`) {
		t.Errorf("an entry with ops: %v, want an unknown-field error", err)
	}
}

// Undo data that is not what the fault or the fix reads and changes is
// refused before anything is sent.
func TestRevertOpsChecksUndoData(t *testing.T) {
	good := installerMissing()
	if _, err := RevertOps([]Entry{good}); err != nil {
		t.Fatalf("a genuine entry: %v", err)
	}
	aclUndo := func(path string) Entry {
		return Entry{Kind: KindFault, Cell: "c1", Target: admin, Fault: "temp-acl", Params: json.RawMessage(`{"variant":"system-read-only"}`),
			Undo: faults.Probe{result(ops.OpACLGet, ops.ACL{Path: path, Exists: true, SDDL: "D:(A;OICI;FA;;;WD)"})}}
	}
	if _, err := RevertOps([]Entry{aclUndo(`C:\Windows\Temp`)}); err != nil {
		t.Fatalf("temp-acl: %v", err)
	}
	fix := func(name, undo string) Entry {
		return Entry{Kind: KindRemediation, Cell: "c1", Target: admin, Fix: name, FixUndo: json.RawMessage(undo)}
	}
	for name, e := range map[string]Entry{
		"a DACL probed on another folder": aclUndo(`C:\Windows\System32`),
		"a probe of other ops": {Kind: KindFault, Cell: "c1", Target: admin, Fault: "installer-missing",
			Undo: faults.Probe{result(ops.OpACLGet, ops.ACL{Path: `C:\Windows\Installer`})}},
		"an unknown fault parameter":    {Kind: KindFault, Cell: "c1", Target: admin, Fault: "mutex-held", Params: json.RawMessage(`{"seconds":5,"cmd":"x"}`)},
		"a parameter out of range":      {Kind: KindFault, Cell: "c1", Target: admin, Fault: "mutex-held", Params: json.RawMessage(`{"seconds":0}`)},
		"an unknown context":            {Kind: KindFault, Cell: "c1", Target: faults.Target{Context: "root"}, Fault: "mutex-held"},
		"a product that is not a GUID":  {Kind: KindInstall, Cell: "c1", Target: admin, Product: `{x} & calc`},
		"a removal as another user":     {Kind: KindInstall, Cell: "c1", Target: admin, Product: "{92281016-51D7-4D16-BEF2-82F4FB32D003}", Context: ops.ContextStandardUser, User: "Administrator"},
		"an unknown fix":                fix("format-disk", `{}`),
		"a fix's folder elsewhere":      fix("recreate-installer-folder", `{"path":"C:\\Windows\\System32","marker":"msilab-created.marker"}`),
		"a fix's marker elsewhere":      fix("recreate-installer-folder", `{"path":"C:\\Windows\\Installer","marker":"..\\x"}`),
		"a fix's DACL elsewhere":        fix("restore-temp-acl", `{"path":"C:\\Windows","sddl":"D:(A;;FA;;;WD)","sections":["dacl"]}`),
		"a fix's extra field":           fix("restore-temp-acl", `{"path":"C:\\Windows\\Temp","sddl":"D:(A;;FA;;;BA)","sections":["dacl"],"ops":[]}`),
		"a fix's other section":         fix("restore-temp-acl", `{"path":"C:\\Windows\\Temp","sddl":"D:(A;;FA;;;BA)","sections":["sacl"]}`),
		"a service start type":          fix("service-manual-start", `{"exists":true,"start_type":"Sometimes"}`),
		"undo data for a fix with none": fix("run-elevated", `{"path":"C:\\"}`),
		"a registry type":               fix("relax-disable-msi", `{"type":"REG_LINK","string":"x"}`),
	} {
		_, err := RevertOps([]Entry{e})
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !errors.Is(err, ErrEntry) && !errors.Is(err, remediation.ErrUndo) && !errors.Is(err, remediation.ErrUnknown) {
			t.Errorf("%s: %v, want ErrEntry or remediation.ErrUndo", name, err)
		}
	}
}

// The proof compares the faults' state with the journaled one: a revert
// that found the hidden folder gone (NotFound, "already reverted") while
// C:\Windows\Installer is gone too is not a revert.
func TestCheckProof(t *testing.T) {
	entries := []Entry{installerMissing()}
	proof, err := ProofOps(entries)
	if err != nil || len(proof) != 3 {
		t.Fatalf("ProofOps = %v, %v", proof, err)
	}
	back := []ops.Result{
		result(ops.OpPathStat, ops.PathInfo{Path: `C:\Windows\Installer`, Exists: true, ParentExists: true, IsDir: true}),
		result(ops.OpPathStat, ops.PathInfo{Path: `C:\Windows\Installer.msilab-hidden`, ParentExists: true}),
		// msiserver stopped by the inject: its run state is not compared.
		result(ops.OpServiceGet, ops.Service{Name: ops.InstallerService, Exists: true, Start: 3, StartType: "Manual", State: "Stopped"}),
	}
	if err := CheckProof(entries, back); err != nil {
		t.Errorf("the host is back: %v", err)
	}
	lost := []ops.Result{
		result(ops.OpPathStat, ops.PathInfo{Path: `C:\Windows\Installer`, ParentExists: true}),
		back[1], back[2],
	}
	if err := CheckProof(entries, lost); !errors.Is(err, ErrNotBack) || !strings.Contains(err.Error(), `C:\\Windows\\Installer`) {
		t.Errorf("Installer gone: %v, want ErrNotBack naming it", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
