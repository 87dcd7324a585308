package scenarios

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/testpkgs"
)

// Each row of EVIDENCE.md's rules table and the scenarios that reproduce it.
var evidenceRows = map[string][]string{
	`C:\Windows\Temp ACL broken, elevated admin install (2503/2502)`: {"temp-acl-system-read-only", "temp-acl-users-write-removed", "temp-acl-inheritance-broken"},
	`per-user %TEMP% missing or unwritable (1632)`:                   {"user-temp-missing", "user-temp-unwritable"},
	`C:\Windows\Installer denies SYSTEM write (2503/2502)`:           {"installer-acl"},
	`C:\Windows\Installer missing (2203)`:                            {"installer-missing"},
	`per-machine package, non-elevated, /qn (1925)`:                  {"silent-per-machine-not-elevated"},
	`per-machine package, non-elevated, full UI (0)`:                 {"full-ui-filtered-admin"},
	`per-machine product, silent uninstall, non-elevated (1730)`:     {"silent-uninstall-not-elevated"},
	`DisableMSI = 2 (1625)`:                                          {"disable-msi-always"},
	`DisableMSI = 1, non-elevated per-user install, Server default`:  {"disable-msi-non-admin", "per-user-server-default"},
	`AlwaysInstallElevated = 1 in HKLM and HKCU (0)`:                 {"always-install-elevated"},
	`msiserver stopped, demand start (0)`:                            {"service-stopped"},
	`msiserver disabled or unregistered (1601)`:                      {"service-disabled", "service-unregistered"},
	`_MSIExecute mutex held (1618)`:                                  {"mutex-held"},
	`deferred EXE custom action exits non-zero (1722)`:               {"custom-action-fails"},
	`negative controls`:                                              {"clean-host", "custom-action-ok", "service-stopped"},
}

func TestBuiltinCatalog(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, gap := range faultGaps(scs, faults.Names()) {
		t.Error(gap)
	}
	byName := map[string]*Scenario{}
	for _, sc := range scs {
		byName[sc.Name] = sc
		if sc.Summary == "" || sc.Evidence == "" {
			t.Errorf("%s: summary and evidence are required in the catalog", sc.Name)
		}
		if sc.File != "builtin:"+sc.Name+".yaml" || len(sc.SHA256) != 64 {
			t.Errorf("%s: File %q SHA256 %q", sc.Name, sc.File, sc.SHA256)
		}
		for _, r := range sc.References {
			if !strings.HasPrefix(r, "https://") {
				t.Errorf("%s: reference %q", sc.Name, r)
			}
		}
		// Overrides explain themselves in reports.
		for i, o := range sc.Overrides {
			if o.Reason == "" {
				t.Errorf("%s: override %d has no reason", sc.Name, i)
			}
		}
	}
	for row, names := range evidenceRows {
		for _, n := range names {
			if byName[n] == nil {
				t.Errorf("EVIDENCE.md row %q: no built-in scenario %q", row, n)
			}
		}
	}
	var covered []string
	for _, names := range evidenceRows {
		covered = append(covered, names...)
	}
	for _, sc := range scs {
		if !slices.Contains(covered, sc.Name) {
			t.Errorf("built-in scenario %s is not tied to an EVIDENCE.md row in this test", sc.Name)
		}
	}
	// Builtin returns fresh values.
	again, _ := Builtin()
	again[0].Name = "changed"
	if third, _ := Builtin(); third[0].Name == "changed" {
		t.Errorf("Builtin shares its scenarios between calls")
	}
	// BuiltinFS has the same files.
	entries, err := fs.ReadDir(BuiltinFS(), ".")
	if err != nil || len(entries) != len(scs) {
		t.Errorf("BuiltinFS: %d entries, %v", len(entries), err)
	}
}

