package faults

import "github.com/msilab/msilab/lab/ops"

// InstallerMissing hides C:\Windows\Installer: the service cannot stage
// the package there (110) and the client reports 2755
// (docs/evidence.md#E-installer-missing).
type InstallerMissing struct{}

var _ Fault = (*InstallerMissing)(nil)

func init() {
	Register(Info{
		Name:    "installer-missing",
		Summary: `C:\Windows\Installer is missing: the package cannot be staged there (110), Error 2755, exit 1603`,
		Evidence: "docs/evidence.md#E-installer-missing: `C:\\Windows\\Installer` missing; 2755 with error 110 (R: duplicati/duplicati#4381, " +
			"keybase/client#13309, keybase/keybase-issues#4231, microsoft/PowerToys#316); exit 1603 and the event G; " +
			"msiserver's open handle inside: docs/evidence.md#E-installer-handles",
		Inject: `service.stop msiserver when registered (idling after an install it holds a handle inside the folder), ` +
			`then path.move C:\Windows\Installer to C:\Windows\Installer.msilab-hidden (Conflict naming the holder when another process holds one)`,
		Revert: `path.move C:\Windows\Installer.msilab-hidden back to C:\Windows\Installer`,
		New:    func() Fault { return &InstallerMissing{} },
	})
}

// Probe stats C:\Windows\Installer and its hidden name, and reads msiserver.
func (f *InstallerMissing) Probe(Target) []ops.Op {
	return append(hideProbe(InstallerDir), msiserverGet())
}

// Inject stops msiserver, which holds a handle inside the folder while it
// idles after an install (docs/evidence.md#E-installer-handles), then
// renames the folder. The stop is sent whatever the probe saw of its run
// state (a stopped service is no error): an install may start it between
// the probe and the inject.
func (f *InstallerMissing) Inject(_ Target, p Probe) ([]ops.Op, error) {
	move, err := hideInject(p, 0, InstallerDir)
	if err != nil {
		return nil, err
	}
	s, err := readService(p, 2)
	if err != nil {
		return nil, err
	}
	if s.Exists {
		move = append([]ops.Op{msiserverOp(ops.OpServiceStop)}, move...)
	}
	return move, nil
}

// Revert renames it back.
func (f *InstallerMissing) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	return hideRevert(undo, 0, InstallerDir)
}

// Detect reports whether C:\Windows\Installer is missing.
func (f *InstallerMissing) Detect(_ Target, now Probe) (Detection, error) {
	return hideDetect(now, 0, InstallerDir)
}
