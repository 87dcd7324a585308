package runner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/scenarios"
	"github.com/msilab/msilab/scenarios/results"
)

// Messages lists the Windows Installer message numbers a verbose log
// shows, in order ("Note: 1: 2503", "DEBUG: Error 2503:", "Error 1925.").
func Messages(log string) []int { return remediation.Messages(log) }

// Evaluate checks a run against an expectation, signal by signal: exit
// code; messages (a subsequence of the log's); log lines (in order);
// lines that must not appear; events (a multiset, or none).
func Evaluate(exp scenarios.Expectation, run *ops.MsiRun) (results.Observed, []results.Check) {
	obs := results.Observed{ExitCode: run.ExitCode, Messages: Messages(run.Log), Log: run.Log, Run: run,
		RebootRequired: run.RebootRequired || ops.RebootRequired(run.ExitCode)}
	for _, e := range run.Events {
		obs.Events = append(obs.Events, e.EventID)
	}
	checks := []results.Check{{Name: "exit_code", OK: run.ExitCode == exp.ExitCode,
		Want: strconv.Itoa(exp.ExitCode), Got: strconv.Itoa(run.ExitCode)}}
	if len(exp.Messages) > 0 {
		checks = append(checks, results.Check{Name: "messages", OK: subsequence(exp.Messages, obs.Messages),
			Want: ints(exp.Messages) + " in order", Got: ints(obs.Messages)})
	}
	if len(exp.Log) > 0 {
		missing := ""
		rest := run.Log
		for _, want := range exp.Log {
			i := strings.Index(rest, want)
			if i < 0 {
				missing = want
				break
			}
			obs.LogLines = append(obs.LogLines, lineAround(rest, i))
			rest = rest[i+len(want):]
		}
		got := "all present, in order"
		if missing != "" {
			got = fmt.Sprintf("missing (in order): %q", missing)
		}
		checks = append(checks, results.Check{Name: "log", OK: missing == "", Want: quoted(exp.Log), Got: got})
	}
	if len(exp.NotLog) > 0 {
		var present []string
		for _, s := range exp.NotLog {
			if strings.Contains(run.Log, s) {
				present = append(present, s)
			}
		}
		checks = append(checks, results.Check{Name: "not_log", OK: len(present) == 0, Want: "absent: " + quoted(exp.NotLog),
			Got: map[bool]string{true: "absent", false: "present: " + quoted(present)}[len(present) == 0]})
	}
	switch {
	case exp.NoEvents:
		checks = append(checks, results.Check{Name: "events", OK: len(obs.Events) == 0, Want: "none", Got: ints(obs.Events)})
	case len(exp.Events) > 0:
		checks = append(checks, results.Check{Name: "events", OK: multisetContains(obs.Events, exp.Events),
			Want: ints(exp.Events), Got: ints(obs.Events)})
	}
	return obs, checks
}

func subsequence(want, got []int) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func multisetContains(have, want []int) bool {
	count := map[int]int{}
	for _, h := range have {
		count[h]++
	}
	for _, w := range want {
		if count[w] == 0 {
			return false
		}
		count[w]--
	}
	return true
}

func lineAround(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		end = len(s) - i
	}
	return strings.TrimRight(s[start:i+end], "\r")
}

func ints(v []int) string {
	if len(v) == 0 {
		return "[]"
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func quoted(v []string) string {
	q := slices.Clone(v)
	for i := range q {
		q[i] = strconv.Quote(q[i])
	}
	return strings.Join(q, ", ")
}
