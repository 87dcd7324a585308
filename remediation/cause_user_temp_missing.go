package remediation

import "github.com/msilab/msilab/msilog"

// FindingUserTempMissing: the installing user's %TEMP% does not exist
// (docs/evidence.md#E-user-temp).
const FindingUserTempMissing = "user-temp-missing"

// userTemp1632 is the client's 1632 (ERROR_INSTALL_TEMP_UNWRITABLE, D):
// exit 1632 that the service did not return, or a log that stops after
// its header. ok is false otherwise, and when the log names another
// folder (a Note 2336 on %WINDIR%\Installer or C:\Windows\Temp).
func userTemp1632(in *Input) (lines []msilog.Line, why string, ok bool) {
	if in.Has(Server(Exit(1632))) || in.Has(Note(2336, ArgNot(ArgPath(1, UserTemp)))) {
		return nil, "", false
	}
	switch {
	case in.Exit == 1632:
		return in.exitLines(), "exit 1632 (ERROR_INSTALL_TEMP_UNWRITABLE, D)", true
	case in.HeaderOnly && in.Exit < 0:
		return in.All(AnyOf(Sig{"logging started/stopped header", func(l msilog.Line) bool { return l.Kind == msilog.KindHeader }})),
			"the log has only its header: msiexec stopped on the client before the service was reached", true
	}
	return nil, "", false
}

func userTempAmbiguity(in *Input) string {
	if in.State != nil {
		return ""
	}
	return "a log cannot tell a missing %TEMP% from an unwritable one: diagnose the host"
}

func init() {
	RegisterCause(Cause{
		ID:       FindingUserTempMissing,
		Rank:     40,
		Summary:  `the installing user's %TEMP% is missing: the client gives up before reaching the service (exit 1632)`,
		Label:    "code D, trigger R, details G",
		Sources:  []string{"docs/evidence.md#E-user-temp", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		Scenario: "user-temp-missing",
		Fixes:    []string{"recreate-user-temp"},
		RuledOutBy: `the user's %TEMP% existing (msilab diagnose --host); a 1632 returned by the service (MSI (s)) or a Note 2336 naming ` +
			`%WINDIR%\Installer points at the service's folder instead`,
		Signature: []Sig{Exit(1632), Note(2336, ArgIs(0, "3"), ArgPath(1, UserTemp))},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(Note(2336, ArgIs(0, "3"), ArgPath(1, UserTemp))); ok {
				return &LogVerdict{Confidence: 0.8, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{"Note 2336 (could not create a temporary file, D) with system error 3 (path not found) names the user's %TEMP%"}}
			}
			lines, why, ok := userTemp1632(in)
			if !ok {
				return nil
			}
			return &LogVerdict{Confidence: 0.45, Lines: lines, Notes: []string{why, userTempAmbiguity(in)}}
		},
		Probes: userProbes,
		Host: func(h *HostView) HostVerdict {
			st, missing := h.St, h.Sig.userTempMissing
			v := HostVerdict{Holds: missing && h.Context != "system"}
			if st.SystemContext() || !st.User.Exists {
				return v
			}
			v.Run = sign(missing)
			v.Evidence = []string{st.userTempWords(missing)}
			if missing {
				v.Alone, v.AloneEvidence = confState, []string{st.UserTemp.Path + " does not exist"}
			}
			return v
		},
	})
}

// userTempWords describes the user's %TEMP%.
func (st *HostState) userTempWords(missing bool) string {
	if missing {
		return st.UserTemp.Path + " does not exist"
	}
	return st.UserTemp.Path + " exists"
}
