package remediation

import (
	"encoding/json"
	"fmt"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// RestoreInstallerACL gives SYSTEM and Administrators back full control on
// C:\Windows\Installer, where SYSTEM writes the in-progress marker, and
// takes from broad groups what the OS profile does not give them. The
// profile's ACL of the folder is our inference (G, no public dump:
// docs/evidence.md#E-installer-acl), so the fix changes only the rights
// that are missing or over-broad, never the rest of a host's ACL.
type RestoreInstallerACL struct{}

var _ Fix = (*RestoreInstallerACL)(nil)

func init() {
	Register(Info{
		Name: "restore-installer-acl",
		Summary: `acl.set C:\Windows\Installer's DACL with what is missing put back: deny entries that take a right from ` +
			`SYSTEM or Administrators removed, (OI)(CI)(F) for SYSTEM and Administrators added where they lack a right, ` +
			`broad groups' write rights beyond the OS profile's removed; every other entry kept`,
		Risk: RiskLow,
		RiskReason: "it adds back only the rights the service needs and takes away only over-broad ones; the rest of the " +
			"ACL stays (the profile's full ACL of C:\\Windows\\Installer is G); the DACL it replaces is saved for rollback",
		Addresses: []string{FindingInstallerACL, FindingInstallerACLBroad},
		New:       func() Fix { return &RestoreInstallerACL{} },
	})
}

// Applies when SYSTEM or Administrators lack a right, or a broad group has
// one too many.
func (*RestoreInstallerACL) Applies(st *HostState, _ Finding) bool { return aclDeviates(st.Installer) }

// Ops set the repaired DACL (repairDACL); an ACL that cannot be read is
// set to the profile's default, there being nothing to keep.
func (*RestoreInstallerACL) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	in := st.Installer
	if in.ACL.SDDL == "" {
		return restoreACLOps(in, in.Default)
	}
	have, err := win.ParseSDDL(in.ACL.SDDL)
	if err != nil {
		return nil, fmt.Errorf("remediation: ACL of %s: %w", in.Path, err)
	}
	def, err := win.ParseSDDL(in.Default)
	if err != nil {
		return nil, fmt.Errorf("remediation: default SDDL of %s: %w", in.Path, err)
	}
	return []ops.Op{aclSetOp(in.Path, "D:"+repairDACL(have, def).String(), "dacl")}, nil
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

// Verify checks that SYSTEM and Administrators have full control, and
// that nothing is broader than the default.
func (*RestoreInstallerACL) Verify(after *HostState) error {
	return verifyDefaultACL("restore-installer-acl", after.Installer)
}
