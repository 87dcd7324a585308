package remediation

// FindingServiceMisconfigured: msiserver's configuration differs from the
// OS profile's (image path, account or start type).
const FindingServiceMisconfigured = "service-misconfigured"

func init() {
	RegisterCause(Cause{
		ID:         FindingServiceMisconfigured,
		Rank:       90,
		Summary:    `msiserver's configuration differs from the OS default (image path, account or start type)`,
		Label:      "D (the defaults: docs/evidence.md#E-service), G (that it matters)",
		Sources:    []string{"docs/evidence.md#E-service"},
		NoScenario: "no built-in fault changes msiserver's image path or account",
		Fixes:      []string{"reregister-service"},
		RuledOutBy: "msiserver's image path, account and start type equal to the OS profile's",
		Probes:     probes(msiserverGet(), hostInfo()),
		Host:       serviceHost(FindingServiceMisconfigured),
	})
}
