package faults

import "github.com/msilab/msilab/lab/ops"

// ServiceStopped stops msiserver and leaves its start type as it is. A
// negative control: with a demand (Manual) start, the client's call starts
// the service again and installs succeed (docs/evidence.md#E-service-stopped).
type ServiceStopped struct{}

var _ Fault = (*ServiceStopped)(nil)

func init() {
	Register(Info{
		NegativeControl: true,
		Name:            "service-stopped",
		Summary:         "negative control: msiserver is stopped, start type unchanged (Manual); the client starts it on demand, installs succeed (exit 0)",
		Evidence:        "docs/evidence.md#E-service-stopped: msiserver Stopped (start type Manual/demand); 0, not a fault (D/R)",
		Inject:          "service.stop msiserver if it runs (nothing when it is already stopped)",
		Revert:          "service.start msiserver if the probe saw it running",
		New:             func() Fault { return &ServiceStopped{} },
	})
}

// Probe reads msiserver.
func (f *ServiceStopped) Probe(Target) []ops.Op { return []ops.Op{msiserverGet()} }

// Inject stops msiserver if it runs.
func (f *ServiceStopped) Inject(_ Target, p Probe) ([]ops.Op, error) {
	s, err := readService(p, 0)
	if err != nil {
		return nil, err
	}
	if !s.Exists {
		return nil, hostState("msiserver is not registered: nothing to stop")
	}
	if !running(s) {
		return nil, nil
	}
	return []ops.Op{msiserverOp(ops.OpServiceStop)}, nil
}

// Revert restarts msiserver if it was running.
func (f *ServiceStopped) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, 1) {
		return nil, nil
	}
	s, err := readService(undo, 0)
	if err != nil {
		return nil, err
	}
	return restoreRunning(s), nil
}

// Detect reports a registered msiserver that is stopped.
func (f *ServiceStopped) Detect(_ Target, now Probe) (Detection, error) {
	s, err := readService(now, 0)
	if err != nil {
		return Detection{}, err
	}
	return Detection{Present: s.Exists && s.State == "Stopped", Evidence: serviceEvidence(s)}, nil
}
