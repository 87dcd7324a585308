package remediation

import "github.com/msilab/msilab/msilog"

// FindingUninstallNotElevated: a per-machine product removed silently
// without an elevated token (docs/evidence.md#E-lua-uninstall).
const FindingUninstallNotElevated = "uninstall-not-elevated"

// sigRemoval is a removal's status line or event.
var sigRemoval = Sig{"Removal success or error status, or event 1034/11724/11725", func(l msilog.Line) bool {
	return l.Fact == msilog.FactRemoval || l.Event == 1034 || l.Event == 11724 || l.Event == 11725
}}

func init() {
	RegisterCause(Cause{
		ID:         FindingUninstallNotElevated,
		Rank:       140,
		Summary:    `a per-machine product removed silently without an elevated token (1730, exit 1603)`,
		Label:      "R",
		Sources:    []string{"docs/evidence.md#E-lua-uninstall"},
		Scenario:   "silent-uninstall-not-elevated",
		Fixes:      []string{"run-elevated"},
		RuledOutBy: "an elevated removal (an elevated prompt or SYSTEM)",
		Signature:  []Sig{Msg(1730), sigLUA},
		Log: func(in *Input) *LogVerdict {
			if !in.Has(Msg(1730)) && !(in.Has(sigLUA) && in.Uninstall && in.Exit != 0) {
				return nil
			}
			conf := 0.9
			if !in.Has(Msg(1730)) {
				conf = 0.5 // rejected earlier (1625 on Server)
			}
			lines := in.Firsts(sigLUA, Msg(1730), ActionEnd("InstallInitialize", 3), sigRemoval)
			return &LogVerdict{Confidence: conf, Lines: append(lines, in.exitLines()...)}
		},
		Host: elevationHost,
	})
}
