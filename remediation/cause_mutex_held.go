package remediation

import (
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// FindingMutexHeld: another install holds Global\_MSIExecute (docs/evidence.md#E-mutex).
const FindingMutexHeld = "mutex-held"

func init() {
	RegisterCause(Cause{
		ID:       FindingMutexHeld,
		Rank:     120,
		Summary:  `another install holds the execution mutex Global\_MSIExecute (1500, exit 1618)`,
		Label:    "D, log R",
		Sources:  []string{"docs/evidence.md#E-mutex", "https://learn.microsoft.com/en-us/windows/win32/msi/error-codes"},
		Scenario: "mutex-held",
		Fixes:    []string{"wait-for-mutex"},
		RuledOutBy: `Global\_MSIExecute free (msilab diagnose --host names its holder when held); a suspended install ` +
			`(1604, messages 1704/1705) waits for its rollback, not for another process`,
		Signature: []Sig{Fact(msilog.FactMutexFailed), Msg(1500), Exit(1618)},
		Log: func(in *Input) *LogVerdict {
			lines := in.Firsts(Fact(msilog.FactMutexFailed), Msg(1500))
			if len(lines) == 0 && in.Exit != 1618 {
				return nil
			}
			return &LogVerdict{Confidence: 0.9, Lines: append(lines, in.exitLines()...)}
		},
		Probes: probes(ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: ops.MutexExecute})),
		Host: func(h *HostView) HostVerdict {
			v := HostVerdict{Run: sign(h.Sig.mutexHeld), Holds: h.Sig.mutexHeld, Evidence: []string{h.Sig.mutexEv}}
			if h.Sig.mutexHeld {
				v.Alone = confState
			}
			return v
		},
	})
}
