package remediation_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/win"
)

// firstFinding is the finding each built-in failure must put first, with
// the host, as the finding catalog says (Scenario and Also);
// serverRejected is what every non-elevated cell on Windows Server shows
// first instead (an absent DisableMSI behaves as 1 there).
var firstFinding = func() map[string]string {
	out := map[string]string{}
	for _, f := range remediation.Findings() {
		for _, sc := range append([]string{f.Scenario}, f.Also...) {
			if sc != "" {
				out[sc] = f.ID
			}
		}
	}
	return out
}()

const serverRejected = remediation.FindingDisableMSINonAdmin

// logAlternatives are the findings a log alone cannot tell apart
// (docs/evidence.md#E-marker): a log-only diagnosis may put any of a
// scenario's alternatives first; otherwise it must put firstFinding first.
var logAlternatives = map[string][]string{
	"installer-acl":        {remediation.FindingTempACL}, // a log cannot tell; installer-acl comes second
	"user-temp-missing":    {remediation.FindingUserTempMissing, remediation.FindingUserTempUnwritable},
	"user-temp-unwritable": {remediation.FindingUserTempMissing, remediation.FindingUserTempUnwritable},
	"service-disabled":     {remediation.FindingServiceDisabled, remediation.FindingServiceUnregistered},
	"service-unregistered": {remediation.FindingServiceDisabled, remediation.FindingServiceUnregistered},
}

// logFirst lists the findings a log alone may put first for a scenario.
func logFirst(scenario string) []string {
	if alt, ok := logAlternatives[scenario]; ok {
		return alt
	}
	return []string{firstFinding[scenario]}
}

// noFixEvidence is what the finding of a failure without a host fix must
// quote: the action and its command, the refused connection, the source.
var noFixEvidence = map[string][]string{
	"custom-action-fails":        {"MsiLabDeferredFail", "/c exit"},
	"custom-action-missing-exe":  {"MsiLabDeferredMissingExe", `MsiLabSetup.exe`, "/quiet"},
	"service-access-batch-logon": {"Failed to connect to server. Error: 0x80070005", "1601"},
	"source-missing-uninstall":   {"1706", "1612"},
}

// testProfiles are the OS profiles the closed loop runs on: all of them,
// or MSILAB_TEST_OS (comma-separated) to narrow it.
func testProfiles() []string {
	if v := os.Getenv("MSILAB_TEST_OS"); v != "" {
		return strings.Split(v, ",")
	}
	var out []string
	for _, p := range win.Profiles() {
		out = append(out, p.Name)
	}
	return out
}

// failureCells are the built-in cells that fail (exit code not 0) on the
// profiles, full-UI ones aside (they need someone at the prompt).
func failureCells(t *testing.T, profiles []string) []scenarios.Cell {
	t.Helper()
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var hosts []scenarios.Host
	for _, p := range profiles {
		hosts = append(hosts, scenarios.Host{OS: p})
	}
	var out []scenarios.Cell
	for _, c := range scenarios.Expand(scs, hosts, scenarios.Filter{}) {
		if c.Expect.ExitCode != 0 && c.Scenario.UI != ops.UIFull {
			out = append(out, c)
		}
	}
	return out
}

// TestRemediateBuiltinFailures is the closed loop for every built-in
// failure on every OS profile: inject the faults, install (the expected
// failure), Remediate, rerun (in the context it says), and check that the
// install succeeds and that the probed state is the pre-fault baseline,
// with default ACLs and nothing broader; then uninstall, roll the fixes
// back and revert the faults, and check the whole simulated machine
// against its baseline. A log-only diagnosis of the failed run must name
// the same cause first (or one it cannot be told from).
func TestRemediateBuiltinFailures(t *testing.T) {
	profiles := testProfiles()
	cells := failureCells(t, profiles)
	seen := map[string]bool{}
	for _, c := range cells {
		seen[c.Scenario.Name] = true
		if _, ok := firstFinding[c.Scenario.Name]; !ok {
			t.Errorf("%s fails (exit %d) but no finding names it: add it to its finding's Scenario or Also (remediation/diagnose.go)",
				c.ID, c.Expect.ExitCode)
		}
	}
	for name := range firstFinding {
		if !seen[name] && name != "per-user-server-default" {
			t.Errorf("no failing cell of %s", name)
		}
	}
	for _, p := range profiles {
		t.Run(p, func(t *testing.T) {
			t.Parallel() // one simulated host per profile
			l := newSimLab(t, p)
			for _, c := range cells {
				if c.Host.OS != p {
					continue
				}
				t.Run(strings.TrimPrefix(strings.Replace(c.ID, "/"+p, "", 1), "/"), func(t *testing.T) {
					l.t = t
					l.reset()
					remediateCell(t, l, c)
				})
			}
		})
	}
}

