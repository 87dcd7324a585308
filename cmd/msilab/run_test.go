package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/journal"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
)

// TestMain lets a test run this binary's main as a child process
// (MSILAB_TEST_MAIN=1), so that it can be killed like a real run.
func TestMain(m *testing.M) {
	if os.Getenv("MSILAB_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The README's main command on the embedded lab: every built-in scenario
// reproduces its expectation on every applicable OS profile, and every
// report is written.
func TestRunBuiltinCatalog(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	runErr := run(context.Background(), []string{"run", "--out", out}, &stdout, &stderr)
	cells, err := results.Read(filepath.Join(out, "results.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if runErr != nil {
		t.Fatalf("msilab run: %v\n%s\n%s", runErr, stdout.String(), stderr.String())
	}
	if len(cells) < 50 {
		t.Fatalf("only %d cells", len(cells))
	}
	oses := map[string]bool{}
	outcomes, remediated := map[string]int{}, 0
	for _, c := range cells {
		oses[c.OS] = true
		if c.Status != results.StatusPass {
			t.Errorf("%s: %s: %s", c.ID, c.Status, c.Reason)
		}
		if c.Commands > 6 {
			t.Errorf("%s: %d WinRM commands, more than 6", c.ID, c.Commands)
		}
		if !c.BackToBaseline {
			t.Errorf("%s: not back to baseline", c.ID)
		}
		// The closed loop: every reproduced failure is fixed and its recovery proven.
		if c.Expected.ExitCode != 0 {
			rem := c.Remediation
			if rem == nil || (!rem.Recovered && rem.NotApplicable == "") {
				t.Errorf("%s: not remediated: %+v", c.ID, rem)
			} else if rem.NotApplicable == "" && (rem.Rerun == nil || rem.Rerun.ExitCode != 0 || len(rem.OverBroad) > 0) {
				t.Errorf("%s: recovery not proven: %+v", c.ID, rem)
			}
			// A failure no host fix applies to (a package's custom action,
			// the logon msiexec ran from, a source that is gone) passes, fix
			// n/a with its cause's reason, and nothing is fixed or rerun.
			if na := noHostFix[c.Scenario]; na != (rem.Outcome() == results.OutcomeNotApplicable) || na && (rem.Recovered || len(rem.Fixes) > 0 || rem.Rerun != nil) {
				t.Errorf("%s: outcome %q, recovered %v, fixes %v", c.ID, rem.Outcome(), rem.Recovered, rem.Fixes)
			} else if na && !strings.Contains(rem.NotApplicable, noFixReason(c.Scenario)) {
				t.Errorf("%s: fix n/a without its cause's reason: %q", c.ID, rem.NotApplicable)
			}
		}
		if c.Remediation != nil {
			outcomes[c.Remediation.Outcome()]++
			remediated++
		}
		if _, err := os.Stat(filepath.Join(out, c.Evidence, "repro.ps1")); err != nil {
			t.Errorf("%s: no repro.ps1: %v", c.ID, err)
		}
		if rem := c.Remediation; rem != nil && len(rem.Findings) > 0 {
			bundleNamesCause(t, c.ID, filepath.Join(out, c.Evidence, "msiexec.log"), c.Scenario, rem.Findings[0].ID)
		}
	}
	if len(oses) != len(win.Profiles()) {
		t.Errorf("cells ran on %d OS profiles, want %d", len(oses), len(win.Profiles()))
	}
	for _, f := range []string{"report.html", "junit.xml", "summary.md", "journal.jsonl"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if outcomes[results.OutcomeNotApplicable] == 0 || !strings.Contains(string(md), fmt.Sprintf("**%d remediated**: %d recovered · %d fix n/a · %d not recovered",
		remediated, outcomes[results.OutcomeRecovered], outcomes[results.OutcomeNotApplicable],
		outcomes[results.OutcomeOverBroad]+outcomes[results.OutcomeNotRecovered])) {
		t.Errorf("summary.md's remediation counts differ from results.jsonl's outcomes %v:\n%.400s", outcomes, md)
	}
	if !strings.Contains(stdout.String(), " 0 fail") {
		t.Errorf("summary line: %s", stdout.String())
	}
	// --resume skips every finished cell.
	stdout.Reset()
	if err := run(context.Background(), []string{"run", "--out", out, "--resume", "--format", "json"}, &stdout, io.Discard); err != nil {
		t.Fatalf("resume: %v", err)
	}
	var again []results.CellResult
	if err := json.Unmarshal(stdout.Bytes(), &again); err != nil || len(again) != len(cells) {
		t.Fatalf("resume: %d cells, %v", len(again), err)
	}
	after, _ := results.Read(filepath.Join(out, "results.jsonl"))
	if len(after) != len(cells) {
		t.Errorf("resume ran %d cells again", len(after)-len(cells))
	}
}

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: bad-one\npackage: permachine\nexpect:\n  exit_code: 0\ncolour: red\n"), 0o644)
	err := run(context.Background(), []string{"run", "--scenarios", bad, "--out", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:5") {
		t.Errorf("bad scenario: %v, want an error at bad.yaml:5", err)
	}
	for _, args := range [][]string{
		{"run", "--os", "win95"}, {"run", "--context", "root"}, {"run", "--shard", "3/2"}, {"run", "--format", "xml"},
		{"run", "--lab", filepath.Join(dir, "missing.yaml")}, {"run", "--only", "no-such-scenario-*"},
	} {
		if err := run(context.Background(), append(args, "--out", dir), io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// Killing a run mid-cell, then `msilab revert --journal`, leaves every
// host as it was before the cell.
func TestKillThenRevertJournal(t *testing.T) { killThenRevert(t, 0) }

// The same through a lossy network: the run, and both reverts, talk to
// the host through a testlab.FlakyProxy that drops, resets, cuts or
// delays 3% of the chunks; revert resends its batches as the runner does.
func TestKillThenRevertJournalLossy(t *testing.T) { killThenRevert(t, 0.03) }

func killThenRevert(t *testing.T, rate float64) {
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "win11-24h2"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	g := testlab.NewGate(srv.URL())
	gate := httptest.NewServer(g)
	defer gate.Close()
	frontURL := gate.URL
	if rate > 0 {
		proxy, err := testlab.NewFlakyProxy(strings.TrimPrefix(gate.URL, "http://"), testlab.FlakyOptions{Seed: 5, Rate: rate})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			proxy.Close()
			if proxy.Chunks() == 0 || len(proxy.Counts()) == 0 {
				t.Errorf("the proxy injected %v over %d chunks: the test did not meet a lossy network", proxy.Counts(), proxy.Chunks())
			}
		}()
		frontURL = "http://" + proxy.Addr()
	}
	dir := t.TempDir()
	inv := filepath.Join(dir, "lab.yaml")
	os.WriteFile(inv, []byte(fmt.Sprintf(`hosts:
  - name: w11
    os: win11-24h2
    endpoint: %s/wsman
    auth: basic
    allow_basic_over_http: true
    user: %s
    password_env: MSILAB_TEST_PW
    snapshot: {driver: sim}
`, frontURL, srv.User())), 0o644)
	out := filepath.Join(dir, "out")
	// The fault is in, the install is sent: the host stops answering.
	held := g.HoldWhen(testlab.StdinHas(`"op":"msi.install"`))
	cmd := exec.Command(os.Args[0], "run", "--lab", inv, "--out", out, "--only", "temp-acl-system-read-only", "--parallel", "1")
	cmd.Env = append(os.Environ(), "MSILAB_TEST_MAIN=1", "MSILAB_TEST_PW="+srv.Password())
	var childErr bytes.Buffer
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journalPath := filepath.Join(out, "journal.jsonl")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-held:
	case err := <-exited:
		g.Release()
		t.Fatalf("the run ended (%v) before it reached the install\n%s", err, childErr.String())
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-exited
		g.Release()
		t.Fatalf("the run never reached the install\n%s", childErr.String())
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	g.Release()
	entries, err := journal.Read(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(journal.Pending(entries)) == 0 {
		t.Fatalf("the killed run left nothing pending; journal:\n%v", entries)
	}
	m := srv.Host().Machine()
	clean, err := m.SnapshotState("msilab-clean")
	if err != nil {
		t.Fatal(err)
	}
	if changed(clean, m.State()) == 0 {
		t.Fatalf("the killed cell left the host unchanged: the test did not kill it mid-cell")
	}
	t.Setenv("MSILAB_TEST_PW", srv.Password())
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"revert", "--journal", journalPath, "--lab", inv}, &stdout, io.Discard); err != nil {
		t.Fatalf("revert: %v\n%s", err, stdout.String())
	}
	if n := changed(clean, m.State()); n != 0 {
		t.Errorf("after revert, %d state lines differ from the clean host", n)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"revert", "--journal", journalPath, "--lab", inv}, &stdout, io.Discard); err != nil ||
		!strings.Contains(stdout.String(), "nothing to revert") {
		t.Errorf("second revert: %v %q", err, stdout.String())
	}
}

// changed counts the state lines that differ, apart from the event log
// and msiserver's run state (Windows starts and stops it on its own).
func changed(a, b model.State) int {
	onlyA, onlyB := model.DiffState(a, b)
	n := 0
	for _, l := range append(onlyA, onlyB...) {
		if !strings.HasPrefix(l, "event ") && !strings.HasPrefix(l, "svc msiserver ") {
			n++
		}
	}
	return n
}

// logCannotTell are the built-in failures whose log alone names another
// cause first (docs/evidence.md#E-marker: a 2503 from C:\Windows\Temp's
// ACL or from C:\Windows\Installer's), with that cause.
var logCannotTell = map[string]string{"installer-acl": remediation.FindingTempACL}

// bundleNamesCause checks `msilab diagnose --log` on a cell's evidence
// bundle: its answer names the cause the runner's remediation found first
// (or, for the scenarios of logCannotTell, the cause it names instead,
// with the runner's among the rest); when the log alone cannot decide
// (insufficient evidence), the cause is among its candidates. An empty
// log names nothing.
func bundleNamesCause(t *testing.T, id, log, scenario, want string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"diagnose", "--log", log, "--format", "json"}, &stdout, &stderr); err != nil {
		t.Errorf("%s: msilab diagnose --log %s: %v\n%s", id, log, err, stderr.String())
		return
	}
	var a remediation.Answer
	if err := json.Unmarshal(stdout.Bytes(), &a); err != nil {
		t.Errorf("%s: diagnose's JSON: %v", id, err)
		return
	}
	if a.Verdict == remediation.VerdictEmpty {
		return // the client wrote no line (a service it never reached): the exit code, in cell.json, is the evidence
	}
	var named []string
	for _, f := range append(a.Findings, a.Candidates...) {
		named = append(named, f.ID)
	}
	first := want
	if alt, ok := logCannotTell[scenario]; ok {
		first = alt
	}
	switch {
	case len(a.Findings) > 0 && a.Findings[0].ID != first:
		t.Errorf("%s: its bundle's diagnosis names %v first, want %s", id, named, first)
	case !slices.Contains(named, want):
		t.Errorf("%s: its bundle's diagnosis names %v, not %s", id, named, want)
	}
}

// noHostFix are the built-in scenarios whose cause has no host fix (fix
// n/a), from the cause catalog, with that cause.
var noHostFix = func() map[string]bool {
	out := map[string]bool{}
	for _, c := range remediation.Causes() {
		if c.Scenario != "" && len(c.Fixes) == 0 {
			out[c.Scenario] = true
		}
	}
	return out
}()

// noFixReason is the reason the cause of a fix n/a scenario gives.
func noFixReason(scenario string) string {
	for _, c := range remediation.Causes() {
		if c.Scenario == scenario {
			return c.NoFix
		}
	}
	return ""
}