// faultGaps compares the faults that scenarios use with the registered
// ones: every fault a scenario uses must be a real, registered one, and
// every registered fault needs a scenario that uses it (CREATING_FAULTS.md,
// checklist step 4).
func faultGaps(scs []*Scenario, registered []string) []string {
	var gaps []string
	used := map[string]bool{}
	for _, sc := range scs {
		for _, f := range sc.Faults {
			if !used[f.Type] && !slices.Contains(registered, f.Type) {
				gaps = append(gaps, fmt.Sprintf("scenario %s uses fault %s, which the faults package does not register", sc.Name, f.Type))
			}
			used[f.Type] = true
		}
	}
	for _, name := range registered {
		if !used[name] {
			gaps = append(gaps, fmt.Sprintf("fault %s has no built-in scenario that uses it", name))
		}
	}
	return gaps
}

// TestBuiltinCatalog's fault check fails on a catalog that does not match
// the registered faults: a scenario using an unregistered fault, and a
// registered fault that no scenario uses.
func TestFaultGapsReported(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	broken := append(scs, &Scenario{Name: "fake-scenario", Faults: []FaultSpec{{Type: "fake-unregistered"}}})
	gaps := faultGaps(broken, append(faults.Names(), "fake-unused"))
	want := []string{
		"scenario fake-scenario uses fault fake-unregistered, which the faults package does not register",
		"fault fake-unused has no built-in scenario that uses it",
	}
	if !slices.Equal(gaps, want) {
		t.Errorf("gaps of a broken catalog:\n%s\nwant:\n%s", strings.Join(gaps, "\n"), strings.Join(want, "\n"))
	}
}

// The Temp-ACL chain of EVIDENCE.md's first row, as the built-ins expect it.
func TestBuiltinExpectations(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Scenario{}
	for _, sc := range scs {
		byName[sc.Name] = sc
	}
	chain := Expectation{ExitCode: 1603, Messages: []int{2503, 2502},
		Log:    []string{"inprogressinstallinfo.ipi 3: -2147287035", "Note: 1: 2503", "Note: 1: 2502", "MainEngineThread is returning 1603"},
		Events: []int{10005, 10005, 11708, 1033}}
	serverReject := Expectation{ExitCode: 1625, Log: []string{"Non-assigned apps are disabled for non-admin users."}, NoEvents: true}
	for _, tc := range []struct {
		name, os, ctx string
		want          Expectation
		override      bool
	}{
		{"temp-acl-system-read-only", "win11-24h2", ops.ContextAdminElevated, chain, false},
		{"temp-acl-system-read-only", "server2022", ops.ContextAdminElevated, chain, false},
		{"temp-acl-users-write-removed", "win10-22h2", ops.ContextAdminFiltered, chain, false},
		{"temp-acl-users-write-removed", "server2019", ops.ContextStandardUser, serverReject, true},
		{"installer-acl", "win11-24h2", ops.ContextAdminElevated, chain, false},
		{"per-user-server-default", "win11-24h2", ops.ContextStandardUser, Expectation{ExitCode: 0, Events: []int{11707, 1033}}, false},
		{"per-user-server-default", "server2025", ops.ContextStandardUser, serverReject, true},
		{"mutex-held", "server2016", ops.ContextAdminElevated, Expectation{ExitCode: 1618, Messages: []int{1500}, NotLog: []string{"Grabbed execution mutex"}, NoEvents: true}, false},
	} {
		got, reason := byName[tc.name].ExpectFor(tc.os, tc.ctx)
		if !equalExpect(got, tc.want) || (reason != "") != tc.override {
			t.Errorf("%s/%s/%s = %+v (%q), want %+v", tc.name, tc.os, tc.ctx, got, reason, tc.want)
		}
	}
}

func equalExpect(a, b Expectation) bool {
	return a.ExitCode == b.ExitCode && slices.Equal(a.Messages, b.Messages) && slices.Equal(a.Log, b.Log) &&
		slices.Equal(a.NotLog, b.NotLog) && slices.Equal(a.Events, b.Events) && a.NoEvents == b.NoEvents
}

