package remediation

import (
	"fmt"

	"github.com/msilab/msilab/msilog"
)

// FindingCustomAction: a custom action of the package failed: a package
// problem, no host fix (docs/evidence.md#E-custom-action).
const FindingCustomAction = "custom-action-failed"

// sigCAReturned is "CustomAction X returned actual error code N" with N
// not 0 and not translated to success by continue marking (that line
// alone is a negative control: the action's failure was ignored, D:
// msidbCustomActionTypeContinue).
var sigCAReturned = Sig{"CustomAction X returned actual error code N (N ≠ 0, not translated to success)", func(l msilog.Line) bool {
	return l.Kind == msilog.KindCustomAction && l.Fact == msilog.FactCAReturned && l.Num != 0 && l.Arg(1) != "continue"
}}

// caFailedEnd is the "Return value 3" of the action named, or of the
// script that ran it (deferred actions fail inside InstallFinalize or
// InstallExecute, D: "Logging of Action Return Values").
func caFailedEnd(in *Input, name string) (msilog.Line, bool) {
	for _, n := range []string{name, "InstallFinalize", "InstallExecute", "InstallExecuteAgain"} {
		if n == "" {
			continue
		}
		if l, ok := in.First(ActionEnd(n, 3)); ok {
			return l, true
		}
	}
	return msilog.Line{}, false
}

// caWords names the action and what it ran.
func caWords(name, location, command string) string {
	what := "custom action " + name
	if location != "" || command != "" {
		what += fmt.Sprintf(" ran %s %s", location, command)
	}
	return what + ": fix the package or what the action needs; no host fix"
}

func init() {
	RegisterCause(Cause{
		ID:      FindingCustomAction,
		Rank:    150,
		Summary: `a custom action of the package failed (1722, or its "returned actual error code N" with Return value 3; exit 1603): a package problem, no host fix`,
		Label:   "D (messages and return values), R (log shapes)",
		Sources: []string{"docs/evidence.md#E-custom-action", "docs/evidence.md#E-ca-authoring",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages",
			"https://learn.microsoft.com/en-us/windows/win32/msi/logging-of-action-return-values",
			"https://github.com/microsoft/winget-pkgs/pull/374018"},
		Scenario: "custom-action-fails",
		NoFix:    "the package's own action failed: fix the package (or what its command needs); nothing on the host is wrong",
		RuledOutBy: "no 'Return value 3' after the action (collect the lines above the first 'Return value 3'); " +
			"'returned actual error code N but will be translated to success due to continue marking' alone is not a failure",
		Signature: []Sig{Msg(1722), Note(1722), sigCAReturned, Msg(1720), CustomAction(msilog.FactCAScript)},
		Log: func(in *Input) *LogVerdict {
			if m, ok := in.First(AnyOf(Msg(1722), Note(1722))); ok {
				name, loc, cmd := m.Arg(0), m.Arg(1), m.Arg(2)
				if name == "" {
					if n, ok := in.First(Note(1722)); ok {
						name, loc, cmd = n.Arg(0), n.Arg(1), n.Arg(2)
					}
				}
				lines := []msilog.Line{m}
				if end, ok := caFailedEnd(in, name); ok {
					lines = append(lines, end)
				}
				return &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...), Notes: []string{caWords(name, loc, cmd)}}
			}
			if s, ok := in.First(AnyOf(Msg(1720), CustomAction(msilog.FactCAScript))); ok {
				return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{s}, in.exitLines()...),
					Notes: []string{"a script custom action failed (1720, D): fix the script; no host fix"}}
			}
			for _, r := range in.All(sigCAReturned) {
				if in.Has(AnyOf(Msg(1721), Msg(1723), CustomAction(msilog.FactWixQuiet))) {
					return nil // the action could not run: custom-action-not-run
				}
				end, ok := caFailedEnd(in, r.Name)
				if !ok {
					continue
				}
				return &LogVerdict{Confidence: 0.8, Lines: append([]msilog.Line{r, end}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("custom action %s returned %d and its action ended with Return value 3 (a fatal error, D): "+
						"fix the package or what the action needs; no host fix", r.Name, r.Num)}}
			}
			return nil
		},
	})
}
