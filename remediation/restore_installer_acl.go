package remediation

import "github.com/msilab/msilab/lab/ops"

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

// Rollback puts the probed descriptor back.
func (*RestoreInstallerACL) Rollback(before *HostState) ([]ops.Op, error) {
	return rollbackACLOps(before.Installer, before.Installer.Default), nil
}

// Verify checks the default, and nothing broader.
func (*RestoreInstallerACL) Verify(after *HostState) error {
	return verifyDefaultACL("restore-installer-acl", after.Installer)
}
