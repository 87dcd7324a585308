package remediation

import "github.com/msilab/msilab/msilog"

// FindingServiceStartFailed: msiserver is registered and enabled but
// cannot start (its own start failure, RpcSs failing, a wrong image path).
const FindingServiceStartFailed = "service-start-failed"

func init() {
	RegisterCause(Cause{
		ID:      FindingServiceStartFailed,
		Rank:    75,
		Summary: `the Windows Installer service cannot start (its own failure, its dependency RpcSs, or an image path that names no file): exit 1601 or message 1719`,
		Label:   "D (the codes and Service Control Manager events), G (which start failure the client reports)",
		Sources: []string{"docs/evidence.md#E-service-start", "docs/evidence.md#E-connect-codes", "docs/evidence.md#E-service",
			"https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		NoScenario: "none yet: no built-in fault breaks msiserver's image path or its dependency",
		Fixes:      []string{"reregister-service", "restart-service"},
		RuledOutBy: "msiserver starting by hand (sc start msiserver) and the System log showing no Service Control Manager " +
			"error 7000, 7001, 7009 or 7023 for it; a Disabled start type is service-disabled",
		Signature: []Sig{Fact(msilog.FactServiceStart), sigConnect(hrStartFailed...)},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(Fact(msilog.FactServiceStart)); ok {
				return &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{"the Service Control Manager reports that msiserver did not start: " + l.Arg(0) + " " + l.Arg(1)},
					RuledOut: []string{"service-disabled: a disabled service is not started at all, so no start failure is logged",
						"service-access-denied: the refusal of a running service logs 0x80070005 on the client"}}
			}
			if lines, why, ok := serviceUnreached(in); ok && firstCode(in) == "" && !in.Has(sigConnect()) {
				return &LogVerdict{Confidence: 0.25, Lines: lines, Notes: []string{why,
					"the System log's Service Control Manager events (7000, 7001, 7009, 7023) for msiserver tell a start failure apart"}}
			}
			if l, ok := in.First(sigConnect(hrStartFailed...)); ok {
				return &LogVerdict{Confidence: 0.7, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{l.Arg(0) + " is a service start failure (D: its system error); collect the System log's Service Control Manager events for msiserver"}}
			}
			return nil
		},
		Probes: probes(msiserverGet(), hostInfo()),
		Host: func(h *HostView) HostVerdict {
			p := h.Sig.serviceProblem
			bad := p == FindingServiceMisconfigured || p == FindingServiceUnresponsive
			return HostVerdict{Run: sign(bad), Holds: bad, Evidence: []string{h.Sig.serviceEv}}
		},
	})
}
