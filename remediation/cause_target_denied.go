package remediation

import (
	"fmt"

	"github.com/msilab/msilab/msilog"
)

// FindingTargetDenied: a target folder or file cannot be created or
// written (docs/evidence.md#E-target-denied).
const FindingTargetDenied = "target-denied"

func init() {
	RegisterCause(Cause{
		ID:      FindingTargetDenied,
		Rank:    170,
		Summary: `a target folder or file cannot be created or written (1303, or 1310/1304 with access denied): its ACL or a read-only attribute keeps the installing account out`,
		Label:   "D (messages), R (shapes)",
		Sources: []string{"docs/evidence.md#E-target-denied",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		NoScenario: "none yet: a read-only or denied install target scenario is to come with its fault",
		NoFix:      "give the installing account (LocalSystem for an elevated install) write on the named path, or install to another folder; msilab has no fix that changes an arbitrary folder's ACL",
		RuledOutBy: "the named path writable by the installing account; a 1310 with system error 32 is a file in use (close the program or reboot), not a denial",
		Signature:  []Sig{Msg(1303), Msg(1310, ArgIs(1, "5")), Msg(1304)},
		Log: func(in *Input) *LogVerdict {
			if m, ok := in.First(Msg(1303)); ok {
				return &LogVerdict{Confidence: 0.9, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1303: the installer has insufficient privileges on %s (D)", m.Arg(0))}}
			}
			if m, ok := in.First(Msg(1310)); ok {
				conf, what := 0.9, "access denied"
				if m.Arg(1) != "5" {
					conf, what = 0.45, fmt.Sprintf("system error %s (%s)", m.Arg(1), orAny(msilog.SystemError(m.Arg(1))))
				}
				return &LogVerdict{Confidence: conf, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1310: writing %s failed: %s", m.Arg(0), what)}}
			}
			if m, ok := in.First(Msg(1304)); ok {
				return &LogVerdict{Confidence: 0.6, Lines: append([]msilog.Line{m}, in.exitLines()...),
					Notes: []string{fmt.Sprintf("1304: writing %s failed (no system error given: in use or denied)", m.Arg(0))}}
			}
			return nil
		},
	})
}
