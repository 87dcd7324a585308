package remediation

import "github.com/msilab/msilab/msilog"

// FindingInstallerACL: C:\Windows\Installer denies SYSTEM (or the client)
// write (docs/evidence.md#E-installer-acl).
const FindingInstallerACL = "installer-acl"

// sigInstallerDenied is Note 2336 (could not create a temporary file in a
// folder, D) with system error 5 on %WINDIR%\Installer.
var sigInstallerDenied = Note(2336, ArgIs(0, "5"), ArgPath(1, InstallerFolder))

func init() {
	RegisterCause(Cause{
		ID:      FindingInstallerACL,
		Rank:    20,
		Summary: `C:\Windows\Installer denies write: the in-progress marker or the package's staged copy cannot be written (2503 then 2502, or Note 2336 with error 5 and 2755; exit 1603 or 1632)`,
		Label:   "G (2503 family); R (2336 with 5 on the Installer folder)",
		Sources: []string{"docs/evidence.md#E-installer-acl", "docs/evidence.md#E-installer-unusable",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		Scenario: "installer-acl",
		Fixes:    []string{"restore-installer-acl"},
		RuledOutBy: `C:\Windows\Installer's ACL granting SYSTEM full control (msilab diagnose --host); a Note 2336 naming the user's %TEMP% ` +
			`(…\AppData\Local\Temp) instead points at that folder`,
		Signature: []Sig{sigInstallerDenied, Server(Exit(1632)), sigIPIDenied, sig2503, sig2502},
		Log: func(in *Input) *LogVerdict {
			if l, ok := in.First(sigInstallerDenied); ok {
				lines := append([]msilog.Line{l}, in.Firsts(AnyOf(Note(2755), Msg(2755)), Fact(msilog.FactCannotOpen))...)
				return &LogVerdict{Confidence: 0.85, Lines: append(lines, in.exitLines()...),
					Notes: []string{`Note 2336 (could not create a temporary file, D) with system error 5 (access denied) names %WINDIR%\Installer`},
					RuledOut: []string{`the user's %TEMP%: Note 2336's folder is %WINDIR%\Installer, not …\AppData\Local\Temp, ` +
						`so recreating or re-permissioning %TEMP% would not help`}}
			}
			if l, ok := in.First(Server(Exit(1632))); ok && !in.Has(Note(2336)) {
				return &LogVerdict{Confidence: 0.45, Lines: []msilog.Line{l},
					Notes: []string{`1632 returned by the service (MSI (s)): its temporary folder is %WINDIR%\Installer, not the user's %TEMP% (G); ` +
						`missing or denied cannot be told from this line: diagnose the host`}}
			}
			lines := markerFailed(in)
			if lines == nil {
				return nil
			}
			return &LogVerdict{Confidence: 0.35, Lines: lines, Notes: markerAmbiguity(in)}
		},
		Probes: probes(aclGet(InstallerDir), pathStat(InstallerDir)),
		Host: func(h *HostView) HostVerdict {
			s := h.Sig.installer
			blocks := s.deviates && s.sysCant || !s.read && s.deviates
			v := HostVerdict{Run: aclState(s, s.sysCant), Holds: blocks, Evidence: []string{s.ev}}
			aclAlone(&v, s, blocks)
			return v
		},
	})
}
