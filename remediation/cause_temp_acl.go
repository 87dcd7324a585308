package remediation

import (
	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// FindingTempACL: C:\Windows\Temp keeps SYSTEM or the user from creating
// the in-progress marker (docs/evidence.md#E-temp-acl, R).
const FindingTempACL = "temp-acl"

// The in-progress marker family (docs/evidence.md#E-marker): the .ipi
// marker denied (-2147287035, STG_E_ACCESSDENIED), then 2503 and 2502.
// An .ipi note with -2147287038 (not found) is every healthy install's
// first look for it: not this family.
var (
	sigIPIDenied = Note(2203, ArgHas(0, ".ipi"), ArgIs(1, "-2147287035"))
	sig2503      = AnyOf(Note(2503), Msg(2503))
	sig2502      = AnyOf(Note(2502), Msg(2502))
)

// markerFailed returns the marker family's lines, nil when absent.
func markerFailed(in *Input) []msilog.Line {
	if !in.Has(sigIPIDenied) && !in.Has(sig2503) && !in.Has(sig2502) {
		return nil
	}
	return append(in.Firsts(sigIPIDenied, sig2503, sig2502), in.exitLines()...)
}

// markerAmbiguity is the note a log alone carries for the family.
func markerAmbiguity(in *Input) []string {
	if in.State != nil {
		return nil
	}
	return []string{`a log alone cannot tell C:\Windows\Temp's ACL (R) from C:\Windows\Installer's (G) or a non-elevated server script (R): diagnose the host`}
}

// elevation is what the log says of the server's token: +1 elevated, -1
// not, 0 unknown.
func elevation(in *Input) int {
	switch {
	case in.Has(Fact(msilog.FactLUADisabled)):
		return -1
	case in.Has(Fact(msilog.FactElevated)), in.Has(Property("Privileged", "1")):
		return 1
	}
	return 0
}

func init() {
	RegisterCause(Cause{
		ID:      FindingTempACL,
		Rank:    10,
		Summary: `C:\Windows\Temp's ACL keeps SYSTEM or the installing user from creating files: the in-progress marker cannot be written (2503 then 2502, exit 1603)`,
		Label:   "R",
		Sources: []string{"docs/evidence.md#E-temp-acl", "docs/evidence.md#E-marker",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		Scenario:   "temp-acl-system-read-only",
		Also:       []string{"temp-acl-users-write-removed", "temp-acl-inheritance-broken"},
		Fixes:      []string{"restore-temp-acl"},
		RuledOutBy: `C:\Windows\Temp's ACL granting SYSTEM and Users what the OS default grants (msilab diagnose --host); a 2203 on the .ipi with -2147287038 (not found) alone is a healthy install's first look for the marker`,
		Signature:  []Sig{sigIPIDenied, sig2503, sig2502, Note(2336, ArgIs(0, "5"), ArgPath(1, WindowsTemp))},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(Note(2336, ArgIs(0, "5"), ArgPath(1, WindowsTemp))); ok {
				return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{`Note 2336 (could not create a temporary file, D) with system error 5 (access denied) names C:\Windows\Temp`}}
			}
			lines := markerFailed(in)
			if lines == nil {
				return nil
			}
			scenario := "temp-acl-system-read-only"
			if e := elevation(in); e < 0 || e == 0 && nonElevated(in.Context) {
				scenario = "temp-acl-users-write-removed"
			}
			conf := 0.7
			if !in.Has(sigIPIDenied) && !(in.Has(sig2503) && in.Has(sig2502)) {
				conf = 0.45 // one message alone (a dialog's 2503): the family, not yet its cause
			}
			return &LogVerdict{Confidence: conf, Lines: lines, Notes: markerAmbiguity(in), Scenario: scenario,
				RuledOut: []string{"a missing source (1612) or a missing package gives 2203 on the package, not on the .ipi with -2147287035: not this family"}}
		},
		Probes: func(t faults.Target) []ops.Op {
			return append([]ops.Op{aclGet(TempDir), pathStat(TempDir)}, userProbes(t)...)
		},
		Host: func(h *HostView) HostVerdict {
			s := h.Sig.temp
			blocks := s.deviates && (s.sysCant || s.usersCant || s.userCant) || !s.read && s.deviates
			v := HostVerdict{Run: aclState(s, s.sysCant || s.usersCant || s.userCant), Holds: blocks,
				Evidence: []string{s.ev}, Scenario: tempScenario(h.St, s)}
			aclAlone(&v, s, blocks)
			return v
		},
	})
}

// aclAlone sets what a folder's ACL shows without a run: a cause when it
// blocks, a minor one when it differs and blocks nothing and grants no
// broad group more.
func aclAlone(v *HostVerdict, s aclSignal, blocks bool) {
	switch {
	case blocks:
		v.Alone, v.AloneEvidence = confState, []string{s.ev, "differs from the OS default: " + s.why}
	case s.deviates && len(s.broad) == 0:
		v.Alone, v.AloneEvidence = confStateMinor, []string{s.ev, "differs from the OS default, blocks no write: " + s.why}
	}
}
