package remediation

import (
	"fmt"

	"github.com/msilab/msilab/msilog"
)

// FindingPackageDriveUnseen: the package is on a drive letter that
// exists only in the user's session (subst, a mapped drive): the
// service, running as LocalSystem, cannot open it (2203 with
// -2147287037 on the package, then 2755 with error 3;
// docs/evidence.md#E-rollback-drive, D: Microsoft's setup blog).
const FindingPackageDriveUnseen = "package-drive-unseen"

// sigPackagePathNotFound is the service's 2203 on the package (not the
// .ipi marker) with STG_E_PATHNOTFOUND; sig2755PathNotFound the client's
// 2755 with system error 3 (ERROR_PATH_NOT_FOUND), as a note, a DEBUG
// line or the dialog's words.
var (
	sigPackagePathNotFound = Server(Note(2203, ArgNot(ArgHas(0, ".ipi")), ArgIs(1, "-2147287037")))
	sig2755PathNotFound    = AnyOf(Note(2755, ArgIs(0, "3")), Msg(2755, ArgIs(0, "3")))
)

func init() {
	RegisterCause(Cause{
		ID:      FindingPackageDriveUnseen,
		Rank:    185,
		Summary: `the package is on a drive letter the Windows Installer service does not see (a subst or a per-user mapped drive): 2755 with error 3`,
		Label:   "D (Microsoft's setup blog, the messages), G (mapped drives as well as subst)",
		Sources: []string{"docs/evidence.md#E-rollback-drive",
			"https://devblogs.microsoft.com/setup/dont-install-from-a-drive-substitution/",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		NoScenario: "none yet: the simulator has no per-session drive letters",
		NoFix:      "copy the package to a local folder (or use its UNC path) and install from there; the service cannot see drive letters made in a user's session",
		RuledOutBy: `the package's drive being a local fixed drive (it shows in "subst" and "net use" as nothing); ` +
			`2755 with error 110 instead is a missing %WINDIR%\Installer (installer-missing)`,
		Signature: []Sig{sig2755PathNotFound, sigPackagePathNotFound},
		Log: func(in *Input) *LogVerdict {
			m, ok := in.First(sig2755PathNotFound)
			if !ok {
				return nil
			}
			lines := append([]msilog.Line{m}, in.Firsts(sigPackagePathNotFound)...)
			conf := 0.6 // 2755 with 3 alone: the package's path is not found by the service
			if len(lines) > 1 {
				conf = 0.8 // and the service says so of the package itself
			}
			return &LogVerdict{Confidence: conf, Lines: append(lines, in.exitLines()...),
				Notes: []string{fmt.Sprintf("the service could not find the package's path (error 3) although the client opened it: "+
					"is %s on a subst or mapped drive?", orAny(m.Arg(1)))},
				RuledOut: []string{"installer-missing: its 2755 carries error 110, not 3"}}
		},
	})
}
