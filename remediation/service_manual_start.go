package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// ServiceManualStart sets msiserver's start type back to Manual (demand,
// Start=3, the OS default) and starts it.
type ServiceManualStart struct{}

var _ Fix = (*ServiceManualStart)(nil)

func init() {
	Register(Info{
		Name:       "service-manual-start",
		Summary:    "service.set_start msiserver Manual (Start=3, the OS default), then service.start msiserver",
		Risk:       RiskLow,
		RiskReason: "it restores the default start type; a client starts a demand-start service anyway",
		Addresses:  []string{FindingServiceDisabled, FindingServiceMisconfigured},
		New:        func() Fix { return &ServiceManualStart{} },
	})
}

// Applies to a registered msiserver whose start type is not Manual.
func (*ServiceManualStart) Applies(st *HostState, _ Finding) bool {
	return st.Service.Exists && st.Service.Start != 3
}

// Ops set Manual, then start the service unless it runs.
func (*ServiceManualStart) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	out := []ops.Op{msiserverSetStart("Manual")}
	if !running(st.Service) {
		out = append(out, msiserverOp(ops.OpServiceStart))
	}
	return out, nil
}

// Undo is the service as it was.
func (*ServiceManualStart) Undo(before *HostState) (json.RawMessage, error) {
	return undoData(serviceUndoOf(before.Service))
}

// UndoOps put the start type back and stop the service if it was stopped.
func (*ServiceManualStart) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	u, err := decodeServiceUndo(data)
	if err != nil {
		return nil, err
	}
	if !u.Exists {
		return nil, badUndo("service-manual-start applies to a registered msiserver only")
	}
	var out []ops.Op
	if !u.Running {
		out = append(out, msiserverOp(ops.OpServiceStop))
	}
	return append(out, msiserverSetStart(u.StartType)), nil
}

// Verify checks Manual and running.
func (*ServiceManualStart) Verify(after *HostState) error {
	s := after.Service
	switch {
	case !s.Exists:
		return notVerified("service-manual-start", "msiserver is not registered")
	case s.Start != 3:
		return notVerified("service-manual-start", "msiserver's start type is %s", startTypeName(s))
	case !running(s):
		return notVerified("service-manual-start", "msiserver is %s", s.State)
	}
	return nil
}
