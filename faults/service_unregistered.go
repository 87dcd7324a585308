package faults

import "github.com/msilab/msilab/lab/ops"

// ServiceUnregistered unregisters msiserver, as `msiexec /unregister`
// does: a client cannot reach the service, exit 1601
// (docs/evidence.md#E-service-disabled).
type ServiceUnregistered struct{}

var _ Fault = (*ServiceUnregistered)(nil)

func init() {
	Register(Info{
		Name:    "service-unregistered",
		Summary: "the Windows Installer service is unregistered (msiexec /unregister): exit 1601, no log",
		Evidence: "docs/evidence.md#E-service-disabled: msiserver unregistered (`msiexec /unregister`); 1601, no log (R, events G); " +
			"re-registration: docs/evidence.md#E-service, its own configuration: docs/evidence.md#E-regserver-config",
		Inject: "service.stop msiserver if it runs (an unregistered running service lingers until it stops), " +
			"then installer.unregister (msiexec /unregister)",
		Revert: "installer.register (msiexec /regserver), service.configure to the probed configuration (start type, image path, " +
			"account, display name, dependencies, description, failure actions: /regserver writes its own), service.start if it was running",
		New: func() Fault { return &ServiceUnregistered{} },
	})
}

// Probe reads msiserver.
func (f *ServiceUnregistered) Probe(Target) []ops.Op { return []ops.Op{msiserverGet()} }

// Inject stops msiserver if it runs, then unregisters it.
func (f *ServiceUnregistered) Inject(_ Target, p Probe) ([]ops.Op, error) {
	s, err := readService(p, 0)
	if err != nil {
		return nil, err
	}
	if !s.Exists {
		return nil, hostState("msiserver is not registered already")
	}
	var out []ops.Op
	unregister := ops.MustNew(ops.OpInstallerUnregister, nil)
	if running(s) {
		// Not after a failed stop: the running service would be marked for deletion.
		out = append(out, msiserverOp(ops.OpServiceStop))
		unregister = unregister.AfterPrevious()
	}
	return append(out, unregister), nil
}

// Revert registers msiserver again, then writes the probed configuration
// back (msiexec /regserver writes its own: docs/evidence.md#E-regserver-config)
// and restores the running state. installer.register leaves a registered
// service as it is, and service.configure writes the same values again,
// so a second send changes nothing.
func (f *ServiceUnregistered) Revert(_ Target, undo Probe) ([]ops.Op, error) {
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
	cfg := ops.ConfigureAs(s)
	cfg.Name, cfg.StartType = ops.InstallerService, st
	out := []ops.Op{ops.MustNew(ops.OpInstallerRegister, nil), ops.MustNew(ops.OpServiceConfigure, cfg)}
	return append(out, restoreRunning(s)...), nil
}

// Detect reports a missing msiserver service.
func (f *ServiceUnregistered) Detect(_ Target, now Probe) (Detection, error) {
	s, err := readService(now, 0)
	if err != nil {
		return Detection{}, err
	}
	return Detection{Present: !s.Exists, Evidence: serviceEvidence(s)}, nil
}
