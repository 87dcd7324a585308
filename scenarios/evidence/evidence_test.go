package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// tricky is text that could break out of a here-string, a quoted string,
// a comment or an HTML element, or be read in the wrong code page.
const tricky = "it's \"quoted\"\n'@\n\u2019@ </script><script>alert(1)</script> & <b> é ü 日本 😀 \u2028 \\ $env:TEMP `n @'"

const pkgPath = `C:\ProgramData\msilab\packages\permachine.msi`

// fixture is a failed cell of an install scenario, with the batches the
// runner records: baseline probe, inject, install, revert.
func fixture(t testing.TB) (*results.CellResult, *scenarios.Scenario, *ops.MsiRun) {
	t.Helper()
	sc := &scenarios.Scenario{
		Name:       "temp-acl-2503",
		Summary:    "Deny write on the installer marker — the install is not marked in progress: 2503, 2502, exit 1603 (é).",
		References: []string{"https://github.com/actions/runner-images/issues/1704", "https://learn.microsoft.com/windows/win32/msi/windows-installer-logging"},
		Evidence:   "R",
		Package:    "permachine",
		Contexts:   []string{ops.ContextStandardUser},
		Faults:     []scenarios.FaultSpec{{Type: "temp-acl", Params: json.RawMessage(`{"path":"C:\\Windows\\Temp","deny":"write"}`)}},
		Expect:     scenarios.Expectation{ExitCode: 1603, Messages: []int{2503, 2502}, Log: []string{"Called RunScript when not marked in progress", tricky}, Events: []int{11708}},
		File:       "builtin:temp-acl-2503.yaml",
		SHA256:     strings.Repeat("AB", 32),
	}
	run := &ops.MsiRun{
		Action: "install", Context: ops.ContextStandardUser, User: `WIN11\msilab-user`,
		CommandLine: `msiexec.exe /i "` + pkgPath + `" /qn /L*v "C:\ProgramData\msilab\runs\x\msiexec.log"`,
		ExitCode:    0,
		Log:         "=== Verbose logging started ===\r\nMSI (s) (C0:D4) [09:30:01:310]: Note: 1: 2203 2: x 3: -2147287038\r\n" + tricky + "\r\n=== Verbose logging stopped ===\r\n",
		Events: []ops.Event{{RecordID: 42, Time: time.Date(2025, 3, 14, 9, 30, 2, 0, time.UTC), Source: "MsiInstaller", EventID: 11707,
			Level: "Information", Message: "Product: permachine -- Installation completed successfully."}},
	}
	c := &results.CellResult{
		ID: "temp-acl-2503/win11-23h2/standard-user", Scenario: "temp-acl-2503", OS: "win11-23h2", Host: "lab-win11-1",
		Context: ops.ContextStandardUser, Status: results.StatusFail, Reason: "exit code 0, expected 1603",
		Expected: results.Expected{ExitCode: 1603, Messages: []int{2503, 2502}, Log: sc.Expect.Log, Events: []int{11708}},
		Observed: results.Observed{ExitCode: 0, Events: []int{11707}, Log: run.Log},
		Checks: []results.Check{
			{Name: "exit_code", OK: false, Want: "1603", Got: "0"},
			{Name: "events", OK: false, Want: "11708", Got: "11707"},
		},
		Faults:      []results.FaultNote{{Type: "temp-acl", Params: `{"path":"C:\\Windows\\Temp","deny":"write"}`}},
		Commands:    5,
		Attempts:    1,
		Started:     time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC),
		Duration:    9 * time.Second,
		StateBefore: []string{`acl C:\Windows\Temp = O:SYG:SYD:(A;OICI;FA;;;SY)`, "service msiserver start = Manual"},
		StateAfter:  []string{`acl C:\Windows\Temp = O:SYG:SYD:(A;OICI;FA;;;SY)`, "service msiserver start = Manual"},
		Record: results.Record{
			ScenarioFile: sc.File, ScenarioSHA256: sc.SHA256, Package: "builtin:permachine.msi", PackageSHA256: strings.Repeat("CD", 32),
			ProductCode: "{01234567-89AB-CDEF-0123-456789ABCDEF}", OSBuild: "22631.3155", MsiVersion: "5.0.22621.2506",
			Snapshot: "clean", ToolVersion: "v0.4.0-test",
			Batches: [][]ops.Op{
				{ops.MustNew(ops.OpPathHash, ops.PathHashArgs{Path: pkgPath}), ops.MustNew("acl.get", map[string]string{"path": `C:\Windows\Temp`})},
				{ops.MustNew("user.ensure", map[string]any{"name": "msilab-user"}), ops.MustNew("acl.set", map[string]any{"path": `C:\Windows\Temp`, "sddl": "D:(D;OICI;FW;;;WD)", "note": tricky})},
				{ops.MustNew(ops.OpEventBookmark, nil), ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkgPath, Context: ops.ContextStandardUser, Properties: map[string]string{"NOTE": "é"}})},
				{ops.MustNew("acl.set", map[string]any{"path": `C:\Windows\Temp`, "sddl": "D:(A;OICI;FA;;;SY)"})},
			},
		},
		Evidence: "cells/temp-acl-2503_win11-23h2_standard-user",
	}
	return c, sc, run
}

