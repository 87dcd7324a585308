package faults

import (
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// Helpers of the msiserver faults (service-disabled, service-stopped,
// service-unregistered).

func msiserverGet() ops.Op {
	return ops.MustNew(ops.OpServiceGet, ops.ServiceArgs{Name: ops.InstallerService})
}

func msiserverOp(op string) ops.Op {
	return ops.MustNew(op, ops.ServiceArgs{Name: ops.InstallerService})
}

func msiserverSetStart(startType string) ops.Op {
	return ops.MustNew(ops.OpServiceSetStart, ops.ServiceSetStartArgs{Name: ops.InstallerService, StartType: startType})
}

// readService decodes a service.get result at i.
func readService(p Probe, i int) (ops.Service, error) {
	var s ops.Service
	err := p.result(i, ops.OpServiceGet, &s)
	return s, err
}

// running reports a service that serves, or is about to.
func running(s ops.Service) bool { return s.State == "Running" || s.State == "StartPending" }

// startTypeOf is a probed service's start type name for service.set_start.
func startTypeOf(s ops.Service) (string, error) {
	if s.StartType != "" {
		return s.StartType, nil
	}
	if s.Start >= 0 && s.Start < len(ops.StartTypes) {
		return ops.StartTypes[s.Start], nil
	}
	return "", fmt.Errorf("%w: %s has start value %d", ErrProbe, s.Name, s.Start)
}

// serviceEvidence describes msiserver for a Detection.
func serviceEvidence(s ops.Service) string {
	if !s.Exists {
		return s.Name + " is not registered (no service key)"
	}
	state := s.State
	if state == "" {
		state = "state unknown"
	}
	return fmt.Sprintf("%s: start type %s (Start=%d), %s", s.Name, s.StartType, s.Start, state)
}

// restoreRunning is the change that restarts a service the probe saw
// running; Start-Service on a running service succeeds (PowerShell's
// Start-Service ignores ERROR_SERVICE_ALREADY_RUNNING).
func restoreRunning(s ops.Service) []ops.Op {
	if running(s) {
		return []ops.Op{msiserverOp(ops.OpServiceStart)}
	}
	return nil
}
