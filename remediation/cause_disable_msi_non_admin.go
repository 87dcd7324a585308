package remediation

import "github.com/msilab/msilab/msilog"

// FindingDisableMSINonAdmin: DisableMSI = 1, or absent on Windows Server,
// and the install not elevated (docs/evidence.md#E-disablemsi-1).
const FindingDisableMSINonAdmin = "disable-msi-non-admin"

func init() {
	RegisterCause(Cause{
		ID:       FindingDisableMSINonAdmin,
		Rank:     110,
		Summary:  `DisableMSI = 1 (set, or absent on Windows Server): installs that do not run elevated are rejected (exit 1625)`,
		Label:    "D + R",
		Sources:  []string{"docs/evidence.md#E-disablemsi-1"},
		Scenario: "disable-msi-non-admin",
		Also:     []string{"per-user-server-default"},
		Fixes:    []string{"relax-disable-msi", "run-elevated"},
		RuledOutBy: "an elevated install (context admin-elevated or system), or DisableMSI 0 (absent on a client edition); " +
			"DisableMSI = 2 rejects every install (disable-msi-always)",
		Signature: []Sig{sigRejecting, Policy("DisableMsi", "1")},
		Log: func(in *Input) *LogVerdict {
			rej, ok := in.First(sigRejecting)
			if !ok {
				return nil
			}
			lines := []msilog.Line{rej}
			pl, pv := disableMSIPolicy(in)
			if pv != "" {
				lines = append(lines, pl)
			}
			v := &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...), Scenario: "disable-msi-non-admin"}
			if pv != "1" {
				v.Scenario = "per-user-server-default"
				v.Notes = []string{"no 'DisableMsi' policy line: the value is absent, which Windows Server treats as 1 (R)"}
			}
			return v
		},
		Probes: probes(regGet(PolicyKey, "DisableMSI"), hostInfo()),
		Host: func(h *HostView) HostVerdict {
			dm, ne := h.Sig.disableMSI, nonElevated(h.Context)
			scenario := "per-user-server-default"
			if h.St.DisableMSI.Exists {
				scenario = "disable-msi-non-admin"
			}
			v := HostVerdict{Run: sign(dm == 1 && ne), Holds: dm == 2 || dm == 1 && ne,
				Evidence: []string{h.Sig.disableMSIEv}, Scenario: scenario}
			if dm == 1 && ne {
				v.Alone, v.AloneEvidence = confState, []string{h.Sig.disableMSIEv, "install context " + h.Context}
			}
			return v
		},
	})
}
