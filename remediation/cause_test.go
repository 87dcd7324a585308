package remediation_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
)

// Every cause is one file that says all of it: its ID declared in exactly
// one cause_*.go, a label and sources, a signature when it reads logs,
// probes that ProbeOps takes, a built-in scenario that exists (or why
// none does), fixes that are registered (or why none applies).
func TestCauseCatalog(t *testing.T) {
	files, _ := filepath.Glob("cause_*.go")
	var srcs []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		srcs = append(srcs, string(b))
	}
	scs, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	builtin := map[string]bool{}
	for _, sc := range scs {
		builtin[sc.Name] = true
	}
	tgt := faults.Target{AdminUser: "a", StandardUser: "u", Context: ops.ContextStandardUser}
	probes := remediation.ProbeOps(tgt)
	for _, c := range remediation.Causes() {
		n := 0
		for _, s := range srcs {
			if strings.Contains(s, `= "`+c.ID+`"`) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s is declared in %d cause files, want 1", c.ID, n)
		}
		if c.Log != nil && len(c.Signature) == 0 {
			t.Errorf("%s reads logs but lists no signature", c.ID)
		}
		for _, sc := range append([]string{c.Scenario}, c.Also...) {
			if sc != "" && !builtin[sc] {
				t.Errorf("%s names scenario %s, which is not built in", c.ID, sc)
			}
		}
		if c.Scenario == "" && !strings.Contains(c.NoScenario, " ") {
			t.Errorf("%s: no scenario and no reason", c.ID)
		}
		for _, fix := range c.Fixes {
			if _, err := remediation.Lookup(fix); err != nil {
				t.Errorf("%s: %v", c.ID, err)
			}
		}
		if c.Probes != nil {
			for _, op := range c.Probes(tgt) {
				if !slices.ContainsFunc(probes, func(p ops.Op) bool { return p.Name == op.Name && string(p.Args) == string(op.Args) }) {
					t.Errorf("%s reads %s %s, which ProbeOps does not take", c.ID, op.Name, op.Args)
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range probes {
		if k := p.Name + string(p.Args); seen[k] {
			t.Errorf("ProbeOps takes %s %s twice", p.Name, p.Args)
		} else {
			seen[k] = true
		}
	}
	if len(remediation.Causes()) < 25 {
		t.Errorf("%d causes registered", len(remediation.Causes()))
	}
}

// firstID is the first finding's ID ("" none), candidates included.
func firstID(fs []remediation.Finding) string {
	if len(fs) == 0 {
		return ""
	}
	return fs[0].ID
}

// The distinctions the look-alikes need: 1601 by its client code, 2336 by
// its folder, 1612 against the 2503 family, a custom action's own 1601.
func TestDistinctions(t *testing.T) {
	pre := "MSI (c) (3C:44) [14:02:11:231]: Grabbed execution mutex.\nMSI (c) (3C:44) [14:02:11:260]: Failed to connect to server. Error: "
	post := "\nMSI (c) (3C:44) [14:02:11:263]: MainEngineThread is returning 1601\n"
	for _, c := range []struct {
		name, log, first string
		never            []string
	}{
		{"1601 access denied", pre + "0x80070005" + post, remediation.FindingServiceAccessDenied,
			[]string{remediation.FindingServiceDisabled, remediation.FindingServiceUnregistered, remediation.FindingServiceUnresponsive}},
		{"1601 class not registered", pre + "0x80040154" + post, remediation.FindingServiceUnregistered,
			[]string{remediation.FindingServiceAccessDenied, remediation.FindingServiceDisabled}},
		{"1601 COM not initialized", pre + "0x800401F0" + post, remediation.FindingServiceUnregistered,
			[]string{remediation.FindingServiceAccessDenied, remediation.FindingServiceDisabled}},
		{"1601 service disabled", pre + "0x80070422" + post, remediation.FindingServiceDisabled,
			[]string{remediation.FindingServiceAccessDenied, remediation.FindingServiceUnregistered}},
		{"1601 dependency failed", pre + "0x8007042C" + post, remediation.FindingServiceStartFailed,
			[]string{remediation.FindingServiceAccessDenied, remediation.FindingServiceDisabled, remediation.FindingServiceUnregistered}},
		{"2336 on the Installer folder", "MSI (c) (2C:30) [10:11:12:100]: Note: 1: 2336 2: 5 3: C:\\Windows\\Installer\\ \nMSI (c) (2C:30) [10:11:12:120]: MainEngineThread is returning 1632\n",
			remediation.FindingInstallerACL, []string{remediation.FindingUserTempMissing, remediation.FindingUserTempUnwritable}},
		{"2336 on %WINDIR%\\Installer", "MSI (c) (2C:30) [10:11:12:100]: Note: 1: 2336 2: 5 3: %WINDIR%\\Installer\\ \n",
			remediation.FindingInstallerACL, []string{remediation.FindingUserTempUnwritable}},
		{"2336 on the user's TEMP", "MSI (c) (2C:30) [10:11:12:100]: Note: 1: 2336 2: 5 3: C:\\Users\\kim\\AppData\\Local\\Temp\\ \nMSI (c) (2C:30) [10:11:12:120]: MainEngineThread is returning 1632\n",
			remediation.FindingUserTempUnwritable, []string{remediation.FindingInstallerACL, remediation.FindingInstallerMissing}},
		{"1632 from the service", "MSI (s) (70:74) [13:00:05:011]: MainEngineThread is returning 1632\nMSI (c) (60:64) [13:00:05:020]: MainEngineThread is returning 1632\n",
			"", []string{remediation.FindingUserTempMissing, remediation.FindingUserTempUnwritable}},
		{"1612 with look-ups", "MSI (s) (9C:A0) [11:30:40:100]: Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287038 \n" +
			"MSI (s) (9C:A0) [11:30:40:204]: Note: 1: 2203 2: C:\\Windows\\Installer\\5a1b2c.msi 3: -2147287038 \n" +
			"MSI (s) (9C:A0) [11:30:40:206]: SOURCEMGMT: Failed to resolve source\nMSI (c) (88:8C) [11:30:40:400]: MainEngineThread is returning 1612\n",
			remediation.FindingSourceUnavailable, []string{remediation.FindingTempACL, remediation.FindingInstallerACL, remediation.FindingInstallerMissing}},
		{"a custom action's own 1601", "CustomAction InstallRuntime returned actual error code 1601 (note this may not be 100% accurate if translation happened inside sandbox)\n" +
			"Action ended 4:04:04: InstallExecute. Return value 3.\nMSI (c) (11:22) [04:04:05:000]: MainEngineThread is returning 1603\n",
			remediation.FindingCustomAction, []string{remediation.FindingServiceDisabled, remediation.FindingServiceUnregistered, remediation.FindingServiceAccessDenied}},
		{"WixQuietExec's unquoted command", "WixQuietExec:  Command string must begin with quoted application name.\n" +
			"WixQuietExec:  Error 0x80070057: invalid command line property value\nCustomAction ImportKeys returned actual error code 1603 (note this may not be 100% accurate if translation happened inside sandbox)\n" +
			"Action ended 1:01:01: InstallFinalize. Return value 3.\n", remediation.FindingCustomActionNotRun, []string{remediation.FindingCustomAction}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := remediation.DiagnoseLog(c.log)
			if c.first != "" && firstID(fs) != c.first {
				t.Fatalf("first %q, want %s: %v", firstID(fs), c.first, ids(fs))
			}
			for _, f := range fs {
				if slices.Contains(c.never, f.ID) {
					t.Errorf("%s named (%.2f): %v", f.ID, f.Confidence, f.Evidence)
				}
			}
		})
	}
	// Re-registering the service is the wrong advice for an access denial.
	fs := remediation.DiagnoseLog(pre + "0x80070005" + post)
	if slices.Contains(fs[0].Fixes, "reregister-service") || len(fs[0].RuledOut) < 2 {
		t.Errorf("access denied: fixes %v, ruled out %v", fs[0].Fixes, fs[0].RuledOut)
	}
}

// The negative controls: lines every healthy log has give no finding
// alone, and a successful log with all of them is a success.
func TestNegativeControls(t *testing.T) {
	for _, l := range []string{
		"MSI (s) (1C:20) [12:00:01:000]: Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287038 ",
		"MSI (s) (1C:24) [12:00:02:000]: Note: 1: 2205 2:  3: Error ",
		"MSI (s) (1C:24) [12:00:02:001]: Note: 1: 2228 2:  3: Error 4: SELECT `Message` FROM `Error` WHERE `Error` = 1722 ",
		"MSI (s) (1C:24) [12:00:03:000]: Note: 1: 2265 2:  3: -2147287035 ",
		"MSI (s) (1C:20) [12:00:04:000]: Note: 1: 1402 2: HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Installer\\Rollback\\Scripts 3: 2 ",
		"CustomAction CheckOptionalFeature returned actual error code 1 but will be translated to success due to continue marking",
		"CustomAction CheckOptionalFeature returned actual error code 1 but will be translated to success due to continue marking\nAction ended 1:00:00: InstallFinalize. Return value 1.",
	} {
		if fs := remediation.DiagnoseLog(l); len(fs) != 0 {
			t.Errorf("%q alone: %v", l, ids(fs))
		}
	}
	// The same lines beside the failure they are not: the control does not add a cause.
	fs := remediation.DiagnoseLog("MSI (s) (1C:24) [12:00:03:000]: Note: 1: 2265 2:  3: -2147287035 \n" +
		"MSI (s) (1C:24) [12:00:02:001]: Note: 1: 2228 2:  3: Error 4: SELECT `Message` FROM `Error` WHERE `Error` = 1722 \n")
	if len(fs) != 0 {
		t.Errorf("controls together: %v", ids(fs))
	}
}

// When no cause is supported the answer says so: each number with its
// documented meaning, what to collect next, candidates never as the cause.
func TestAnswerInsufficientEvidence(t *testing.T) {
	a := remediation.Explain(msilog.ParseString("The installer has encountered an unexpected error installing this package. "+
		"This may indicate a problem with this package. The error code is 2503.\n"), nil, -1, "")
	if a.Verdict != remediation.VerdictInsufficient || len(a.Findings) != 0 || len(a.Candidates) == 0 {
		t.Fatalf("verdict %s, findings %v, candidates %v", a.Verdict, ids(a.Findings), ids(a.Candidates))
	}
	if len(a.Numbers) != 1 || a.Numbers[0].Num != 2503 || !strings.Contains(a.Numbers[0].Meaning, "RunScript") || a.Numbers[0].Line != 1 {
		t.Errorf("numbers %+v", a.Numbers)
	}
	if !slices.ContainsFunc(a.Collect, func(s string) bool { return strings.Contains(s, "/L*v") }) {
		t.Errorf("collect %v: the verbose log is what to collect after a dialog", a.Collect)
	}
	// A note's arguments fill its meaning, with the system error named.
	a = remediation.Explain(msilog.ParseString("MSI (s) (1C:24) [12:00:03:000]: Note: 1: 2336 2: 32 3: D:\\work\\ \nMSI (s) (1C:24) [12:00:03:001]: MainEngineThread is returning 1603\n"), nil, -1, "")
	if a.Verdict != remediation.VerdictInsufficient || len(a.Numbers) != 2 ||
		!strings.Contains(a.Numbers[0].Meaning, `D:\work\`) || !strings.Contains(a.Numbers[0].Meaning, "ERROR_SHARING_VIOLATION") ||
		!strings.Contains(a.Numbers[1].Meaning, "ERROR_INSTALL_FAILURE") || a.Numbers[1].Line != 2 {
		t.Errorf("%s: %+v", a.Verdict, a.Numbers)
	}
}

// The corpus judge counts a cause the entry does not show as wrong.
func TestJudgeCountsWrongCauses(t *testing.T) {
	named := func(id string) remediation.Answer {
		return remediation.Answer{Verdict: remediation.VerdictCause, Findings: []remediation.Finding{{ID: id, Confidence: 0.9}}}
	}
	for _, c := range []struct {
		e       corpusEntry
		a       remediation.Answer
		outcome string
	}{
		{corpusEntry{want: []string{"temp-acl"}}, named("temp-acl"), outRight},
		{corpusEntry{want: []string{"temp-acl"}}, named("installer-missing"), outWrong},
		{corpusEntry{class: "none"}, named("temp-acl"), outWrong},
		{corpusEntry{class: "none"}, remediation.Answer{Verdict: remediation.VerdictInsufficient, Candidates: []remediation.Finding{{ID: "temp-acl", Confidence: 0.3}}}, outWrong},
		{corpusEntry{class: "insufficient"}, named("temp-acl"), outWrong},
		{corpusEntry{class: "not-msi"}, remediation.Answer{Verdict: remediation.VerdictNotMSI}, outRight},
		{corpusEntry{want: []string{"temp-acl"}}, remediation.Answer{Verdict: remediation.VerdictInsufficient}, outMissed},
	} {
		if got, _ := judge(c.e, c.a); got != c.outcome {
			t.Errorf("%+v / %s %v: %s, want %s", c.e, c.a.Verdict, ids(c.a.Findings), got, c.outcome)
		}
	}
}

// The host confirms or refutes a suspended install: the InProgress key
// (or C:\Config.Msi) and a pending reboot.
func TestCauseInstallSuspendedHost(t *testing.T) {
	run := &ops.MsiRun{Action: "install", Log: "Info 1704. An installation for Widget is currently suspended.  You must undo the changes made by that installation to continue.  Do you want to undo those changes?\n", ExitCode: 1604}
	// The pending reboot is the cause's own probe, read back by HostState.Result.
	tgt := faults.Target{AdminUser: "a", Context: ops.ContextAdminElevated}
	probes := remediation.ProbeOps(tgt)
	results := make([]ops.Result, len(probes))
	found := false
	for i, p := range probes {
		results[i] = ops.Result{Op: p.Name, OK: false}
		if p.Name == ops.OpRegistryGet && strings.Contains(string(p.Args), "PendingFileRenameOperations") {
			results[i] = ops.Result{Op: p.Name, OK: true, Value: []byte(`{"exists":true,"type":"REG_MULTI_SZ"}`)}
			found = true
		}
	}
	if !found {
		t.Fatal("ProbeOps does not read PendingFileRenameOperations")
	}
	st, err := remediation.ReadState(tgt, probes, results)
	if err != nil {
		t.Fatal(err)
	}
	st.Suspended = true
	fs := remediation.Diagnose(st, run, ops.ContextAdminElevated)
	if len(fs) == 0 || fs[0].ID != remediation.FindingInstallSuspended || fs[0].Confidence != 0.95 ||
		!strings.Contains(strings.Join(fs[0].Evidence, "\n"), "reboot is pending") {
		t.Fatalf("confirmed: %+v", fs)
	}
	fs = remediation.Diagnose(&remediation.HostState{}, run, ops.ContextAdminElevated)
	if len(fs) == 0 || fs[0].ID != remediation.FindingInstallSuspended || fs[0].Confidence >= remediation.AnswerThreshold {
		t.Fatalf("refuted: %+v", fs)
	}
}
