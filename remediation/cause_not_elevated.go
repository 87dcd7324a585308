package remediation

import "github.com/msilab/msilab/msilog"

// FindingNotElevated: a per-machine package installed silently without an
// elevated token (docs/evidence.md#E-lua-silent).
const FindingNotElevated = "per-machine-not-elevated"

var sigLUA = Fact(msilog.FactLUADisabled)

// elevationHost is the not-elevated causes' host condition: the context.
func elevationHost(h *HostView) HostVerdict {
	v := HostVerdict{Holds: nonElevated(h.Context)}
	if h.Context != "" {
		v.Run, v.Evidence = sign(nonElevated(h.Context)), []string{"install context " + h.Context}
	}
	return v
}

func init() {
	RegisterCause(Cause{
		ID:       FindingNotElevated,
		Rank:     130,
		Summary:  `a per-machine package installed silently without an elevated token: nobody can accept the UAC prompt (1925, exit 1603)`,
		Label:    "R",
		Sources:  []string{"docs/evidence.md#E-lua-silent"},
		Scenario: "silent-per-machine-not-elevated",
		Fixes:    []string{"run-elevated"},
		RuledOutBy: "an elevated install (an elevated prompt, SYSTEM, or 'Product installation will be elevated' in the log); " +
			"a 1925 on Windows Server is often preceded by a 1625 rejection (disable-msi-non-admin)",
		Signature: []Sig{Msg(1925), sigLUA},
		Log: func(in *Input) *LogVerdict {
			var v *LogVerdict
			lua, hasLUA := in.First(sigLUA)
			if in.Has(Msg(1925)) || hasLUA && !in.Uninstall && in.Exit != 0 {
				conf := 0.9
				if !in.Has(Msg(1925)) {
					conf = 0.5 // rejected earlier (1625 on Server); elevating is the fix all the same
				}
				v = &LogVerdict{Confidence: conf, Lines: append(in.Firsts(sigLUA, Msg(1925)), in.exitLines()...)}
			}
			// The marker family from a server script that ran without elevation (R).
			if marker := markerFailed(in); marker != nil {
				e := elevation(in)
				if e < 0 || e == 0 && in.Has(Property("ALLUSERS", "1")) {
					conf := 0.2
					if e < 0 {
						conf = 0.5
					}
					m := LogVerdict{Confidence: conf, NoHost: true, Lines: marker,
						Notes: append(markerAmbiguity(in), "the server-side script may have run without elevation (R)")}
					if hasLUA {
						m.Lines = append(m.Lines, lua)
					}
					if v == nil {
						return &m
					}
					v.More = append(v.More, m)
				}
			}
			return v
		},
		Host: elevationHost,
	})
}
