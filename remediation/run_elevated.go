package remediation

import (
	"encoding/json"
	"slices"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RunElevated changes how the install is run, not the machine: from an
// elevated administrator (an elevated prompt, or the lab's
// admin-elevated context), the way Microsoft documents for silent
// per-machine installs under UAC.
type RunElevated struct{}

var (
	_ Fix     = (*RunElevated)(nil)
	_ RunAser = (*RunElevated)(nil)
	_ Noter   = (*RunElevated)(nil)
)

func init() {
	Register(Info{
		Name:    "run-elevated",
		Summary: "rerun the install from an elevated administrator (context admin-elevated); no change to the host",
		Risk:    RiskMedium,
		RiskReason: "the package runs with a full administrator token, so its custom actions can change anything; " +
			"a per-user package is installed for the administrator, not for the user",
		Addresses: []string{FindingNotElevated, FindingUninstallNotElevated, FindingDisableMSINonAdmin},
		New:       func() Fix { return &RunElevated{} },
	})
}

var runElevatedFor = []string{FindingNotElevated, FindingUninstallNotElevated, FindingDisableMSINonAdmin}

// Applies to a non-elevated context, for the findings it addresses, when
// the host's administrator is known.
func (*RunElevated) Applies(st *HostState, f Finding) bool {
	return nonElevated(st.Target.Context) && st.Target.AdminUser != "" && slices.Contains(runElevatedFor, f.ID) &&
		!(f.ID == FindingDisableMSINonAdmin && st.EffectiveDisableMSI() == 2)
}

// Ops: none.
func (*RunElevated) Ops(*HostState, Finding) ([]ops.Op, error) { return nil, nil }

// Undo: nothing to undo.
func (*RunElevated) Undo(*HostState) (json.RawMessage, error) { return nil, nil }

// UndoOps: none.
func (*RunElevated) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return noUndo(data)
}

// Verify: nothing on the host to check; the rerun is the proof.
func (*RunElevated) Verify(*HostState) error { return nil }

// RunAs is the elevated administrator's context.
func (*RunElevated) RunAs(*HostState, Finding) string { return ops.ContextAdminElevated }

// Note says whose install it becomes.
func (*RunElevated) Note(st *HostState, _ Finding) string {
	return "rerun as " + st.Target.AdminUser + ", elevated: a per-machine package installs for all users as before; " +
		"a per-user package installs into " + st.Target.AdminUser + "'s profile, not " + st.Target.ContextUser() + "'s"
}
