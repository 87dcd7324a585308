package remediation

import "github.com/msilab/msilab/lab/ops"

// RestoreTempACL sets C:\Windows\Temp's owner and DACL back to the OS
// profile's default, the ACL seen on healthy machines (R, tacticalrmm#1238;
// docs/evidence.md#E-temp-default-acl: restore this default, never grant
// Everyone:F).
type RestoreTempACL struct{}

var _ Fix = (*RestoreTempACL)(nil)

func init() {
	Register(Info{
		Name: "restore-temp-acl",
		Summary: `acl.set C:\Windows\Temp's DACL (and its owner, if it differs) to the OS profile's default: ` +
			`BUILTIN\Users:(CI)(S,WD,AD,X), Administrators and SYSTEM:(F) and (OI)(CI)(IO)(F), CREATOR OWNER:(OI)(CI)(IO)(F)`,
		Risk: RiskLow,
		RiskReason: "it restores the default every healthy machine has; rights someone added on purpose go, " +
			"and the DACL it replaces is saved for rollback",
		Addresses: []string{FindingTempACL, FindingTempACLBroad},
		New:       func() Fix { return &RestoreTempACL{} },
	})
}

// Applies when the ACL differs from a known default.
func (*RestoreTempACL) Applies(st *HostState, _ Finding) bool { return aclDeviates(st.Temp) }

// Ops set the default descriptor.
func (*RestoreTempACL) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	return restoreACLOps(st.Temp, st.Temp.Default)
}

// Rollback puts the probed descriptor back.
func (*RestoreTempACL) Rollback(before *HostState) ([]ops.Op, error) {
	return rollbackACLOps(before.Temp, before.Temp.Default), nil
}

// Verify checks the default, and nothing broader.
func (*RestoreTempACL) Verify(after *HostState) error {
	return verifyDefaultACL("restore-temp-acl", after.Temp)
}
