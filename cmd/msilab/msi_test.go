package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/testpkgs"
)

func msiRun(t *testing.T, r ops.Result, err error) ops.MsiRun {
	t.Helper()
	var out ops.MsiRun
	if err != nil || r.Decode(&out) != nil {
		t.Fatalf("msi op: %+v %v", r, err)
	}
	return out
}

func eventIDs(run ops.MsiRun) []int {
	var ids []int
	for _, e := range run.Events {
		ids = append(ids, e.EventID)
	}
	return ids
}

// Reproducing 2503/2502 by hand, as a researcher types it (the README's
// walk-through): upload a test package, install it with msilab op, break
// C:\Windows\Temp's ACL, install again.
func TestMsiInstallWithOp(t *testing.T) {
	url := serve(t, "--os", "win11-24h2")
	ep := []string{"--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!"}
	var out bytes.Buffer
	if err := run(context.Background(), append(append([]string{"upload"}, ep...), "testpkg:permachine"), &out, io.Discard); err != nil ||
		!strings.HasPrefix(out.String(), `uploaded C:\ProgramData\msilab\packages\permachine.msi`) {
		t.Fatalf("upload: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), append(append([]string{"upload"}, ep...), "testpkg:permachine"), &out, io.Discard); err != nil ||
		!strings.HasPrefix(out.String(), "already there") {
		t.Fatalf("second upload should be skipped by hash: %v %q", err, out.String())
	}
	pkg := `{"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi"}`
	if _, err := op(t, url, "sim.snapshot", `{"name":"clean"}`); err != nil {
		t.Fatal(err)
	}
	r0, err0 := op(t, url, "msi.install", pkg)
	ok := msiRun(t, r0, err0)
	if ok.ExitCode != 0 || !slices.Contains(eventIDs(ok), 11707) || !slices.Contains(eventIDs(ok), 1033) {
		t.Fatalf("install: exit %d events %v\n%s", ok.ExitCode, eventIDs(ok), ok.Log)
	}
	info, _ := testpkgs.Lookup("permachine")
	r, err := op(t, url, "path.stat", `{"path":"C:\\Program Files (x86)\\MsiLab\\PerMachine\\`+info.File+`"}`)
	var st ops.PathInfo
	if err != nil || r.Decode(&st) != nil || !st.Exists {
		t.Fatalf("installed file: %+v %v", st, err)
	}
	if _, err := op(t, url, "sim.restore", `{"name":"clean"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := op(t, url, "acl.set", `{"path":"C:\\Windows\\Temp","sddl":"D:PAI(D;OICI;0x116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"}`); err != nil {
		t.Fatal(err)
	}
	r1, err1 := op(t, url, "msi.install", pkg)
	bad := msiRun(t, r1, err1)
	i2503, i2502 := strings.Index(bad.Log, "Note: 1: 2503"), strings.Index(bad.Log, "Note: 1: 2502")
	if bad.ExitCode != 1603 || i2503 < 0 || i2502 < i2503 {
		t.Fatalf("broken Temp: exit %d, 2503 at %d, 2502 at %d\n%s", bad.ExitCode, i2503, i2502, bad.Log)
	}
	for _, id := range []int{10005, 11708, 1033} {
		if !slices.Contains(eventIDs(bad), id) {
			t.Errorf("broken Temp: events %v lack %d", eventIDs(bad), id)
		}
	}
}

func TestUploadBadInput(t *testing.T) {
	for _, args := range [][]string{{"upload"}, {"upload", "--endpoint", "127.0.0.1:1", "--user", "u", "testpkg:nope"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	err := run(context.Background(), []string{"upload", "--endpoint", "127.0.0.1:1", "--user", "u", "/no/such/file.msi"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing local file: %v", err)
	}
}

func TestSimRules(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sim", "rules"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"marker-denied-2503-2502", "runner-images#1704", "lua-silent-1925", "docs/evidence.md#E-temp-acl"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sim rules lacks %q", want)
		}
	}
}

// msilab faults show points at the fault's rows of docs/evidence.md.
func TestFaultsShow(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"faults", "show", "temp-acl"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"evidence: docs/evidence.md#E-temp-acl:", "variant"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("faults show temp-acl lacks %q:\n%s", want, out.String())
		}
	}
}
