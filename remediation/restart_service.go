package remediation

import (
	"encoding/json"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RestartService restarts msiserver when it is registered and not
// disabled, yet could not be reached or is stuck starting or stopping, and
// clears the install scripts (MSI*.tmp in C:\Windows\Installer) left by
// installs that ended: only while no install holds the execution mutex and
// none is suspended, when no running install can own them (G).
type RestartService struct{}

var (
	_ Fix   = (*RestartService)(nil)
	_ Noter = (*RestartService)(nil)
)

func init() {
	Register(Info{
		Name:       "restart-service",
		Summary:    "service.stop msiserver (unless stopped), service.start msiserver, and path.remove of stale MSI*.tmp in C:\\Windows\\Installer",
		Risk:       RiskMedium,
		RiskReason: "stopping msiserver ends an install in progress (it rolls back): it applies only while no install holds the execution mutex",
		Addresses:  []string{FindingServiceUnresponsive, FindingServiceStartFailed},
		New:        func() Fix { return &RestartService{} },
	})
}

// Applies to a registered, not disabled msiserver while the execution
// mutex is free.
func (*RestartService) Applies(st *HostState, _ Finding) bool {
	return st.Service.Exists && st.Service.Start != 4 && !st.Mutex.Held
}

// Ops stop, remove the stale scripts, then start.
func (*RestartService) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	var out []ops.Op
	if st.Service.State != "Stopped" {
		out = append(out, msiserverOp(ops.OpServiceStop))
	}
	for _, f := range staleScripts(st) {
		out = append(out, ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: f}))
	}
	return append(out, msiserverOp(ops.OpServiceStart)), nil
}

// staleScripts are the MSI*.tmp that no install can own: none holds the
// execution mutex and none is suspended.
func staleScripts(st *HostState) []string {
	if st.Mutex.Held || st.Suspended {
		return nil
	}
	return st.InstallerTmp
}

// Undo: nothing to undo.
func (*RestartService) Undo(*HostState) (json.RawMessage, error) { return nil, nil }

// UndoOps: none.
func (*RestartService) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return noUndo(data)
}

// Verify checks that the service runs and no stale script is left.
func (*RestartService) Verify(after *HostState) error {
	if after.Service.State != "Running" {
		return notVerified("restart-service", "msiserver is %s", after.Service.State)
	}
	if left := staleScripts(after); len(left) > 0 {
		return notVerified("restart-service", "stale install scripts remain: %s", strings.Join(left, ", "))
	}
	return nil
}

// Note says what is and is not cleared.
func (*RestartService) Note(st *HostState, _ Finding) string {
	if st.Mutex.Held || st.Suspended {
		return "no MSI*.tmp is removed: an install is running or suspended (the InProgress key or C:\\Config.Msi exists), and its scripts may be in use"
	}
	return "only MSI*.tmp install scripts are removed; the *.msi and *.msp files in C:\\Windows\\Installer are the cache of installed products, never stale: deleting them breaks repair, patching and removal"
}
