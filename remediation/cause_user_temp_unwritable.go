package remediation

import "github.com/msilab/msilab/msilog"

// FindingUserTempUnwritable: the installing user cannot write its %TEMP%
// (docs/evidence.md#E-user-temp).
const FindingUserTempUnwritable = "user-temp-unwritable"

func init() {
	RegisterCause(Cause{
		ID:       FindingUserTempUnwritable,
		Rank:     50,
		Summary:  `the installing user's %TEMP% is not writable by the user (exit 1632)`,
		Label:    "code D, trigger R, details G",
		Sources:  []string{"docs/evidence.md#E-user-temp", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		Scenario: "user-temp-unwritable",
		Fixes:    []string{"restore-user-temp-acl"},
		RuledOutBy: `the user's %TEMP% granting the user write (msilab diagnose --host); a Note 2336 with error 5 naming ` +
			`%WINDIR%\Installer is that folder's ACL (installer-acl), not %TEMP%`,
		Signature: []Sig{Exit(1632), Note(2336, ArgIs(0, "5"), ArgPath(1, UserTemp))},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(Note(2336, ArgIs(0, "5"), ArgPath(1, UserTemp))); ok {
				return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{"Note 2336 (could not create a temporary file, D) with system error 5 (access denied) names the user's %TEMP%"}}
			}
			lines, why, ok := userTemp1632(in)
			if !ok {
				return nil
			}
			return &LogVerdict{Confidence: 0.45, Lines: lines, Notes: []string{why, userTempAmbiguity(in)}}
		},
		Probes: userProbes,
		Host: func(h *HostView) HostVerdict {
			st, s := h.St, h.Sig.userTemp
			v := HostVerdict{Holds: s.userCant && h.Context != "system"}
			if st.SystemContext() || !st.User.Exists {
				return v
			}
			v.Run, v.Evidence = aclState(s, s.userCant), []string{s.ev}
			aclAlone(&v, s, s.deviates && s.userCant || !s.read && s.deviates)
			return v
		},
	})
}
