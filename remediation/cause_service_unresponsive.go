package remediation

// FindingServiceUnresponsive: msiserver is registered and enabled, yet
// was not reached or is stuck starting or stopping.
const FindingServiceUnresponsive = "service-unresponsive"

func init() {
	RegisterCause(Cause{
		ID:         FindingServiceUnresponsive,
		Rank:       80,
		Summary:    `msiserver is registered and not disabled, yet the service could not be reached or is stuck starting or stopping (exit 1601)`,
		Label:      "G",
		Sources:    []string{"docs/evidence.md#E-service", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		NoScenario: "the simulator has no service that hangs in StartPending or StopPending",
		Fixes:      []string{"restart-service", "reregister-service"},
		RuledOutBy: "msiserver Running or Stopped (not pending) with its OS default configuration and a later install reaching it",
		Signature:  []Sig{Exit(1601), Msg(1719)},
		Log: func(in *Input) *LogVerdict {
			lines, why, ok := serviceUnreached(in)
			if !ok || firstCode(in) != "" {
				return nil
			}
			return &LogVerdict{Confidence: 0.15, Lines: lines, Notes: []string{why, serviceAmbiguity(in)}}
		},
		Probes: probes(msiserverGet()),
		Host:   serviceHost(FindingServiceUnresponsive),
	})
}
