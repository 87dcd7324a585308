package remediation

import "github.com/msilab/msilab/msilog"

// FindingServiceAccessDenied: the service refuses a non-admin's
// connection from a batch or network logon (docs/evidence.md#E-service-access).
const FindingServiceAccessDenied = "service-access-denied"

// sigAccessDenied is the client's connection failure with E_ACCESSDENIED,
// as its own line or as Note 2774.
var sigAccessDenied = AnyOf(sigConnect(hrAccessDenied), Note(2774, ArgIs(0, hrAccessDenied)))

func init() {
	RegisterCause(Cause{
		ID:      FindingServiceAccessDenied,
		Rank:    55,
		Summary: `the Windows Installer service refused the client (Failed to connect to server. Error: 0x80070005, exit 1601): a non-admin's msiexec from a batch or network logon (a scheduled task, WinRM, SSH)`,
		Label:   "R (outcome, log, logons refused), G (the right the connection checks)",
		Sources: []string{"docs/evidence.md#E-service-access", "docs/evidence.md#E-connect-codes",
			"https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		Scenario: "service-access-batch-logon",
		NoFix: "the logon is the cause, not the host: the service refuses a non-admin's msiexec from a batch or network logon, " +
			"so run the install from an interactive logon (a console, RunAs) or elevated; re-registering, restarting or " +
			"reconfiguring the service changes nothing",
		RuledOutBy: "the same account's install from an interactive logon (RunAs, a console) reaching the service (MSI (s) lines); " +
			"an administrator's or SYSTEM's msiexec over the same transport is accepted",
		Signature: []Sig{sigAccessDenied, Client(Exit(1601))},
		Log: func(in *Input) *LogVerdict {
			l, ok := in.First(sigAccessDenied)
			if !ok {
				// A 1601 without the client's code: one candidate among the service causes.
				if lines, why, ok := serviceUnreached(in); ok && firstCode(in) == "" {
					return &LogVerdict{Confidence: 0.3, Lines: lines, Notes: []string{why,
						"a non-admin's msiexec from a batch or network logon exits 1601 too: the verbose log's " +
							"'Failed to connect to server. Error: 0x…' line tells the causes apart (0x80070005 is this one)"}}
				}
				return nil
			}
			lines := append([]msilog.Line{l}, in.Firsts(Note(2774))...)
			v := &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...),
				Notes: []string{"0x80070005 is E_ACCESSDENIED (D): the service refused the caller; it was reachable and running"},
				RuledOut: []string{
					"service-disabled: a disabled service cannot be connected to at all; its code would be 0x80070422 (ERROR_SERVICE_DISABLED), not access denied (G)",
					"service-unregistered: an unregistered service gives 0x80040154 or 0x800401F0 (G); re-registering the service is the wrong advice here",
				}}
			if in.Has(Server(anyLine)) {
				v.Confidence = 0.6 // the service wrote lines: it was reached after all
				v.Notes = append(v.Notes, "yet the log has service (MSI (s)) lines: collect the whole log")
			}
			return v
		},
		Host: func(h *HostView) HostVerdict {
			return HostVerdict{Holds: nonElevated(h.Context)}
		},
	})
}