func remediateCell(t *testing.T, l *simLab, c scenarios.Cell) {
	sc := c.Scenario
	tgt := l.target(c.Context)
	uninstall := sc.Action == "uninstall"
	modelBase := l.modelState()
	if uninstall {
		if run := l.install(sc.Package, ops.ContextAdminElevated, nil, ""); run.ExitCode != 0 {
			t.Fatalf("setup install: exit %d", run.ExitCode)
		}
	}
	base := l.probe(c.Context)

	// Inject, then the expected failure.
	var fs []injected
	for _, spec := range sc.Faults {
		f, undo := l.inject(spec.Type, spec.Params, tgt)
		fs = append(fs, injected{f, undo})
	}
	rerun := func(context string) ops.MsiRun {
		if uninstall {
			return l.uninstall(sc.Package, context)
		}
		logon := ""
		if context == c.Context {
			logon = sc.Logon
		}
		return l.installLogon(sc.Package, context, logon, sc.Properties, sc.UI)
	}
	failed := rerun(c.Context)
	if failed.ExitCode != c.Expect.ExitCode {
		t.Fatalf("the failure: exit %d, want %d\n%s", failed.ExitCode, c.Expect.ExitCode, failed.Log)
	}
	// A log alone names the cause, or one it cannot be told from.
	logFindings := remediation.DiagnoseLog(failed.Log)
	wantLog := logFirst(sc.Name)
	if c.OverrideReason != "" {
		wantLog = []string{serverRejected}
	}
	if len(logFindings) == 0 || !slices.Contains(wantLog, logFindings[0].ID) {
		t.Errorf("DiagnoseLog: first finding %v, want one of %v", ids(logFindings), wantLog)
	}

	rep, err := remediation.Remediate(l.ctx, l.s, tgt, &failed, remediation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := firstFinding[sc.Name]
	if c.OverrideReason != "" {
		want = serverRejected
	}
	if len(rep.Findings) == 0 || rep.Findings[0].ID != want {
		t.Fatalf("first finding %v, want %s\n%s", ids(rep.Findings), want, dump(rep))
	}
	if c.OverrideReason == "" && rep.Findings[0].Scenario != sc.Name {
		t.Errorf("first finding names scenario %q, want %q", rep.Findings[0].Scenario, sc.Name)
	}
	t.Logf("findings %v; %s", ids(rep.Findings), rep)

	if first := rep.Findings[0]; len(first.Fixes) == 0 {
		// No host fix applies (fix n/a): nothing is changed, the finding
		// says why, and it names what the evidence shows.
		if first.NoFix == "" {
			t.Errorf("%s has no fix and no reason", first.ID)
		}
		if rep.Resolved || len(rep.Applied) > 0 || rep.RunAs != "" {
			t.Errorf("%s has no host fix: resolved %v, applied %v, run as %q", first.ID, rep.Resolved, rep.Applied, rep.RunAs)
		}
		if !slices.Equal(rep.Unresolved, []string{first.ID}) {
			t.Errorf("unresolved %v, want only %s", rep.Unresolved, first.ID)
		}
		ev := strings.Join(first.Evidence, "\n")
		for _, want := range noFixEvidence[sc.Name] {
			if !strings.Contains(ev, want) {
				t.Errorf("the finding's evidence lacks %q:\n%s", want, ev)
			}
		}
		if uninstall { // the faults first: the removal may need what they took
			revertThenRemove(t, l, c, fs, modelBase)
			return
		}
		cleanup(t, l, c, rep, fs, modelBase, "")
		return
	}
	if !rep.Resolved {
		t.Fatalf("not resolved: %v\n%s", rep.Unresolved, dump(rep))
	}
	for _, a := range rep.Applied {
		if !a.Verified {
			t.Errorf("%s applied without verifying: %s", a.Fix, a.Error)
		}
		if len(a.Ops) > 0 && !strings.Contains(a.PowerShell, "Invoke-MsiLabBatch") {
			t.Errorf("%s: no PowerShell", a.Fix)
		}
	}

	// The rerun succeeds.
	context := c.Context
	if rep.RunAs != "" {
		context = rep.RunAs
	}
	ok := rerun(context)
	wantEvents := []int{11707, 1033}
	if uninstall {
		wantEvents = []int{11724, 1034}
	}
	if ok.ExitCode != 0 || !containsAll(eventIDs(ok), wantEvents) {
		t.Fatalf("rerun as %s: exit %d, events %v, want 0 and %v\n%s", context, ok.ExitCode, eventIDs(ok), wantEvents, ok.Log)
	}

	// Back to the baseline (probe lines), defaults, nothing broader.
	after := l.probe(c.Context)
	lost, gained := remediation.Diff(base, after)
	for _, s := range lost {
		t.Errorf("not back to baseline: lost %s", s)
	}
	for _, s := range gained {
		t.Errorf("not back to baseline: gained %s", s)
	}
	if broad := after.OverBroad(); len(broad) > 0 {
		t.Errorf("over-broad after remediation: %v", broad)
	}
	if uninstall {
		context = "" // the rerun removed the product
	}
	cleanup(t, l, c, rep, fs, modelBase, context)
}

// cleanup uninstalls the product installed in context ("": none),
// rolls the fixes back, reverts the faults (last first) and checks the
// model against its baseline (taken before an uninstall cell's setup install).
func cleanup(t *testing.T, l *simLab, c scenarios.Cell, rep *remediation.Report, fs []injected, modelBase model.State, installedAs string) {
	t.Helper()
	if installedAs != "" {
		if u := l.uninstall(c.Scenario.Package, installedAs); u.ExitCode != 0 {
			t.Errorf("uninstall as %s: exit %d", installedAs, u.ExitCode)
		}
	}
	rollback := rep.Rollback()
	if err := remediation.CheckRollback(l.run(rollback...)); err != nil {
		t.Errorf("rollback: %v", err)
	}
	var batch []ops.Op
	tgt := l.target(c.Context)
	for i := len(fs) - 1; i >= 0; i-- {
		revert, err := fs[i].f.Revert(tgt, fs[i].undo)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, revert...)
	}
	for _, r := range l.run(batch...) {
		if err := r.Decode(nil); err != nil && !isNotFound(r) && !alreadyRunning(r) {
			t.Errorf("revert: %v", err)
		}
	}
	l.assertModelBaseline(modelBase, remediation.InstallerDir, remediation.UserTempDir(tgt.ContextUser()), `C:\Windows`,
		`C:\Users\`+tgt.ContextUser()+`\AppData\Local`)
}

// revertThenRemove reverts an uninstall cell's faults, removes the
// product its setup installed, and checks the model against its baseline.
func revertThenRemove(t *testing.T, l *simLab, c scenarios.Cell, fs []injected, modelBase model.State) {
	t.Helper()
	tgt := l.target(c.Context)
	for i := len(fs) - 1; i >= 0; i-- {
		revert, err := fs[i].f.Revert(tgt, fs[i].undo)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.run(revert...) {
			if err := r.Decode(nil); err != nil && !isNotFound(r) {
				t.Errorf("revert: %v", err)
			}
		}
	}
	if u := l.uninstall(c.Scenario.Package, ops.ContextAdminElevated); u.ExitCode != 0 {
		t.Errorf("removal after the revert: exit %d\n%s", u.ExitCode, u.Log)
	}
	l.assertModelBaseline(modelBase, remediation.InstallerDir, lab.PackageDir+`\`+c.Scenario.Package+".msi") // moved and back: the simulated move stamps the time
}

// injected is a fault and its undo probe.
type injected struct {
	f    faults.Fault
	undo faults.Probe
}

func alreadyRunning(r ops.Result) bool {
	return r.Op == ops.OpServiceStart && r.Error != nil && r.Error.Code == ops.CodeConflict && r.Error.Win32 == 1056
}

func ids(fs []remediation.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func eventIDs(run ops.MsiRun) []int {
	var out []int
	for _, e := range run.Events {
		out = append(out, e.EventID)
	}
	return out
}

func containsAll(have, want []int) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func dump(rep *remediation.Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		b.WriteString("  " + f.ID + " " + strings.Join(f.Evidence, " | ") + "\n")
	}
	for _, a := range rep.Applied {
		b.WriteString("  applied " + a.Fix + " verified=" + boolStr(a.Verified) + " " + a.Error + "\n")
	}
	return b.String()
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
