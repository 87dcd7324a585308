package faults_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/evidencedoc"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// The fault names and parameters that scenario files use.
var wantFaults = map[string][]string{
	"temp-acl":                {"variant"},
	"user-temp":               {"state"},
	"installer-acl":           nil,
	"installer-missing":       nil,
	"service-disabled":        nil,
	"service-stopped":         nil,
	"service-unregistered":    nil,
	"disable-msi":             {"value"},
	"always-install-elevated": nil,
	"mutex-held":              {"seconds"},
	"target-acl":              {"folder"},
	"source-missing":          {"product"},
}

// checkEvidence: a fault's Evidence cites rows of docs/evidence.md that
// exist, one of them names the fault, and it carries a D, R or G label.
func checkEvidence(t *testing.T, rows map[string]evidencedoc.Row, name, evidence string) {
	t.Helper()
	if !strings.ContainsAny(evidence, "DRG") {
		t.Errorf("%s: Evidence has no D, R or G label: %q", name, evidence)
	}
	cited := evidencedoc.Cited(evidence)
	if len(cited) == 0 {
		t.Errorf("%s: Evidence cites no row of %s: %q", name, evidencedoc.Path, evidence)
		return
	}
	named := false
	for _, id := range cited {
		row, ok := rows[id]
		if !ok {
			t.Errorf("%s: Evidence cites %s#%s, which is no row", name, evidencedoc.Path, id)
			continue
		}
		named = named || row.Mentions(name)
	}
	if !named {
		t.Errorf("%s: none of the rows its Evidence cites (%v) names the fault as `%s`", name, cited, name)
	}
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	rows, err := evidencedoc.Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, params := range wantFaults {
		info, err := faults.Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if info.Name != name || info.Summary == "" || info.Evidence == "" || info.Inject == "" || info.Revert == "" || info.New == nil {
			t.Errorf("%s: Info not filled in: %+v", name, info)
		}
		checkEvidence(t, rows, name, info.Evidence)
		ps, err := faults.ParamsOf(name)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.Name)
			if strings.TrimSpace(p.Doc) == "" {
				t.Errorf("%s: parameter %s has no doc tag", name, p.Name)
			}
		}
		if !reflect.DeepEqual(got, params) {
			t.Errorf("%s: parameters %v, want %v", name, got, params)
		}
		// The defaults decode and validate.
		if _, err := faults.Decode(name, nil); err != nil {
			t.Errorf("%s: defaults: %v", name, err)
		}
		if _, err := faults.Decode(name, []byte(`{"surprise":1}`)); err == nil {
			t.Errorf("%s: an unknown parameter was accepted", name)
		}
	}
	for _, name := range unchecked(faults.Names()) {
		t.Errorf("fault %s is registered but not checked here: add its parameters to wantFaults", name)
		info, _ := faults.Lookup(name)
		checkEvidence(t, rows, name, info.Evidence)
	}
}

