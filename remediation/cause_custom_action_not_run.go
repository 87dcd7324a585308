package remediation

import (
	"strings"

	"github.com/msilab/msilab/msilog"
)

// FindingCustomActionNotRun: a custom action's program or DLL could not
// run at all: 1721, 1723, or WixQuietExec naming a bad command line.
const FindingCustomActionNotRun = "custom-action-not-run"

// sigWixQuietFailed is WixQuietExec's own failure line.
var sigWixQuietFailed = Sig{"WixQuietExec line with an error", func(l msilog.Line) bool {
	if l.Kind != msilog.KindCustomAction || l.Fact != msilog.FactWixQuiet {
		return false
	}
	a := strings.ToLower(l.Arg(0))
	return strings.Contains(a, "error") || strings.Contains(a, "failed") || strings.Contains(a, "must begin with")
}}

func init() {
	RegisterCause(Cause{
		ID:      FindingCustomActionNotRun,
		Rank:    155,
		Summary: `a custom action's program or DLL could not be run (1721, 1723, or WixQuietExec's command line error): a package problem, no host fix`,
		Label:   "D (1721, 1723), R (WixQuietExec's lines)",
		Sources: []string{"docs/evidence.md#E-ca-authoring", "docs/evidence.md#E-custom-action-emulation",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		Scenario:   "custom-action-missing-exe",
		NoFix:      "the package names a program, DLL or command line that cannot run: fix the package (quote the command's path, ship the file); nothing on the host is wrong",
		RuledOutBy: "the action's program existing at its location and its command line quoted (collect the lines above the first 'Return value 3')",
		Signature:  []Sig{Msg(1721), Msg(1723), sigWixQuietFailed},
		Log: func(in *Input) *LogVerdict {
			if m, ok := in.First(AnyOf(Msg(1721), Msg(1723), Note(1721), Note(1723))); ok {
				lines := []msilog.Line{m}
				if end, ok := caFailedEnd(in, m.Arg(0)); ok {
					lines = append(lines, end)
				}
				what := "custom action " + m.Arg(0)
				if m.Num == 1723 {
					what += " could not load " + m.Arg(2) + " (entry " + m.Arg(1) + ")"
				} else {
					what += " could not run " + strings.TrimSpace(m.Arg(1)+" "+m.Arg(2))
				}
				return &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...), Notes: []string{what + ": fix the package; no host fix"}}
			}
			w, ok := in.First(sigWixQuietFailed)
			if !ok {
				return nil
			}
			lines := []msilog.Line{w}
			name := ""
			if r, ok := in.First(sigCAReturned); ok {
				lines, name = append(lines, r), r.Name
			}
			if end, ok := caFailedEnd(in, name); ok {
				lines = append(lines, end)
			}
			return &LogVerdict{Confidence: 0.85, Lines: append(lines, in.exitLines()...),
				Notes: []string{"WixQuietExec could not run the action's command line" + map[bool]string{true: " (custom action " + name + ")", false: ""}[name != ""] +
					": fix the package's command line; no host fix"}}
		},
	})
}
