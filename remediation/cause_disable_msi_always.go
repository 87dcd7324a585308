package remediation

import "github.com/msilab/msilab/msilog"

// FindingDisableMSIAlways: DisableMSI = 2 (docs/evidence.md#E-disablemsi-2).
const FindingDisableMSIAlways = "disable-msi-always"

// sigDisableMSI is the machine policy line for DisableMsi (any value).
var sigDisableMSI = Sig{"Machine policy value 'DisableMsi' is N", func(l msilog.Line) bool {
	return l.Kind == msilog.KindPolicy && l.Arg(1) == "machine" && (l.Name == "DisableMsi" || l.Name == "DisableMSI")
}}

// disableMSIPolicy is the first DisableMsi line and its value ("" none).
func disableMSIPolicy(in *Input) (msilog.Line, string) {
	l, ok := in.First(sigDisableMSI)
	if !ok {
		return l, ""
	}
	return l, l.Arg(0)
}

// sigRejecting is the service's rejection of a non-elevated install.
var sigRejecting = Fact(msilog.FactRejecting, ArgHas(1, "Non-assigned apps are disabled for non-admin users"))

func init() {
	RegisterCause(Cause{
		ID:       FindingDisableMSIAlways,
		Rank:     100,
		Summary:  `the policy "Turn off Windows Installer" is Always (DisableMSI = 2): every install is rejected (exit 1625)`,
		Label:    "semantics D, code/log G",
		Sources:  []string{"docs/evidence.md#E-disablemsi-2", "docs/evidence.md#E-policy-keys"},
		Scenario: "disable-msi-always",
		Fixes:    []string{"relax-disable-msi"},
		RuledOutBy: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer\DisableMSI not 2 (msilab diagnose --host); a "Rejecting product … ` +
			`Non-assigned apps are disabled for non-admin users" line is DisableMSI = 1 for a non-elevated install`,
		Signature: []Sig{Policy("DisableMsi", "2"), Exit(1625)},
		Log: func(in *Input) *LogVerdict {
			pl, pv := disableMSIPolicy(in)
			switch {
			case pv == "2":
				return &LogVerdict{Confidence: 0.95, Lines: append([]msilog.Line{pl}, in.exitLines()...)}
			case in.Exit == 1625 && pv == "" && !in.Has(Fact(msilog.FactRejecting)) && !in.Empty:
				return &LogVerdict{Confidence: 0.45, Lines: in.exitLines(),
					Notes: []string{"exit 1625 (ERROR_INSTALL_PACKAGE_REJECTED, D) without a policy line or a rejection line"}}
			}
			return nil
		},
		Probes: probes(regGet(PolicyKey, "DisableMSI")),
		Host: func(h *HostView) HostVerdict {
			on := h.Sig.disableMSI == 2
			v := HostVerdict{Run: sign(on), Holds: on, Evidence: []string{h.Sig.disableMSIEv}}
			if on {
				v.Alone = confState
			}
			return v
		},
	})
}
