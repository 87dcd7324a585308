package remediation

import "github.com/msilab/msilab/msilog"

// FindingServiceUnregistered: msiserver is not registered (after
// msiexec /unregister; docs/evidence.md#E-service-disabled).
const FindingServiceUnregistered = "service-unregistered"

func init() {
	RegisterCause(Cause{
		ID:      FindingServiceUnregistered,
		Rank:    70,
		Summary: `the Windows Installer service is not registered (after msiexec /unregister): exit 1601`,
		Label:   "R (exit 1601), G (its client codes 0x80040154 and 0x800401F0)",
		Sources: []string{"docs/evidence.md#E-service-disabled", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes",
			"https://learn.microsoft.com/en-us/windows/win32/com/com-error-codes-1"},
		Scenario:   "service-unregistered",
		Fixes:      []string{"reregister-service"},
		RuledOutBy: "msiserver's service key existing (msilab diagnose --host); a client code 0x80070005 is access denied, where re-registering is the wrong advice",
		Signature:  []Sig{Exit(1601), Msg(1719), sigConnect(hrClassNotReg, hrNotInitialized)},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(sigConnect(hrClassNotReg, hrNotInitialized)); ok {
				return &LogVerdict{Confidence: 0.8, Lines: append([]msilog.Line{l}, in.exitLines()...),
					Notes: []string{l.Arg(0) + " is REGDB_E_CLASSNOTREG or CO_E_NOTINITIALIZED (D): COM could not create the service's object (G: an unregistered service)"},
					RuledOut: []string{"service-access-denied: the code is not 0x80070005",
						"service-disabled: a disabled service gives 0x80070422 (ERROR_SERVICE_DISABLED) (G)"}}
			}
			lines, why, ok := serviceUnreached(in)
			if !ok || hrIs(firstCode(in), hrServiceDisabled) {
				return nil
			}
			return &LogVerdict{Confidence: 0.35, Lines: lines, Notes: []string{why, serviceAmbiguity(in)}}
		},
		Probes: probes(msiserverGet()),
		Host:   serviceHost(FindingServiceUnregistered),
	})
}