func TestExplain(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		var buf bytes.Buffer
		if err := Explain(&buf, sc); err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		out := buf.String()
		for _, ctx := range sc.Contexts {
			if !strings.Contains(out, "context "+ctx+": ") {
				t.Errorf("%s: no section for context %s:\n%s", sc.Name, ctx, out)
			}
		}
		for _, o := range sc.Overrides {
			if !strings.Contains(out, "override: "+o.Reason) {
				t.Errorf("%s: override reason missing:\n%s", sc.Name, out)
			}
		}
		if !strings.Contains(out, "release the host") {
			t.Errorf("%s: lifecycle incomplete:\n%s", sc.Name, out)
		}
	}

	sc, err := Parse("x.yaml", []byte(validFile))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Explain(&buf, sc); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`msi.install {"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"standard-user","properties":{"LOGLEVEL":"2"},"ui":"none"}`,
		`temp-acl {"variant":"users-write-removed"}: ops computed from the probe: `,
		`msi.uninstall {"product":"{92281016-51D7-4D16-BEF2-82F4FB32D003}","context":"admin-elevated","ui":"none"}`,
		`server2022: exit code 1625; messages 2503, 2502 in order; log has, in order, "Note: 1: 2503"; log lacks "Grabbed"; no MsiInstaller event — override: Server default policy.`,
		`server2022, win11-24h2: exit code 1603; messages 2503, 2502 in order;`,
		"cells: 4 = 2 OS profile(s) × 2 context(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %s\n%s", want, out)
		}
	}
	// The probes are the faults' own, for each context.
	for _, ctx := range sc.Contexts {
		for _, spec := range sc.Faults {
			f, err := faults.Decode(spec.Type, spec.Params)
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range f.Probe(faults.Target{AdminUser: "msilab", StandardUser: "msilab-user", Context: ctx}) {
				if want := spec.Type + ": " + op.Name + " " + string(op.Args); !strings.Contains(out, want) {
					t.Errorf("explain lacks the %s probe %s\n%s", ctx, want, out)
				}
			}
		}
	}
}

// Explain's OS list follows the scenario, and uninstall scenarios install first.
func TestExplainUninstall(t *testing.T) {
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range scs {
		if sc.Name != "silent-uninstall-not-elevated" {
			continue
		}
		var buf bytes.Buffer
		if err := Explain(&buf, sc); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		install := strings.Index(out, `msi.install {"package":"C:\\ProgramData\\msilab\\packages\\permachine.msi","context":"admin-elevated","ui":"none"}`)
		remove := strings.Index(out, `msi.uninstall {"product":"{92281016-51D7-4D16-BEF2-82F4FB32D003}","context":"standard-user","ui":"none"}`)
		if install < 0 || remove < 0 || install > remove {
			t.Errorf("uninstall cell: install %d, removal %d\n%s", install, remove, out)
		}
		if n := len(model.Profiles()); !strings.Contains(out, "cells: "+strconv.Itoa(2*n)) {
			t.Errorf("cell count\n%s", out)
		}
	}
}

func TestExplainLocalPackage(t *testing.T) {
	dir := t.TempDir()
	data, err := testpkgs.Bytes("peruser")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.msi"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Parse(filepath.Join(dir, "s.yaml"), []byte("name: mine\npackage: mine.msi\ncontexts: [standard-user]\nexpect:\n  exit_code: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Explain(&buf, sc); err != nil {
		t.Fatal(err)
	}
	info, _ := testpkgs.Lookup("peruser")
	for _, want := range []string{
		`msi.install {"package":"C:\\ProgramData\\msilab\\packages\\mine.msi","context":"standard-user","ui":"none"}`,
		`msi.uninstall {"product":"` + info.ProductCode + `","context":"standard-user","ui":"none"}`,
		"package: mine.msi (local file " + filepath.Join(dir, "mine.msi") + ")",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("explain lacks %s\n%s", want, buf.String())
		}
	}
}