// unchecked lists the registered faults that wantFaults does not name.
func unchecked(registered []string) []string {
	var out []string
	for _, name := range registered {
		if _, ok := wantFaults[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

// TestCatalog fails on a registered fault it does not check.
func TestCatalogReportsUncheckedFault(t *testing.T) {
	t.Parallel()
	if got := unchecked(append(faults.Names(), "fake-fault")); !reflect.DeepEqual(got, []string{"fake-fault"}) {
		t.Errorf("unchecked faults %v, want [fake-fault]", got)
	}
}

func TestDecodeRejectsBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, params, param string }{
		{"temp-acl", `{"variant":"everyone-full"}`, "variant"},
		{"temp-acl", `{"variant":""}`, "variant"},
		{"user-temp", `{"state":"gone"}`, "state"},
		{"disable-msi", `{"value":0}`, "value"},
		{"disable-msi", `{"value":3}`, "value"},
		{"mutex-held", `{"seconds":0}`, "seconds"},
		{"mutex-held", `{"seconds":86401}`, "seconds"},
		{"target-acl", `{"folder":"C:\\Windows\\Temp\\x"}`, "folder"},
		{"target-acl", `{"folder":"C:\\Program Files"}`, "folder"},
		{"target-acl", `{"folder":"relative\\path"}`, "folder"},
		{"target-acl", `{"folder":"C:\\Program Files\\..\\Windows"}`, "folder"},
		{"target-acl", `{"folder":"C:\\Users\\Public\\x"}`, "folder"},
		{"source-missing", `{"product":"92281016-51D7-4D16-BEF2-82F4FB32D003"}`, "product"},
	} {
		_, err := faults.Decode(tc.name, []byte(tc.params))
		var pe *faults.ParamError
		if !errors.As(err, &pe) || !errors.Is(err, faults.ErrParam) || pe.Param != tc.param {
			t.Errorf("%s %s: %v, want a *ParamError for %s", tc.name, tc.params, err, tc.param)
		}
	}
	// An unknown variant lists the known ones.
	_, err := faults.Decode("temp-acl", []byte(`{"variant":"x"}`))
	for _, v := range []string{"system-read-only", "users-write-removed", "inheritance-broken"} {
		if err == nil || !strings.Contains(err.Error(), v) {
			t.Errorf("the error for an unknown variant does not list %s: %v", v, err)
		}
	}
	// Wrong types are refused by the strict decoding.
	for _, tc := range []struct{ name, params string }{
		{"disable-msi", `{"value":"2"}`}, {"mutex-held", `{"seconds":1.5}`}, {"temp-acl", `{"variant":1}`},
	} {
		if _, err := faults.Decode(tc.name, []byte(tc.params)); err == nil {
			t.Errorf("%s %s: accepted", tc.name, tc.params)
		}
	}
	// Good values decode.
	for _, tc := range []struct{ name, params string }{
		{"temp-acl", `{"variant":"inheritance-broken"}`}, {"user-temp", `{"state":"unwritable"}`},
		{"disable-msi", `{"value":1}`}, {"mutex-held", `{"seconds":86400}`}, {"mutex-held", `{"seconds":1}`},
		{"target-acl", `{"folder":"D:\\Apps\\Vendor\\"}`},
	} {
		if _, err := faults.Decode(tc.name, []byte(tc.params)); err != nil {
			t.Errorf("%s %s: %v", tc.name, tc.params, err)
		}
	}
}

// Inject refuses host states it cannot work from, with ErrHostState.
func TestInjectRefusesHostStates(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	tgt := l.target(ops.ContextAdminElevated)
	// installer-missing, twice: the first hid the folder.
	f, _ := faults.Decode("installer-missing", nil)
	batch, err := f.Inject(tgt, l.probe(f, tgt))
	if err != nil {
		t.Fatal(err)
	}
	undo := l.probe(f, tgt)
	l.mustRun(batch...)
	if _, err := f.Inject(tgt, l.probe(f, tgt)); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("installer-missing on a host without C:\\Windows\\Installer: %v", err)
	}
	l.revert(f, tgt, undo)
	// mutex-held while another process holds the mutex.
	m := l.srv.Host().Machine().Mutexes()
	if err := m.Acquire(ops.MutexExecute, "msiexec.exe (PID 4242)", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f, _ = faults.Decode("mutex-held", nil)
	if _, err := f.Inject(tgt, l.probe(f, tgt)); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("mutex-held with the mutex held by another process: %v", err)
	}
	m.Release(ops.MutexExecute)
	// service-unregistered when msiserver is not registered.
	f, _ = faults.Decode("service-unregistered", nil)
	undo = l.probe(f, tgt)
	batch, _ = f.Inject(tgt, undo)
	l.mustRun(batch...)
	if _, err := f.Inject(tgt, l.probe(f, tgt)); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("service-unregistered without msiserver: %v", err)
	}
	l.revert(f, tgt, undo)
	l.assertBaseline(`C:\Windows\Installer`)
}

