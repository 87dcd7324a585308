package installer

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/win"
)

// installAs installs a package with the token a logon of the given type
// gives the kind's account.
func (l *testLab) installAs(name string, kind win.TokenKind, logon win.LogonType) *Result {
	l.t.Helper()
	_, user := l.token(kind)
	tok, err := l.m.LogonToken(kind, user, logon)
	must(l.t, err)
	res, err := Run(context.Background(), l.m, Request{Action: Install, Package: pkgDir + `\` + name + ".msi", Token: tok, User: user, UI: UINone})
	must(l.t, err)
	return res
}

// stamp is the "MSI (c) (PP:TT) [hh:mm:ss:mmm]: " prefix of a log line.
var stamp = regexp.MustCompile(`^MSI \((c|s)\) \([0-9A-F]{2}[:!][0-9A-F]{2}\) \[\d\d:\d\d:\d\d:\d{3}\]: `)

// refusedTail is the end of a refused client's log, line for line, as the
// public log in docs/evidence.md#E-service-access shows it ("c: " stands
// for the client's prefix).
var refusedTail = []string{
	"c: Client-side and UI is none or basic: Running entire install on the server.",
	"c: Grabbed execution mutex.",
	"c: Failed to connect to server. Error: 0x80070005",
	"",
	"c: Note: 1: 2774 2: 0x80070005 ",
	"1: 2774 2: 0x80070005 ",
	"c: Failed to connect to server.",
	"c: MainEngineThread is returning 1601",
}

// TestServiceRefusesBatchAndNetworkLogons checks the service-access rule:
// a non-admin token from a batch or network logon gets 1601 with the
// client-side lines of the public log and nothing from the service; an
// interactive logon, an administrator and SYSTEM are accepted.
func TestServiceRefusesBatchAndNetworkLogons(t *testing.T) {
	for _, tc := range []struct {
		kind    win.TokenKind
		logon   win.LogonType
		refused bool
	}{
		{win.KindStandardUser, win.LogonBatch, true},   // S4U or stored-password task
		{win.KindStandardUser, win.LogonNetwork, true}, // WinRM, SSH
		{win.KindAdminFiltered, win.LogonBatch, true},  // Administrators is deny-only
		{win.KindStandardUser, win.LogonInteractive, false},
		{win.KindStandardUser, win.LogonService, false},
		{win.KindAdminFiltered, win.LogonInteractive, false},
		{win.KindAdminElevated, win.LogonNetwork, false}, // the WinRM session's own token
		{win.KindAdminElevated, win.LogonBatch, false},
		{win.KindSystem, win.LogonDefault, false},
	} {
		t.Run(string(tc.kind)+"-"+tc.logon.String(), func(t *testing.T) {
			l := newLab(t, "win11-24h2")
			res := l.installAs("peruser", tc.kind, tc.logon)
			refused := slices.Contains(res.Rules, RuleServiceAccess)
			if refused != tc.refused {
				t.Fatalf("refused = %v, want %v (exit %v, rules %v)\n%s", refused, tc.refused, res.ExitCode, res.Rules, res.Log)
			}
			if !tc.refused {
				if res.ExitCode != ExitSuccess {
					t.Errorf("exit %v, want 0 (rules %v)\n%s", res.ExitCode, res.Rules, res.Log)
				}
				return
			}
			if res.ExitCode != ExitServiceFailure || !slices.Equal(res.Messages, []Message{MsgServerConnect}) || len(res.Events) != 0 {
				t.Errorf("exit %v, messages %v, %d events; want 1601, [2774], none", res.ExitCode, res.Messages, len(res.Events))
			}
			var lines []string
			for _, line := range strings.Split(strings.TrimSuffix(res.Log, "\r\n"), "\r\n") {
				if m := stamp.FindStringSubmatch(line); m != nil {
					if m[1] == "s" {
						t.Errorf("a refused run has a service line: %q", line)
					}
					line = m[1] + ": " + line[len(m[0]):]
				}
				lines = append(lines, line)
			}
			if n := len(lines) - 1 - len(refusedTail); n < 0 || !slices.Equal(lines[n:len(lines)-1], refusedTail) {
				t.Errorf("log does not end with the refused client's lines:\n%s", res.Log)
			}
			if !strings.HasPrefix(lines[len(lines)-1], "=== Verbose logging stopped: ") {
				t.Errorf("last line %q", lines[len(lines)-1])
			}
			if _, held := l.m.Mutexes().Holder(mutexExecute); held {
				t.Errorf("the refused client left the execution mutex held")
			}
		})
	}
}
