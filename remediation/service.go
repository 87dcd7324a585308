package remediation

import (
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Helpers of the msiserver fixes.

func msiserverOp(op string) ops.Op {
	return ops.MustNew(op, ops.ServiceArgs{Name: ops.InstallerService})
}

func msiserverSetStart(startType string) ops.Op {
	return ops.MustNew(ops.OpServiceSetStart, ops.ServiceSetStartArgs{Name: ops.InstallerService, StartType: startType})
}

// running reports a service that serves, or is about to.
func running(s ops.Service) bool { return s.State == "Running" || s.State == "StartPending" }

// startTypeName is a probed service's start type for service.set_start.
func startTypeName(s ops.Service) string {
	if s.StartType != "" {
		return s.StartType
	}
	if s.Start >= 0 && s.Start < len(ops.StartTypes) {
		return ops.StartTypes[s.Start]
	}
	return "Manual"
}

// defaultService is msiserver's configuration in the host's OS profile
// (ok false when no profile matches).
func defaultService(st *HostState) (win.ServiceConfig, bool) {
	p, _, ok := profileFor(st.Host)
	return p.Msiserver, ok
}

// defaultConfigure is the service.configure that writes the profile's
// msiserver configuration, as `msiexec /regserver` does not
// (docs/evidence.md#E-regserver-config); none without a profile.
func defaultConfigure(st *HostState) []ops.Op {
	def, ok := defaultService(st)
	if !ok || int(def.Start) >= len(ops.StartTypes) {
		return nil
	}
	return []ops.Op{ops.MustNew(ops.OpServiceConfigure, ops.ServiceConfigureArgs{Name: ops.InstallerService,
		StartType: ops.StartTypes[def.Start], DisplayName: def.DisplayName, ImagePath: def.ImagePath, ObjectName: def.ObjectName,
		Dependencies: def.DependOnService, Description: def.Description, FailureActions: def.FailureActions})}
}

// serviceIsDefault reports msiserver registered with its profile's
// configuration (start type, image path, account), compared by meaning.
func serviceIsDefault(st *HostState) (bool, string) {
	s := st.Service
	def, ok := defaultService(st)
	switch {
	case !s.Exists:
		return false, "msiserver is not registered"
	case !ok:
		return s.Start == 3, "no OS profile: only the start type is checked"
	case s.Start != int(def.Start):
		return false, "msiserver's start type is " + startTypeName(s) + ", default " + ops.StartTypes[def.Start]
	case win.ServiceText(s.ImagePath) != win.ServiceText(def.ImagePath):
		return false, "msiserver's image path is " + s.ImagePath + ", default " + def.ImagePath
	case win.ServiceAccount(s.ObjectName) != win.ServiceAccount(def.ObjectName):
		return false, "msiserver runs as " + s.ObjectName + ", default " + def.ObjectName
	}
	return true, ""
}
