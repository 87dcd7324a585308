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
	"github.com/msilab/msilab/internal/evidencedoc"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

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
	// The catalog covers every row of docs/evidence.md's "Faults": the
	// rows name the built-ins that reproduce them, and every built-in is
	// named by such a row or is a negative control (it expects success).
	rows, err := evidencedoc.Load()
	if err != nil {
		t.Fatal(err)
	}
	if problems := catalogCoverage(rows, scs); len(problems) > 0 {
		t.Error(strings.Join(problems, "\n"))
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

// catalogCoverage lists what ties the catalog and the evidence page
// together and is missing: a "Faults" row naming no built-in scenario, a
// built-in that expects a failure and that no such row names.
func catalogCoverage(rows map[string]evidencedoc.Row, scs []*Scenario) []string {
	var out []string
	named := map[string]bool{}
	ids := make([]string, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		row := rows[id]
		if row.Section != evidencedoc.SectionFaults {
			continue
		}
		n := 0
		for _, sc := range scs {
			if row.Mentions(sc.Name) {
				named[sc.Name] = true
				n++
			}
		}
		if n == 0 {
			out = append(out, fmt.Sprintf("%s#%s names no built-in scenario (`name`): none reproduces it", evidencedoc.Path, id))
		}
	}
	for _, sc := range scs {
		if !named[sc.Name] && sc.Expect.ExitCode != 0 {
			out = append(out, fmt.Sprintf("built-in scenario %s expects exit %d but no row of %s's %q names it",
				sc.Name, sc.Expect.ExitCode, evidencedoc.Path, evidencedoc.SectionFaults))
		}
	}
	return out
}

// The check above fails: a row without a scenario, and a failing
// scenario without a row.
func TestCatalogCoverageFails(t *testing.T) {
	rows := map[string]evidencedoc.Row{
		"E-a": {ID: "E-a", Section: evidencedoc.SectionFaults, Body: "reproduced by `one`"},
		"E-b": {ID: "E-b", Section: evidencedoc.SectionFaults, Body: "nothing yet"},
	}
	scs := []*Scenario{{Name: "one", Expect: Expectation{ExitCode: 1603}}, {Name: "two", Expect: Expectation{ExitCode: 1625}},
		{Name: "control"}}
	got := catalogCoverage(rows, scs)
	if len(got) != 2 || !strings.Contains(got[0], "E-b") || !strings.Contains(got[1], "two") {
		t.Errorf("catalogCoverage = %q, want E-b and two reported", got)
	}
}

// faultGaps compares the faults that scenarios use with the registered
// ones: every fault a scenario uses must be a real, registered one, and
// every registered fault needs a scenario that uses it (CREATING_FAULTS.md,
// checklist step 7).
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

// The Temp-ACL chain of docs/evidence.md#E-temp-acl, as the built-ins expect it.
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
	serverReject := Expectation{ExitCode: 1625, Log: []string{"Machine policy value 'DisableMsi' is 1", "Non-assigned apps are disabled for non-admin users.",
		"MainEngineThread is returning 1625"}, Events: []int{11708, 1033}}
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
		{"mutex-held", "server2016", ops.ContextAdminElevated, Expectation{ExitCode: 1618,
			Log: []string{"Failed to grab execution mutex. System error 258.", "MainEngineThread is returning 1618"}, NotLog: []string{"Grabbed execution mutex"}, NoEvents: true}, false},
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
		if n := len(win.Profiles()); !strings.Contains(out, "cells: "+strconv.Itoa(2*n)) {
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
