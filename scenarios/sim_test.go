package scenarios

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/simlab"
	"github.com/msilab/msilab/testpkgs"
)

// Every cell of the built-in catalog, on one simulated host per OS
// profile, with the real faults: the outcome must be the cell's
// expectation (the simulated engine follows docs/evidence.md, and so must the
// catalog). This is a check of the catalog, not the runner: it injects
// and installs, and leaves cleanup to the snapshot.
func TestBuiltinOnSimulatedHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts six simulated hosts")
	}
	ctx := context.Background()
	sl, err := simlab.Start(simlab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	hosts := map[string]*lab.Host{}
	var labHosts []Host
	for _, h := range sl.Hosts() {
		// The passwords of the contexts that log on interactively.
		ctx := lab.WithLogons(ctx, ops.Logon{User: ExplainStandardUser, Password: "Std-Passw0rd!"},
			ops.Logon{User: h.Endpoint.User, Password: h.Endpoint.Password})
		hosts[h.Spec.OS] = h
		labHosts = append(labHosts, Host{Name: h.Spec.Name, OS: h.Spec.OS})
		s, err := h.Session(ctx)
		if err != nil {
			t.Fatal(err)
		}
		batch(t, ctx, s, ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ExplainStandardUser, Password: "Std-Passw0rd!"}))
		for _, n := range testpkgs.Names() {
			data, err := testpkgs.Bytes(n)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := lab.EnsureFile(ctx, s, data, lab.PackageDir+`\`+n+".msi"); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.SaveClean(ctx); err != nil {
			t.Fatal(err)
		}
	}
	scs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Expand(scs, labHosts, Filter{}) {
		h := hosts[c.Host.OS]
		ctx := lab.WithLogons(ctx, ops.Logon{User: ExplainStandardUser, Password: "Std-Passw0rd!"},
			ops.Logon{User: h.Endpoint.User, Password: h.Endpoint.Password})
		if _, err := h.Revert(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := h.Session(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sc := c.Scenario
		if sc.Action == ActionUninstall {
			var r ops.MsiRun
			res := batch(t, ctx, s, ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: sc.HostPackage(), Context: ops.ContextAdminElevated}))
			if err := res[0].Decode(&r); err != nil || r.ExitCode != 0 {
				t.Fatalf("%s: install before the removal: %v, exit %d", c.ID, err, r.ExitCode)
			}
		}
		tgt := faults.Target{AdminUser: sl.Server(h.Spec.Name).User(), StandardUser: ExplainStandardUser, Context: c.Context}
		for _, spec := range sc.Faults {
			f, err := faults.Decode(spec.Type, spec.Params)
			if err != nil {
				t.Fatal(err)
			}
			probe, err := faults.RunProbe(ctx, s, f, tgt)
			if err != nil {
				t.Fatalf("%s: probe %s: %v", c.ID, spec.Type, err)
			}
			change, err := f.Inject(tgt, probe)
			if err != nil {
				t.Fatalf("%s: inject %s: %v", c.ID, spec.Type, err)
			}
			for _, r := range batch(t, ctx, s, change...) {
				if err := r.Decode(nil); err != nil {
					t.Fatalf("%s: inject %s: %v", c.ID, spec.Type, err)
				}
			}
		}
		info, err := testpkgs.Lookup(sc.Package)
		if err != nil {
			t.Fatal(err)
		}
		op := ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: sc.HostPackage(), Context: c.Context, UI: sc.UI, Properties: sc.Properties, Logon: sc.Logon})
		if sc.Action == ActionUninstall {
			op = ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: info.ProductCode, Context: c.Context, UI: sc.UI, Properties: sc.Properties, Logon: sc.Logon})
		}
		var r ops.MsiRun
		if err := batch(t, ctx, s, op)[0].Decode(&r); err != nil {
			t.Errorf("%s: %v", c.ID, err)
			continue
		}
		if msg := mismatch(c.Expect, r); msg != "" {
			t.Errorf("%s: %s", c.ID, msg)
		}
	}
}

func batch(t *testing.T, ctx context.Context, s lab.Session, b ...ops.Op) []ops.Result {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	res, err := s.RunBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// mismatch says how a run differs from an expectation ("" if it does not).
func mismatch(e Expectation, r ops.MsiRun) string {
	var out []string
	if r.ExitCode != e.ExitCode {
		out = append(out, fmt.Sprintf("exit code %d, want %d", r.ExitCode, e.ExitCode))
	}
	pos := 0
	for _, n := range e.Messages {
		i := strings.Index(r.Log[pos:], fmt.Sprintf("Note: 1: %d", n))
		if j := strings.Index(r.Log[pos:], fmt.Sprintf("Error %d", n)); i < 0 || j >= 0 && j < i {
			i = j
		}
		if i < 0 {
			out = append(out, fmt.Sprintf("message %d not in the log (in order)", n))
			continue
		}
		pos += i
	}
	pos = 0
	for _, s := range e.Log {
		i := strings.Index(r.Log[pos:], s)
		if i < 0 {
			out = append(out, fmt.Sprintf("log lacks %q (in order)", s))
			continue
		}
		pos += i + len(s)
	}
	for _, s := range e.NotLog {
		if strings.Contains(r.Log, s) {
			out = append(out, fmt.Sprintf("log has %q", s))
		}
	}
	var ids []int
	for _, ev := range r.Events {
		ids = append(ids, ev.EventID)
	}
	left := slices.Clone(ids)
	for _, id := range e.Events {
		i := slices.Index(left, id)
		if i < 0 {
			out = append(out, fmt.Sprintf("event %d missing (events %v)", id, ids))
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	if e.NoEvents && len(ids) > 0 {
		out = append(out, fmt.Sprintf("events %v, want none", ids))
	}
	return strings.Join(out, "; ")
}

func TestMismatch(t *testing.T) {
	run := ops.MsiRun{ExitCode: 1603, Log: "a Note: 1: 2503 b DEBUG: Error 2502: c",
		Events: []ops.Event{{EventID: 10005}, {EventID: 1033}}}
	if m := mismatch(Expectation{ExitCode: 1603, Messages: []int{2503, 2502}, Log: []string{"a", "c"}, Events: []int{1033, 10005}}, run); m != "" {
		t.Errorf("a matching run: %s", m)
	}
	m := mismatch(Expectation{ExitCode: 0, Messages: []int{2502, 2503}, Log: []string{"c", "a"}, NotLog: []string{"b"},
		Events: []int{10005, 10005}, NoEvents: true}, run)
	for _, want := range []string{"exit code 1603, want 0", "message 2503 not in the log", `log lacks "a"`, `log has "b"`, "event 10005 missing", "want none"} {
		if !strings.Contains(m, want) {
			t.Errorf("mismatch lacks %q: %s", want, m)
		}
	}
}
