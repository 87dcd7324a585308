package runner

import (
	"slices"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/scenarios"
)

const chainLog = "MSI (s) (EC:F8) [09:00:00:051]: Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287038\r\n" +
	"MSI (s) (EC:F8) [09:00:00:094]: Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287035\r\n" +
	"MSI (s) (EC:F8) [09:00:00:095]: Note: 1: 2503\r\nDEBUG: Error 2503:  Called RunScript when not marked in progress.\r\n" +
	"MSI (s) (EC:F8) [09:00:00:098]: Note: 1: 2502\r\nDEBUG: Error 2502:  Called InstallFinalize when no install in progress.\r\n" +
	"Error 1925. You do not have sufficient privileges\r\nMSI (s) (EC:F8) [09:00:00:100]: MainEngineThread is returning 1603\r\n"

func TestMessages(t *testing.T) {
	want := []int{2203, 2203, 2503, 2503, 2502, 2502, 1925}
	if got := Messages(chainLog); !slices.Equal(got, want) {
		t.Errorf("Messages = %v, want %v", got, want)
	}
}

func run1603(events ...int) *ops.MsiRun {
	r := &ops.MsiRun{ExitCode: 1603, Log: chainLog}
	for _, e := range events {
		r.Events = append(r.Events, ops.Event{EventID: e})
	}
	return r
}

func TestEvaluate(t *testing.T) {
	exp := scenarios.Expectation{ExitCode: 1603, Messages: []int{2503, 2502}, Log: []string{"Note: 1: 2503", "Note: 1: 2502"},
		NotLog: []string{"Grabbed execution mutex"}, Events: []int{10005, 10005, 11708, 1033}}
	for _, tc := range []struct {
		name   string
		exp    func(e *scenarios.Expectation)
		run    *ops.MsiRun
		failed []string
	}{
		{"all three signals", nil, run1603(1040, 10005, 10005, 11708, 1033, 1042), nil},
		{"exit code differs", nil, &ops.MsiRun{ExitCode: 0, Log: chainLog, Events: run1603(10005, 10005, 11708, 1033).Events}, []string{"exit_code"}},
		{"one 10005 short", nil, run1603(10005, 11708, 1033), []string{"events"}},
		{"messages out of order", func(e *scenarios.Expectation) { e.Messages = []int{2502, 2503} }, run1603(10005, 10005, 11708, 1033), []string{"messages"}},
		{"log lines out of order", func(e *scenarios.Expectation) { e.Log = []string{"Note: 1: 2502", "Note: 1: 2503"} }, run1603(10005, 10005, 11708, 1033), []string{"log"}},
		{"forbidden line present", func(e *scenarios.Expectation) { e.NotLog = []string{"MainEngineThread"} }, run1603(10005, 10005, 11708, 1033), []string{"not_log"}},
		{"no events wanted", func(e *scenarios.Expectation) { e.Events, e.NoEvents = nil, true }, run1603(1033), []string{"events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := exp
			if tc.exp != nil {
				tc.exp(&e)
			}
			_, checks := Evaluate(e, tc.run)
			var failed []string
			for _, c := range checks {
				if !c.OK {
					failed = append(failed, c.Name)
				}
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("failed checks = %v, want %v (%+v)", failed, tc.failed, checks)
			}
		})
	}
}

func TestInterleave(t *testing.T) {
	var cells []scenarios.Cell
	for _, os := range []string{"a", "a", "a", "b", "c"} {
		cells = append(cells, scenarios.Cell{Host: scenarios.Host{OS: os}})
	}
	var got []string
	for _, c := range interleave(cells) {
		got = append(got, c.Host.OS)
	}
	if want := []string{"a", "b", "c", "a", "a"}; !slices.Equal(got, want) {
		t.Errorf("interleave = %v, want %v", got, want)
	}
}

// A run that succeeded and needs a restart (3010, 1641) is observed as
// reboot required; one that exited 0 is not.
func TestEvaluateRebootRequired(t *testing.T) {
	for _, tc := range []struct {
		run  ops.MsiRun
		want bool
	}{
		{ops.MsiRun{ExitCode: 3010, RebootRequired: true}, true},
		{ops.MsiRun{ExitCode: 1641}, true},
		{ops.MsiRun{ExitCode: 0}, false},
		{ops.MsiRun{ExitCode: 1603}, false},
	} {
		obs, checks := Evaluate(scenarios.Expectation{ExitCode: 3010}, &tc.run)
		if obs.RebootRequired != tc.want || checks[0].OK != (tc.run.ExitCode == 3010) {
			t.Errorf("exit %d: reboot required %v, want %v; %+v", tc.run.ExitCode, obs.RebootRequired, tc.want, checks[0])
		}
	}
}
