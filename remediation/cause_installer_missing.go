package remediation

import "github.com/msilab/msilab/msilog"

// FindingInstallerMissing: C:\Windows\Installer does not exist
// (docs/evidence.md#E-installer-missing, R).
const FindingInstallerMissing = "installer-missing"

// The service cannot stage the package: 2755 with system error 110
// (ERROR_OPEN_FAILED, "The system cannot open the device or file
// specified.", D), as the log's DEBUG line, a note or the dialog's words.
var (
	sigStage110 = AnyOf(Fact(msilog.FactServerReturn, ArgIs(0, "110")), Note(2755, ArgIs(0, "110")), Msg(2755, ArgIs(0, "110")))
	// 2203 on the marker with -2147287037 (STG_E_PATHNOTFOUND); 2336 with 3 (path not found).
	sigIPIPathNotFound = Note(2203, ArgHas(0, ".ipi"), ArgIs(1, "-2147287037"))
	sigInstallerNoPath = Note(2336, ArgIs(0, "3"), ArgPath(1, InstallerFolder))
)

func init() {
	RegisterCause(Cause{
		ID:      FindingInstallerMissing,
		Rank:    30,
		Summary: `C:\Windows\Installer is missing: the service cannot stage the package there (2755 with error 110, exit 1603)`,
		Label:   "R, details G",
		Sources: []string{"docs/evidence.md#E-installer-missing", "docs/evidence.md#E-installer-unusable",
			"https://github.com/duplicati/duplicati/issues/4381", "https://github.com/microsoft/PowerToys/issues/316"},
		Scenario:   "installer-missing",
		Fixes:      []string{"recreate-installer-folder"},
		RuledOutBy: `C:\Windows\Installer existing (msilab diagnose --host); 2755 with another system error than 110 is not this cause`,
		Signature:  []Sig{sigStage110, sigInstallerNoPath, sigIPIPathNotFound, Fact(msilog.FactCannotOpen)},
		Log: func(in *Input) *LogVerdict {
			support := in.Firsts(Fact(msilog.FactCannotOpen), AnyOf(Msg(2755), Note(2755)))
			if l, ok := in.First(sigStage110); ok {
				return &LogVerdict{Confidence: 0.9, Lines: append(append([]msilog.Line{l}, support...), in.exitLines()...),
					Notes: []string{"2755 (the server returned an unexpected error installing the package, D) with system error 110 (the system cannot open the device or file specified, D)"}}
			}
			if l, ok := in.First(sigInstallerNoPath); ok {
				return &LogVerdict{Confidence: 0.8, Lines: append(append([]msilog.Line{l}, support...), in.exitLines()...),
					Notes: []string{`Note 2336 (could not create a temporary file, D) with system error 3 (path not found) names %WINDIR%\Installer`}}
			}
			if l, ok := in.First(sigIPIPathNotFound); ok {
				lines := append([]msilog.Line{l}, in.Firsts(Msg(2203))...)
				v := &LogVerdict{Confidence: 0.5, Lines: append(lines, in.exitLines()...)}
				if in.State == nil {
					v.Notes = []string{`2203 with -2147287037 is also what a missing C:\Windows\Temp gives (R): diagnose the host`}
				}
				return v
			}
			if l, ok := in.First(Server(Exit(1632))); ok && !in.Has(Note(2336)) {
				return &LogVerdict{Confidence: 0.45, Lines: []msilog.Line{l},
					Notes: []string{`1632 returned by the service (MSI (s)): its temporary folder is %WINDIR%\Installer, not the user's %TEMP% (G); diagnose the host`}}
			}
			return nil
		},
		Probes: probes(pathStat(InstallerDir), aclGet(InstallerDir)),
		Host: func(h *HostView) HostVerdict {
			words := InstallerDir + " exists"
			if h.Sig.installerMissing {
				words = InstallerDir + " does not exist"
			}
			v := HostVerdict{Run: sign(h.Sig.installerMissing), Holds: h.Sig.installerMissing, Evidence: []string{words}}
			if h.Sig.installerMissing {
				v.Alone = confState
			}
			return v
		},
	})
}
