package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
	"gopkg.in/yaml.v3"
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

// msilab profile capture reads each context's token: from a host whose
// profile plants a different standard-user token (an enabled
// Administrators group and the High label: a token the UAC never gives a
// standard user), the captured profile holds that list, group for group,
// and the other contexts' tokens as the host has them; a run on the
// captured profile reproduces the planted profile's results, which differ
// from the built-in profile's.
func TestProfileCaptureTokens(t *testing.T) {
	const osName = "win11-24h2"
	planted, _ := win.LookupProfile(osName)
	plantedGroups := []win.ProfileGroup{
		{SID: "S-1-1-0", Attributes: []string{"mandatory", "enabled-by-default", "enabled"}},
		{SID: "S-1-5-32-544", Attributes: []string{"mandatory", "enabled-by-default", "enabled", "owner"}},
		{SID: "S-1-5-32-545", Attributes: []string{"mandatory", "enabled-by-default", "enabled"}},
		{SID: "S-1-5-4", Attributes: []string{"mandatory", "enabled-by-default", "enabled"}},
		{SID: "<DOMAIN>-513", Attributes: []string{"mandatory", "enabled-by-default", "enabled"}},
		{SID: "<LOGON>", Attributes: []string{"mandatory", "enabled-by-default", "enabled", "logon-id"}},
		{SID: "S-1-16-12288", Attributes: []string{"integrity", "integrity-enabled"}},
	}
	planted.Tokens = map[win.TokenKind]win.ProfileToken{win.KindStandardUser: {Groups: plantedGroups,
		Privileges: []win.ProfilePrivilege{{Name: "SeChangeNotifyPrivilege", Enabled: true}, {Name: "SeShutdownPrivilege"}}}}
	data, err := yaml.Marshal(planted)
	if err != nil {
		t.Fatal(err)
	}
	plantedFile := filepath.Join(t.TempDir(), "planted.yaml")
	if err := os.WriteFile(plantedFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := win.LoadProfileFile(plantedFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", Profile: &p})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ep := []string{"--endpoint", srv.URL(), "--user", srv.User(), "--password", srv.Password(), "--auth", "basic", "--allow-basic-over-http"}
	if _, err := opOn(t, ep, "user.ensure", `{"name":"msilab-user","password":"Std-Passw0rd!"}`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MSILAB_TEST_STD_PW", "Std-Passw0rd!")
	file := filepath.Join(t.TempDir(), "captured.yaml")
	if out, err := msilab(t, append(append([]string{"profile", "capture"}, ep...), "--logon-env", "msilab-user=MSILAB_TEST_STD_PW", "--out", file)...); err != nil {
		t.Fatalf("capture: %v %s", err, out)
	}
	text, _ := os.ReadFile(file)
	got, err := win.LoadProfileFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if std := got.Tokens[win.KindStandardUser]; !reflect.DeepEqual(std.Groups, plantedGroups) || len(std.Privileges) != 2 {
		t.Errorf("captured standard-user token %+v, planted %+v", std, plantedGroups)
	}
	// The other contexts' tokens are the simulator's own (win.NewToken);
	// system's is not read, and the file says so.
	m := srv.Host().Machine()
	for _, kind := range []win.TokenKind{win.KindAdminElevated, win.KindAdminFiltered} {
		logon := win.LogonDefault
		if kind == win.KindAdminFiltered {
			logon = win.LogonInteractive
		}
		tok, err := m.LogonToken(kind, srv.User(), logon)
		if err != nil {
			t.Fatal(err)
		}
		if want := win.TokenProfile(tok, m.Domain()); !reflect.DeepEqual(got.Tokens[kind], want) {
			t.Errorf("captured %s token %+v, host's %+v", kind, got.Tokens[kind], want)
		}
	}
	if _, ok := got.Tokens[win.KindSystem]; ok || !strings.Contains(string(text), "not read, so the simulator's own tokens: system") ||
		!regexp.MustCompile(`(?m)^# captured from [A-Z0-9-]+ on \d{4}-\d\d-\d\d: user.token admin-elevated, admin-filtered, standard-user`).Match(text) {
		t.Errorf("tokens' source:\n%s", text)
	}

	only := []string{"--only", "silent-per-machine-not-elevated,disable-msi-non-admin"}
	original := outcomes(t, append([]string{"--profile", plantedFile}, only...)...)
	if len(original) < 2 {
		t.Fatalf("only %d cells", len(original))
	}
	if d := differing(original, outcomes(t, append([]string{"--profile", file}, only...)...)); len(d) > 0 {
		t.Errorf("the captured profile's run differs from the planted one's:\n%s", strings.Join(d, "\n"))
	}
	if d := differing(original, outcomes(t, append([]string{"--os", osName}, only...)...)); len(d) == 0 {
		t.Error("the planted standard-user token changes no result: the test would pass without capturing it")
	}
}
