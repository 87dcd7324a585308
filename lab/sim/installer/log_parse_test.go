package installer

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/msilab/msilab/msilog"
)

// logNumbers is an independent scan of a log's message numbers (the
// runner's pattern), to hold msilog's reading against.
var logNumbers = regexp.MustCompile(`Note: 1: (\d{4})\b|\bError (\d{4})[.:]`)

// parsedAgrees checks that the structured reading of a log the engine
// wrote (msilog, what diagnosis reads) agrees with the writer: every
// MSI (x) line has its side, ids and time; every note re-renders to its
// line through noteText; every message number is read; the exit code
// the log states is the run's. check calls it for every engine test.
func parsedAgrees(t *testing.T, res *Result) {
	t.Helper()
	if res.Log == "" {
		return
	}
	lg := msilog.ParseString(res.Log)
	if lg.Form != msilog.FormVerbose {
		t.Errorf("msilog reads the engine's log as %s, want verbose", lg.Form)
	}
	raw := strings.Split(strings.TrimSuffix(res.Log, "\r\n"), "\r\n")
	byN := map[int]msilog.Line{}
	for _, l := range lg.Lines {
		byN[l.N] = l
	}
	for i, text := range raw {
		if !strings.HasPrefix(text, "MSI (") {
			continue
		}
		l, ok := byN[i+1]
		if !ok || l.Side == "" || l.PID == "" || l.TID == "" || len(l.Time) != 12 {
			t.Errorf("line %d not read with its prefix: %+v\n%s", i+1, l, text)
			continue
		}
		if l.Kind == msilog.KindNote {
			body := text[strings.Index(text, "]: ")+3:]
			if got := noteText(Message(l.Num), l.Args...); strings.TrimSpace(got) != strings.TrimSpace(body) {
				t.Errorf("line %d: note read as %d %q, which writes %q, not %q", i+1, l.Num, l.Args, got, body)
			}
		}
	}
	nums := lg.Numbers()
	for _, m := range logNumbers.FindAllStringSubmatch(res.Log, -1) {
		n, _ := strconv.Atoi(m[1] + m[2])
		if !slices.Contains(nums, n) {
			t.Errorf("message %d in the log, not in msilog's reading %v", n, nums)
		}
	}
	if code, line, ok := lg.Exit(); ok && code != int(res.ExitCode) {
		t.Errorf("msilog reads exit %d (%s), the run's is %d", code, line.Text, res.ExitCode)
	}
}
