package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RestoreInstallerACL sets C:\Windows\Installer's owner and DACL back to
// the OS profile's default, where SYSTEM may write the in-progress marker.
type RestoreInstallerACL struct{}

var _ Fix = (*RestoreInstallerACL)(nil)

func init() {
	Register(Info{
		Name: "restore-installer-acl",
		Summary: `acl.set C:\Windows\Installer's DACL (and its owner, if it differs) to the OS profile's default: ` +
			`SYSTEM and Administrators (OI)(CI)(F), Everyone (OI)(CI)(RX)`,
		Risk: RiskLow,
		RiskReason: "it restores the default (G: the profile's ACL of C:\\Windows\\Installer is to be confirmed on real " +
			"Windows); the DACL it replaces is saved for rollback",
		Addresses: []string{FindingInstallerACL, FindingInstallerACLBroad},
		New:       func() Fix { return &RestoreInstallerACL{} },
	})
}

// Applies when the ACL differs from a known default.
func (*RestoreInstallerACL) Applies(st *HostState, _ Finding) bool { return aclDeviates(st.Installer) }

// Ops set the default descriptor.
func (*RestoreInstallerACL) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	return restoreACLOps(st.Installer, st.Installer.Default)
}

// Undo is the probed descriptor.
func (*RestoreInstallerACL) Undo(before *HostState) (json.RawMessage, error) {
	if u := aclUndoOf(before.Installer, before.Installer.Default); u != nil {
		return undoData(u)
	}
	return nil, nil
}

// UndoOps put the probed descriptor back, on InstallerDir only.
func (*RestoreInstallerACL) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return restoreACL(data, InstallerDir)
}

// Verify checks the default, and nothing broader.
func (*RestoreInstallerACL) Verify(after *HostState) error {
	return verifyDefaultACL("restore-installer-acl", after.Installer)
}
