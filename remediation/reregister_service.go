package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// ReregisterService re-registers the Windows Installer service as
// Microsoft gives it for a broken service (KB 2438651): `msiexec
// /unregister` then `msiexec /regserver`, which writes the default
// configuration (docs/evidence.md#E-service).
type ReregisterService struct{}

var (
	_ Fix   = (*ReregisterService)(nil)
	_ Noter = (*ReregisterService)(nil)
)

func init() {
	Register(Info{
		Name: "reregister-service",
		Summary: "service.stop msiserver if it runs, installer.unregister (msiexec /unregister), installer.register " +
			"(msiexec /regserver); installer.register alone when it is not registered; then service.configure to the OS profile's configuration",
		Risk: RiskMedium,
		RiskReason: "unregistering deletes the service: an install running now fails; registering writes the default " +
			"configuration, so custom settings of the service go",
		Addresses: []string{FindingServiceUnregistered, FindingServiceDisabled, FindingServiceMisconfigured, FindingServiceUnresponsive, FindingServiceStartFailed},
		New:       func() Fix { return &ReregisterService{} },
	})
}

// Applies when msiserver is missing or differs from its default, and no
// install holds the execution mutex.
func (*ReregisterService) Applies(st *HostState, _ Finding) bool {
	if st.Service.Name == "" || st.Mutex.Held && st.Service.Exists {
		return false
	}
	ok, _ := serviceIsDefault(st)
	return !ok || st.Service.State == "StartPending" || st.Service.State == "StopPending"
}

// Ops stop, unregister and register, each only when the one before it
// succeeded: unregistering a service whose stop failed marks it for
// deletion, registering then fails with 1072, and the host loses msiserver
// once it stops (docs/evidence.md#E-service-marked-for-delete). Or register.
// Then they write the OS profile's configuration, which /regserver does not
// (docs/evidence.md#E-regserver-config).
func (*ReregisterService) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	if !st.Service.Exists {
		return append([]ops.Op{ops.MustNew(ops.OpInstallerRegister, nil)}, defaultConfigure(st)...), nil
	}
	var out []ops.Op
	unregister := ops.MustNew(ops.OpInstallerUnregister, nil)
	if st.Service.State != "Stopped" {
		out = append(out, msiserverOp(ops.OpServiceStop))
		unregister = unregister.AfterPrevious()
	}
	out = append(out, unregister, ops.MustNew(ops.OpInstallerRegister, nil).AfterPrevious())
	for _, op := range defaultConfigure(st) {
		out = append(out, op.AfterPrevious())
	}
	return out, nil
}

// Undo is the service as it was.
func (*ReregisterService) Undo(before *HostState) (json.RawMessage, error) {
	return undoData(serviceUndoOf(before.Service))
}

// UndoOps unregister a service that was not registered; for one that
// was, they put back the start type and the running state (not a custom
// image path or account: see Note).
func (*ReregisterService) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	u, err := decodeServiceUndo(data)
	if err != nil {
		return nil, err
	}
	if !u.Exists {
		return []ops.Op{msiserverOp(ops.OpServiceStop), ops.MustNew(ops.OpInstallerUnregister, nil).AfterPrevious()}, nil
	}
	var out []ops.Op
	if u.StartType != "Manual" {
		out = append(out, msiserverSetStart(u.StartType))
	}
	if u.Running {
		out = append(out, msiserverOp(ops.OpServiceStart))
	}
	return out, nil
}

// Verify checks that msiserver is registered with its default configuration.
func (*ReregisterService) Verify(after *HostState) error {
	if ok, why := serviceIsDefault(after); !ok {
		return notVerified("reregister-service", "%s", why)
	}
	return nil
}

// Note says what rollback cannot restore.
func (*ReregisterService) Note(st *HostState, _ Finding) string {
	if !st.Service.Exists {
		return ""
	}
	return "rollback restores the start type and running state, not a custom image path or account"
}