func TestWrite(t *testing.T) {
	c, sc, run := fixture(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := Write(dir, c, sc, run); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, f := range Files() {
		read(f)
	}

	var cell results.CellResult
	if err := json.Unmarshal(read(FileCell), &cell); err != nil {
		t.Fatalf("%s: %v", FileCell, err)
	}
	if cell.ID != c.ID || !reflect.DeepEqual(cell.Checks, c.Checks) || !reflect.DeepEqual(cell.Expected, c.Expected) {
		t.Errorf("%s does not hold the cell: %+v", FileCell, cell)
	}
	if !bytes.Contains(read(FileCell), []byte("\n  \"id\": ")) {
		t.Errorf("%s is not indented", FileCell)
	}
	var exp results.Expected
	if err := json.Unmarshal(read(FileExpectation), &exp); err != nil || !reflect.DeepEqual(exp, c.Expected) {
		t.Errorf("%s = %+v (%v), want %+v", FileExpectation, exp, err, c.Expected)
	}
	if got := string(read(FileLog)); got != run.Log || !strings.Contains(got, "\r\n") {
		t.Errorf("%s is not the log as it came, CRLF kept", FileLog)
	}
	var events []ops.Event
	if err := json.Unmarshal(read(FileEvents), &events); err != nil || !reflect.DeepEqual(events, run.Events) {
		t.Errorf("%s = %+v (%v), want %+v", FileEvents, events, err, run.Events)
	}
	if got, want := string(read(FileStateBefore)), strings.Join(c.StateBefore, "\n")+"\n"; got != want {
		t.Errorf("%s = %q, want %q", FileStateBefore, got, want)
	}
	if got, want := string(read(FileStateAfter)), strings.Join(c.StateAfter, "\n")+"\n"; got != want {
		t.Errorf("%s = %q, want %q", FileStateAfter, got, want)
	}
	var batches [][]ops.Op
	if err := json.Unmarshal(read(FileBatches), &batches); err != nil {
		t.Fatalf("%s: %v", FileBatches, err)
	}
	if !sameBatches(t, batches, c.Record.Batches) {
		t.Errorf("%s differs from the recorded batches", FileBatches)
	}
	var scen scenarios.Scenario
	if err := json.Unmarshal(read(FileScenario), &scen); err != nil || scen.Name != sc.Name || scen.SHA256 != sc.SHA256 || len(scen.Faults) != 1 {
		t.Errorf("%s = %+v (%v)", FileScenario, scen, err)
	}
	repro := read(FileRepro)
	if !bytes.HasPrefix(repro, utf8BOM) {
		t.Errorf("%s has no UTF-8 byte order mark", FileRepro)
	}
	want, err := Repro(c, sc)
	if err != nil {
		t.Fatal(err)
	}
	if string(repro[len(utf8BOM):]) != want {
		t.Errorf("%s is not Repro's text", FileRepro)
	}
}

// TestWriteWithoutRun: an infra-error cell that never ran its install
// still gets a whole bundle; the log is empty and the events an empty list.
func TestWriteWithoutRun(t *testing.T) {
	c, _, _ := fixture(t)
	c.Status, c.Reason, c.Observed = results.StatusInfra, "WinRM: connection refused", results.Observed{}
	c.Record.Batches = c.Record.Batches[:1]
	dir := t.TempDir()
	if err := Write(dir, c, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files() {
		_, err := os.Stat(filepath.Join(dir, f))
		if f == FileScenario {
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s written without a scenario", f)
			}
			continue
		}
		if err != nil {
			t.Error(err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileEvents)); strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("%s = %q, want []", FileEvents, b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileLog)); len(b) != 0 {
		t.Errorf("%s = %q, want empty", FileLog, b)
	}
	if err := Write(dir, nil, nil, nil); !errors.Is(err, ErrNoCell) {
		t.Errorf("Write(nil cell) = %v, want ErrNoCell", err)
	}
}

// sameBatches compares batches by op name and decoded args.
func sameBatches(t *testing.T, got, want [][]ops.Op) bool {
	t.Helper()
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return false
		}
		for j := range want[i] {
			if got[i][j].Name != want[i][j].Name || !sameJSON(t, got[i][j].Args, want[i][j].Args) {
				t.Logf("batch %d op %d: %s %s, want %s %s", i+1, j+1, got[i][j].Name, got[i][j].Args, want[i][j].Name, want[i][j].Args)
				return false
			}
		}
	}
	return true
}

func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}
