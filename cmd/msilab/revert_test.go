package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	msiscenarios "github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// simHosts starts one simulated host per OS profile and writes a lab.yaml
// naming them (basic auth over loopback HTTP, allowed explicitly).
func simHosts(t *testing.T, oses ...string) (string, map[string]*sim.Server) {
	t.Helper()
	dir := t.TempDir()
	var inv strings.Builder
	inv.WriteString("hosts:\n")
	srvs := map[string]*sim.Server{}
	for _, os := range oses {
		srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		srvs[os] = srv
		fmt.Fprintf(&inv, "  - name: %s\n    os: %s\n    endpoint: %s/wsman\n    auth: basic\n    allow_basic_over_http: true\n"+
			"    user: %s\n    password_env: MSILAB_REPLAY_PW\n    snapshot: {driver: sim}\n", os, os, srv.URL(), srv.User())
		t.Setenv("MSILAB_REPLAY_PW", srv.Password()) // every simulated host has the same password
	}
	path := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(path, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, srvs
}

// withoutDone copies a journal without its done lines: a runner that died
// after each cell's cleanup batch ran but before its done line was written.
func withoutDone(t *testing.T, src, dst string) int {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"kind":"`+journal.KindDone+`"`) {
			n++
			continue
		}
		out.Write(sc.Bytes())
		out.WriteByte('\n')
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(journal.KeyPath(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal.KeyPath(dst), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

// Replaying a finished run's journal (its cleanups already done) must
// leave every host at its baseline, however often it is replayed: each
// undo step checks what it expects before it acts.
func TestRevertReplaysAFinishedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built-in catalog")
	}
	oses := []string{"win11-24h2", "server2022"}
	inv, srvs := simHosts(t, oses...)
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	runErr := run(context.Background(), []string{"run", "--lab", inv, "--out", out}, &stdout, &stderr)
	cells, err := results.Read(filepath.Join(out, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if runErr != nil {
		t.Fatalf("msilab run: %v\n%s\n%s", runErr, stdout.String(), stderr.String())
	}
	scenarios := map[string]bool{}
	for _, c := range cells {
		scenarios[c.Scenario] = true
	}
	builtin, err := msiscenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range builtin {
		if !scenarios[sc.Name] {
			t.Fatalf("the run has no cell of %s", sc.Name)
		}
	}
	for round := 1; round <= 2; round++ {
		for _, srv := range srvs { // the host as the run left it: at its baseline
			if err := srv.Host().Machine().Restore("msilab-clean"); err != nil {
				t.Fatal(err)
			}
		}
		replay := filepath.Join(t.TempDir(), "journal.jsonl")
		if n := withoutDone(t, filepath.Join(out, "journal.jsonl"), replay); n != len(cells) {
			t.Fatalf("%d done lines for %d cells", n, len(cells))
		}
		stdout.Reset()
		err := run(context.Background(), []string{"revert", "--journal", replay, "--lab", inv}, &stdout, io.Discard)
		if err != nil {
			t.Errorf("round %d: revert: %v\n%s", round, err, stdout.String())
		}
		for os, srv := range srvs {
			m := srv.Host().Machine()
			clean, err := m.SnapshotState("msilab-clean")
			if err != nil {
				t.Fatal(err)
			}
			if onlyClean, onlyNow := diffLines(clean, m.State()); len(onlyClean)+len(onlyNow) > 0 {
				t.Errorf("round %d: %s is not at its baseline after the replay:\n- %s\n+ %s", round, os,
					strings.Join(onlyClean, "\n- "), strings.Join(onlyNow, "\n+ "))
			}
		}
	}
}

// diffLines lists the state lines only in a and only in b, apart from the
// event log, msiserver's run state (Windows starts and stops it on its
// own) and the lab user's password: msilab sets it when it prepares a
// host (a fresh one each run unless standard_password_env names it), and
// revert sets a fresh one to log the user on for the removal of its
// per-user products; no fault or fix touches it.
func diffLines(a, b model.State) (onlyA, onlyB []string) {
	labUserPassword := regexp.MustCompile(`^(user ` + regexp.QuoteMeta(ops.DefaultStandardUser) + ` .*) password=\S+`)
	keep := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if !strings.HasPrefix(l, "event ") && !strings.HasPrefix(l, "svc msiserver ") {
				out = append(out, labUserPassword.ReplaceAllString(l, "$1"))
			}
		}
		return out
	}
	x, y := model.DiffState(a, b)
	x, y = keep(x), keep(y)
	for _, l := range x {
		if !slices.Contains(y, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range y {
		if !slices.Contains(x, l) {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

// revert never sends credentials to an endpoint that only the journal
// names: without --lab or --endpoint it refuses, and a journaled endpoint
// that differs from the one lab.yaml names is refused before any request.
func TestRevertSendsCredentialsOnlyWhereTold(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer foreign.Close()
	inv, _ := simHosts(t, "win11-24h2")
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	target := faults.Target{AdminUser: sim.DefaultUser, StandardUser: "msilab-user", Context: ops.ContextAdminElevated}
	if err := j.Append(journal.Entry{Kind: journal.KindFault, Cell: "c1", Host: "win11-24h2", Endpoint: foreign.URL + "/wsman",
		Target: target, Fault: "mutex-held", Params: json.RawMessage(`{"seconds":60}`),
		Undo: faults.Probe{{Op: ops.OpMutexGet, OK: true, Value: json.RawMessage(`{"name":"Global\\_MSIExecute","held":false}`)}}}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	t.Setenv("MSILAB_PASSWORD", "S3cret-Passw0rd!")
	var ue *usageError
	if err := run(context.Background(), []string{"revert", "--journal", path}, io.Discard, io.Discard); !errors.As(err, &ue) {
		t.Errorf("revert without --lab or --endpoint: %v, want a usage error", err)
	}
	err = run(context.Background(), []string{"revert", "--journal", path, "--lab", inv}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Errorf("a journaled endpoint not in lab.yaml: %v", err)
	}
	err = run(context.Background(), []string{"revert", "--journal", path, "--endpoint", "127.0.0.1:1", "--user", "msilab"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Errorf("a journaled endpoint that is not --endpoint: %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the journal's endpoint got %d requests", n)
	}
	// Entries that act for accounts other than the host's are refused.
	other := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err = journal.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	target.AdminUser = "Administrator"
	j.Append(journal.Entry{Kind: journal.KindFault, Cell: "c1", Host: "win11-24h2", Target: target, Fault: "mutex-held",
		Params: json.RawMessage(`{"seconds":60}`), Undo: faults.Probe{{Op: ops.OpMutexGet, OK: true, Value: json.RawMessage(`{"name":"Global\\_MSIExecute","held":false}`)}}})
	j.Close()
	err = run(context.Background(), []string{"revert", "--journal", other, "--lab", inv}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "are not the host's") {
		t.Errorf("another account: %v", err)
	}
}
