package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
)

// cellOutcome is what a cell came to, as two runs of one profile must
// agree on it: status, the observed signals, each check, the remediation.
func cellOutcome(c results.CellResult) string {
	var checks []string
	for _, ch := range c.Checks {
		checks = append(checks, fmt.Sprintf("%s=%v", ch.Name, ch.OK))
	}
	rerun := -1
	if c.Remediation != nil && c.Remediation.Rerun != nil {
		rerun = c.Remediation.Rerun.ExitCode
	}
	return fmt.Sprintf("%s exit=%d messages=%v events=%v checks=%v remediation=%s rerun=%d baseline=%v",
		c.Status, c.Observed.ExitCode, c.Observed.Messages, c.Observed.Events, checks, c.Remediation.Outcome(), rerun, c.BackToBaseline)
}

// outcomes runs msilab run with args and returns each cell's outcome.
func outcomes(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"run", "--out", out}, args...), &stdout, &stderr)
	var code *exitCodeError
	if err != nil && !errors.As(err, &code) {
		t.Fatalf("msilab run %v: %v\n%s", args, err, stderr.String())
	}
	cells, err := results.Read(filepath.Join(out, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, c := range cells {
		m[c.ID] = cellOutcome(c)
	}
	return m
}

// differing lists the cells whose outcomes differ (or that one run lacks).
func differing(a, b map[string]string) []string {
	var out []string
	for id, o := range a {
		if b[id] != o {
			out = append(out, id+": "+o+" vs "+b[id])
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, id+": only in the second run")
		}
	}
	slices.Sort(out)
	return out
}

// msilab profile capture of a host, then a run on the captured profile,
// reproduces the results of the profile the host was built from, cell for
// cell; every value of the file carries its source. A host that differs
// (the DisableMSI policy set) gives a profile with the policy, whose run
// does not reproduce them.
func TestProfileCaptureReproducesProfile(t *testing.T) {
	const osName = "win11-24h2"
	_, ep := startSim(t, osName)
	file := filepath.Join(t.TempDir(), "captured.yaml")
	if out, err := msilab(t, append(append([]string{"profile", "capture"}, ep...), "--out", file)...); err != nil {
		t.Fatalf("capture: %v %s", err, out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Every top-level value has its source just above it.
	lines := strings.Split(string(data), "\n")
	key := regexp.MustCompile(`^([a-z_]+):`)
	for i, l := range lines {
		m := key.FindStringSubmatch(l)
		if m == nil || m[1] == "sources" {
			continue
		}
		if i == 0 || !regexp.MustCompile(`^# (not )?captured from WIN11-24H2 on \d{4}-\d\d-\d\d: `).MatchString(lines[i-1]) {
			t.Errorf("%s has no source comment: %q", m[1], lines[max(0, i-1)])
		}
	}
	got, err := win.LoadProfileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := win.LookupProfile(osName)
	if got.Name != want.Name || got.Build != want.Build || got.UBR != want.UBR || got.MsiVersion != want.MsiVersion ||
		got.Edition != want.Edition || got.DisplayName != want.DisplayName || got.Msiserver.Start != want.Msiserver.Start ||
		got.Msiserver.ImagePath != want.Msiserver.ImagePath || got.BuiltinAdminEnabled != want.BuiltinAdminEnabled || len(got.Policies) != 0 {
		t.Errorf("captured %+v\nbuilt-in %+v", got, want)
	}
	for _, p := range [][2]string{{got.TempSDDL, want.TempSDDL}, {got.InstallerSDDL, want.InstallerSDDL}} {
		a, err1 := win.ParseSDDL(p[0])
		b, err2 := win.ParseSDDL(p[1])
		if same, why := win.SameRights(a, b, win.FileMapping); err1 != nil || err2 != nil || !same {
			t.Errorf("captured ACL %s grants other rights than %s: %s %v %v", p[0], p[1], why, err1, err2)
		}
	}

	original := outcomes(t, "--os", osName)
	captured := outcomes(t, "--profile", file)
	if len(original) < 15 {
		t.Fatalf("only %d cells", len(original))
	}
	if d := differing(original, captured); len(d) > 0 {
		t.Errorf("the captured profile's run differs from %s's:\n%s", osName, strings.Join(d, "\n"))
	}

	// A host with DisableMSI=1: the policy is captured, and the run on
	// its profile does not reproduce the clean profile's results.
	if _, err := opOn(t, ep, "registry.set", `{"path":"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\Installer","name":"DisableMSI","type":"REG_DWORD","number":1}`); err != nil {
		t.Fatal(err)
	}
	file2 := filepath.Join(t.TempDir(), "policy.yaml")
	if out, err := msilab(t, append(append([]string{"profile", "capture"}, ep...), "--out", file2)...); err != nil {
		t.Fatalf("capture: %v %s", err, out)
	}
	p2, err := win.LoadProfileFile(file2)
	if err != nil || p2.Policies["DisableMSI"] != 1 {
		t.Fatalf("policies %v, %v", p2.Policies, err)
	}
	if d := differing(original, outcomes(t, "--profile", file2)); len(d) == 0 {
		t.Error("a profile with DisableMSI=1 reproduces the clean profile's results")
	}
}