// always-install-elevated needs its follow-up reads (the user's hive,
// named by the SID): a probe without them is refused, not half used.
func TestAlwaysInstallElevatedNeedsFollowUp(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	tgt := l.target(ops.ContextStandardUser)
	f, _ := faults.Decode("always-install-elevated", nil)
	first := l.run(f.Probe(tgt)...)
	if _, err := f.Inject(tgt, first); !errors.Is(err, faults.ErrProbe) || !strings.Contains(err.Error(), "RunProbe") {
		t.Errorf("inject from a probe without follow-up: %v", err)
	}
	if _, err := f.Detect(tgt, first); !errors.Is(err, faults.ErrProbe) {
		t.Errorf("detect from a probe without follow-up: %v", err)
	}
	// Revert from it restores what it has: the HKLM value only.
	if batch, err := f.Revert(tgt, first); err != nil || len(batch) != 1 {
		t.Errorf("revert from a probe without follow-up: %v, %v", batch, err)
	}
	// The system context needs no follow-up: S-1-5-18's hive is known.
	sys := l.target(ops.ContextSystem)
	p := l.probe(f, sys)
	if len(p) != len(f.Probe(sys)) {
		t.Errorf("system context: the probe has follow-up reads")
	}
	batch, err := f.Inject(sys, p)
	if err != nil {
		t.Fatal(err)
	}
	l.mustRun(batch...)
	if d := l.detect(f, sys); !d.Present || !strings.Contains(d.Evidence, `HKU\S-1-5-18\`) {
		t.Errorf("system context: %+v", d)
	}
	l.revert(f, sys, p)
	l.assertBaseline()
}

// Every fault, with its defaults, injects and reverts cleanly on every OS
// profile (one host per profile, the faults one after the other).
func TestEveryFaultOnEveryProfile(t *testing.T) {
	t.Parallel()
	for _, p := range win.Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, p.Name)
			for _, name := range faults.Names() {
				f, err := faults.Decode(name, nil)
				if err != nil {
					t.Fatal(err)
				}
				ctx := ops.ContextAdminElevated
				if name == "always-install-elevated" {
					ctx = ops.ContextStandardUser
				}
				tgt := l.target(ctx)
				if name == "service-stopped" {
					startMsiserver(l)
				}
				installFor(l, name)
				undo := l.probe(f, tgt)
				batch, err := f.Inject(tgt, undo)
				if err != nil {
					t.Fatalf("%s: inject: %v", name, err)
				}
				l.mustRun(batch...)
				if d := l.detect(f, tgt); !d.Present {
					t.Errorf("%s: not detected after inject: %s", name, d.Evidence)
				}
				l.revert(f, tgt, undo)
				if d := l.detect(f, tgt); d.Present {
					t.Errorf("%s: detected after revert: %s", name, d.Evidence)
				}
				uninstallFor(l, name)
			}
			l.assertBaseline(`C:\Windows\Installer`, `C:\Users\msilab\AppData\Local\Temp`, `C:\ProgramData\msilab\packages\permachine.msi`)
		})
	}
}

// A journaled probe whose reads failed (Inject refused it, so nothing was
// changed) reverts to nothing, so that the rest of a journal still reverts.
func TestRevertFromFailedProbe(t *testing.T) {
	t.Parallel()
	tgt := faults.Target{AdminUser: "msilab", StandardUser: ops.DefaultStandardUser, Context: ops.ContextAdminElevated}
	for _, name := range faults.Names() {
		f, err := faults.Decode(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		var undo faults.Probe
		for _, op := range f.Probe(tgt) {
			undo = append(undo, ops.Result{Op: op.Name, Error: &ops.Error{Code: ops.CodeAccessDenied, Message: "denied"}})
		}
		if _, err := f.Inject(tgt, undo); err == nil {
			t.Errorf("%s: inject from failed reads", name)
		}
		if batch, err := f.Revert(tgt, undo); err != nil || len(batch) != 0 {
			t.Errorf("%s: revert from failed reads: %v, %v", name, batch, err)
		}
	}
}
