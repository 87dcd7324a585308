package remediation

import "github.com/msilab/msilab/lab/ops"

// pendingRenames reads Session Manager's PendingFileRenameOperations:
// files replaced at the next boot, a reboot pending (docs/evidence.md#E-pending-reboot, D).
var pendingRenames = regGet(`HKLM\SYSTEM\CurrentControlSet\Control\Session Manager`, "PendingFileRenameOperations")

// FindingInstallSuspended: an earlier install was suspended or is still
// in progress and must be rolled back first (1604, 1704, 1705).
const FindingInstallSuspended = "install-suspended"

func init() {
	RegisterCause(Cause{
		ID:      FindingInstallSuspended,
		Rank:    125,
		Summary: `an earlier installation is suspended or still in progress (messages 1704/1705, exit 1604): its changes must be undone, or the machine restarted, before another install`,
		Label:   "D (1604, 1704, 1705), R (the InProgress key and Config.Msi)",
		Sources: []string{"docs/evidence.md#E-pending-reboot", "docs/evidence.md#E-suspended",
			"https://learn.microsoft.com/en-us/windows/win32/msi/error-codes",
			"https://learn.microsoft.com/en-us/windows/win32/msi/windows-installer-error-messages"},
		NoScenario: "none yet: no built-in fault leaves a suspended install behind",
		NoFix:      "let the earlier install roll back (answer Yes to 1704/1705, or run it again and cancel), or restart the machine; msilab does not delete the InProgress key",
		RuledOutBy: `neither HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Installer\InProgress nor C:\Config.Msi present (msilab diagnose --host); ` +
			`a held Global\_MSIExecute is another install running (mutex-held)`,
		Signature: []Sig{Msg(1704), Msg(1705), Exit(1604)},
		Log: func(in *Input) *LogVerdict {
			lines := in.Firsts(AnyOf(Msg(1704), Note(1704)), AnyOf(Msg(1705), Note(1705)))
			if len(lines) == 0 && in.Exit != 1604 {
				return nil
			}
			return &LogVerdict{Confidence: 0.85, Lines: append(lines, in.exitLines()...)}
		},
		// The InProgress key and C:\Config.Msi are read for every cause
		// (HostState.Suspended); the pending reboot only for this one.
		Probes: probes(regList(inProgressKey), pathStat(configMsi), pendingRenames),
		Host: func(h *HostView) HostVerdict {
			ev := `no InProgress key, no C:\Config.Msi`
			if h.St.Suspended {
				ev = `the InProgress key or C:\Config.Msi exists: an install is suspended`
			}
			var v ops.RegistryValue
			if r, ok := h.St.Result(pendingRenames); ok && r.Decode(&v) == nil && v.Exists {
				ev += "; PendingFileRenameOperations is set: a reboot is pending (restart before retrying)"
			}
			return HostVerdict{Run: sign(h.St.Suspended), Holds: h.St.Suspended, Evidence: []string{ev}}
		},
	})
}
