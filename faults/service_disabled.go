package faults

import "github.com/msilab/msilab/lab/ops"

// ServiceDisabled disables msiserver (Start=4) and stops it: a client
// cannot reach the service, exit 1601 (docs/evidence.md#E-service-disabled).
type ServiceDisabled struct{}

var _ Fault = (*ServiceDisabled)(nil)

func init() {
	Register(Info{
		Name:    "service-disabled",
		Summary: "the Windows Installer service (msiserver) is Disabled (Start=4) and stopped: exit 1601, no log",
		Evidence: "docs/evidence.md#E-service-disabled: msiserver Disabled (Start=4); 1601, no log (R, events G). " +
			"Stopping it too is G: a disabled service that still runs would still serve",
		Inject: "service.set_start msiserver Disabled, then service.stop msiserver if it was running",
		Revert: "service.set_start msiserver to the probed start type, then service.start msiserver if it was running",
		New:    func() Fault { return &ServiceDisabled{} },
	})
}

// Probe reads msiserver.
func (f *ServiceDisabled) Probe(Target) []ops.Op { return []ops.Op{msiserverGet()} }

// Inject disables msiserver and stops it if it runs.
func (f *ServiceDisabled) Inject(_ Target, p Probe) ([]ops.Op, error) {
	s, err := readService(p, 0)
	if err != nil {
		return nil, err
	}
	if !s.Exists {
		return nil, hostState("msiserver is not registered: nothing to disable")
	}
	out := []ops.Op{msiserverSetStart("Disabled")}
	if running(s) {
		out = append(out, msiserverOp(ops.OpServiceStop))
	}
	return out, nil
}

// Revert restores the start type, then the running state.
func (f *ServiceDisabled) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, 1) {
		return nil, nil
	}
	s, err := readService(undo, 0)
	if err != nil {
		return nil, err
	}
	if !s.Exists {
		return nil, nil
	}
	st, err := startTypeOf(s)
	if err != nil {
		return nil, err
	}
	return append([]ops.Op{msiserverSetStart(st)}, restoreRunning(s)...), nil
}

// Detect reports Start=4.
func (f *ServiceDisabled) Detect(_ Target, now Probe) (Detection, error) {
	s, err := readService(now, 0)
	if err != nil {
		return Detection{}, err
	}
	return Detection{Present: s.Exists && s.Start == 4, Evidence: serviceEvidence(s)}, nil
}
