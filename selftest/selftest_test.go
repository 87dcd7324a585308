package selftest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/selftest"
	"github.com/msilab/msilab/win"
)

// The self-test passes on every simulated OS profile: every op of the
// catalog runs once, and the host is back at its baseline, as the report
// says and as the simulated machine's whole state shows (the event log and
// msiserver's process aside).
func TestPassesOnEveryProfile(t *testing.T) {
	for _, profile := range win.ProfileNames() {
		t.Run(profile, func(t *testing.T) {
			h := testlab.NewSimHost(t, profile, selftest.Package)
			m := h.Srv.Host().Machine()
			if err := selftest.Prepare(h.Ctx, h.S); err != nil {
				t.Fatal(err)
			}
			before := m.State()
			rep, err := selftest.Run(h.Ctx, h.S, h.Srv.Host().Hostname(), selftest.Options{AdminUser: h.Srv.User(),
				StandardPassword: testlab.StandardPassword})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := rep.Print(&out); err != nil {
				t.Fatal(err)
			}
			if !rep.Passed || rep.OS != profile || len(rep.Skipped()) > 0 || len(rep.Missing) > 0 {
				t.Fatalf("the self-test failed on %s:\n%s", profile, out.String())
			}
			for _, spec := range ops.Catalog {
				if !strings.Contains(out.String(), "\n"+spec.Name+" ") {
					t.Errorf("the report has no line for %s", spec.Name)
				}
			}
			a, b := model.DiffState(before, m.State())
			var changed []string
			for _, l := range append(a, b...) {
				if !strings.HasPrefix(l, "event ") && !strings.HasPrefix(l, "svc msiserver ") {
					changed = append(changed, l)
				}
			}
			if len(changed) > 0 {
				t.Errorf("the self-test left the machine changed:\n%s", strings.Join(changed, "\n"))
			}
		})
	}
}

// broken is a host whose op named op answers success and does nothing.
type broken struct {
	lab.Session
	op string
}

func (b broken) RunBatch(ctx context.Context, batch []ops.Op) ([]ops.Result, error) {
	sent := slices.Clone(batch)
	for i, op := range sent {
		if op.Name == b.op {
			sent[i] = ops.MustNew(ops.OpHostInfo, nil)
		}
	}
	res, err := b.Session.RunBatch(ctx, sent)
	for i, op := range batch {
		if err == nil && op.Name == b.op {
			res[i] = ops.Result{Op: op.Name, OK: true, Value: json.RawMessage(`{}`)}
		}
	}
	return res, err
}

// A broken op fails the self-test with a report that names it, says what
// it found, and shows what the host kept.
func TestBrokenOpFails(t *testing.T) {
	h := testlab.NewSimHost(t, "server2022", selftest.Package)
	if err := selftest.Prepare(h.Ctx, h.S); err != nil {
		t.Fatal(err)
	}
	rep, err := selftest.Run(h.Ctx, broken{h.S, ops.OpRegistryDeleteKey}, "broken", selftest.Options{AdminUser: h.Srv.User(),
		StandardPassword: testlab.StandardPassword})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if rep.Passed || rep.BackToBaseline {
		t.Fatalf("a broken registry.delete_key passed:\n%s", text)
	}
	if got := rep.Failed(); len(got) != 2 || !strings.HasPrefix(got[0], ops.OpRegistryDeleteKey+": "+selftest.RegistryKey+" is still there") || !strings.HasPrefix(got[1], "cleanup: could not remove") {
		t.Errorf("failed rows %q, want registry.delete_key, then the cleanup that could not remove its key", got)
	}
	for _, want := range []string{
		"registry.delete_key          FAILED",
		"+ registry.list {\"path\":\"HKLM\\\\SOFTWARE\\\\msilab-selftest\"} = {\"path\":\"HKLM\\\\SOFTWARE\\\\msilab-selftest\",\"exists\":true",
		"FAILED: 2 op(s) failed, the host is not back at its baseline",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	// The JSON report says the same.
	raw, _ := json.Marshal(rep)
	var back selftest.Report
	if err := json.Unmarshal(raw, &back); err != nil || back.Passed || len(back.Differences) == 0 {
		t.Errorf("JSON report: %s (%v)", raw, err)
	}
}

// A broken path.move fails its row and the next one (b.txt is not there to
// remove); the cleanup removes what they left, so the host is back at its
// baseline, and the self-test still fails.
func TestBrokenOpCleanedUp(t *testing.T) {
	h := testlab.NewSimHost(t, "win10-22h2", selftest.Package)
	if err := selftest.Prepare(h.Ctx, h.S); err != nil {
		t.Fatal(err)
	}
	rep, err := selftest.Run(h.Ctx, broken{h.S, ops.OpPathMove}, "broken", selftest.Options{AdminUser: h.Srv.User(),
		StandardPassword: testlab.StandardPassword})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = rep.Print(&out)
	got := rep.Failed()
	if rep.Passed || !rep.BackToBaseline || len(got) != 2 || !strings.HasPrefix(got[0], ops.OpPathMove+": ") ||
		!strings.HasPrefix(got[1], ops.OpPathRemove+": ") || !strings.Contains(out.String(), "removed what failed steps left: "+selftest.Folder) {
		t.Fatalf("failed rows %q:\n%s", got, out.String())
	}
}

// A user.token that reads no group fails its row: the self-test checks
// the elevated token's enabled Administrators group.
func TestBrokenUserTokenFails(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2", selftest.Package)
	if err := selftest.Prepare(h.Ctx, h.S); err != nil {
		t.Fatal(err)
	}
	rep, err := selftest.Run(h.Ctx, broken{h.S, ops.OpUserToken}, "broken", selftest.Options{AdminUser: h.Srv.User(),
		StandardPassword: testlab.StandardPassword})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Failed(); rep.Passed || len(got) != 1 || !strings.HasPrefix(got[0], ops.OpUserToken+": ") || !strings.Contains(got[0], "Administrators") {
		t.Errorf("failed rows %q", got)
	}
}
