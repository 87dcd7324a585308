package remediation

import (
	"fmt"

	"github.com/msilab/msilab/msilog"
)

// FindingRollbackDrive: the rollback folder (Config.Msi) is on a drive the
// service cannot use: 1926 on <drive>:\Config.Msi.
const FindingRollbackDrive = "rollback-drive"

func init() {
	RegisterCause(Cause{
		ID:      FindingRollbackDrive,
		Rank:    180,
		Summary: `the rollback folder <drive>:\Config.Msi cannot be secured (1926): the target drive is a SUBST or a per-user mapped drive the service (SYSTEM) does not see (error 3), or its Config.Msi denies the service (error 5)`,
		Label:   "D (1926), R (Config.Msi on a data drive), G (SUBST and mapped drives)",
		Sources: []string{"docs/evidence.md#E-rollback-drive", "https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages",
			"https://github.com/QL-Win/QuickLook/issues/1709"},
		NoScenario: "none yet: the simulator has no per-session drive mappings",
		NoFix:      "install to a path on a local fixed drive (not SUBST, not a mapped letter), or give SYSTEM full control of that drive's Config.Msi",
		RuledOutBy: "the target drive being a local fixed drive that SYSTEM sees (its letter in SYSTEM's own session), and its Config.Msi granting SYSTEM full control",
		Signature:  []Sig{Msg(1926, ArgPath(0, ConfigMsi))},
		Log: func(in *Input) *LogVerdict {
			m, ok := in.First(Msg(1926, ArgPath(0, ConfigMsi)))
			if !ok {
				return nil
			}
			v := &LogVerdict{Confidence: 0.85, Lines: append([]msilog.Line{m}, in.exitLines()...)}
			switch m.Arg(1) {
			case "3":
				v.Notes = []string{fmt.Sprintf("1926 on %s with error 3 (path not found): the service does not see that drive (a SUBST or per-user mapped drive, G)", m.Arg(0))}
			case "5":
				v.Confidence = 0.7
				v.Notes = []string{fmt.Sprintf("1926 on %s with error 5 (access denied): that drive's Config.Msi denies the service (R)", m.Arg(0))}
			default:
				v.Confidence = 0.45 // another error: the drive's Config.Msi, but not why
				v.Notes = []string{fmt.Sprintf("1926 on %s with error %s", m.Arg(0), m.Arg(1))}
			}
			return v
		},
	})
}
