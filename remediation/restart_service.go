package remediation

import (
	"github.com/msilab/msilab/lab/ops"
)

// RestartService restarts msiserver when it is registered and not
// disabled, yet could not be reached or is stuck starting or stopping.
type RestartService struct{}

var (
	_ Fix   = (*RestartService)(nil)
	_ Noter = (*RestartService)(nil)
)

func init() {
	Register(Info{
		Name:       "restart-service",
		Summary:    "service.stop msiserver (unless stopped), then service.start msiserver",
		Risk:       RiskMedium,
		RiskReason: "stopping msiserver ends an install in progress (it rolls back): it applies only while no install holds the execution mutex",
		Addresses:  []string{FindingServiceUnresponsive},
		New:        func() Fix { return &RestartService{} },
	})
}

// Applies to a registered, not disabled msiserver while the execution
// mutex is free.
func (*RestartService) Applies(st *HostState, _ Finding) bool {
	return st.Service.Exists && st.Service.Start != 4 && !st.Mutex.Held
}

// Ops stop, then start.
func (*RestartService) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	var out []ops.Op
	if st.Service.State != "Stopped" {
		out = append(out, msiserverOp(ops.OpServiceStop))
	}
	return append(out, msiserverOp(ops.OpServiceStart)), nil
}

// Rollback: a restart changes no configuration; nothing to put back.
func (*RestartService) Rollback(*HostState) ([]ops.Op, error) { return nil, nil }

// Verify checks that the service runs.
func (*RestartService) Verify(after *HostState) error {
	if after.Service.State != "Running" {
		return notVerified("restart-service", "msiserver is %s", after.Service.State)
	}
	return nil
}

// Note says why no stale file is cleared.
func (*RestartService) Note(*HostState, Finding) string {
	return `no "stale" temporary file is deleted: path.list gives no timestamps, so an MSI*.tmp or *.rbf of an install ` +
		`that is suspended (C:\Config.Msi rollback data) cannot be told from a leftover, and deleting it would break ` +
		`that install's rollback; delete them by hand once no install is pending. The *.msi and *.msp files in ` +
		`C:\Windows\Installer are the cache of installed products, never stale: deleting them breaks repair, patching and removal`
}
