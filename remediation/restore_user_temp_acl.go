package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// RestoreUserTempACL gives the context user's %TEMP% its default security:
// owned by the user, no explicit ACE, inheriting the user profile's ACL
// (SYSTEM, Administrators and the user, full control), as the profile
// makes it when the user first logs on (G; lab/sim/model's users.go
// builds it so).
type RestoreUserTempACL struct{}

var _ Fix = (*RestoreUserTempACL)(nil)

func init() {
	Register(Info{
		Name: "restore-user-temp-acl",
		Summary: `acl.set the user's C:\Users\<user>\AppData\Local\Temp to "O:<user SID>D:": owned by the user, ` +
			`no explicit ACE, inheriting the user profile's ACL`,
		Risk:       RiskLow,
		RiskReason: "it restores the profile's inherited default for one user's folder; the DACL it replaces is saved for rollback",
		Addresses:  []string{FindingUserTempUnwritable, FindingUserTempACLBroad},
		New:        func() Fix { return &RestoreUserTempACL{} },
	})
}

// Applies to a user context whose %TEMP% exists and differs from the default.
func (*RestoreUserTempACL) Applies(st *HostState, _ Finding) bool {
	return !st.SystemContext() && st.User.Exists && aclDeviates(st.UserTemp)
}

// Ops set the owner (when it differs) and an empty, inheriting DACL,
// keeping the DACL's auto-inherited flag (AI) as it is: it changes no
// access, and the baseline has it or not.
func (*RestoreUserTempACL) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	def := st.UserTemp.Default
	if d, err := win.ParseSDDL(st.UserTemp.ACL.SDDL); err == nil && d.DACL.Flags&win.DACLAutoInherited != 0 {
		def += "AI"
	}
	return restoreACLOps(st.UserTemp, def)
}

// Undo is the probed descriptor.
func (*RestoreUserTempACL) Undo(before *HostState) (json.RawMessage, error) {
	if u := aclUndoOf(before.UserTemp, before.UserTemp.Default); u != nil {
		return undoData(u)
	}
	return nil, nil
}

// UndoOps put the probed descriptor back, on the context user's %TEMP% only.
func (*RestoreUserTempACL) UndoOps(t faults.Target, data json.RawMessage) ([]ops.Op, error) {
	dir, err := userTempOf(t)
	if err != nil {
		return nil, err
	}
	return restoreACL(data, dir)
}

// Verify checks the default and that the user can create files.
func (*RestoreUserTempACL) Verify(after *HostState) error {
	if err := verifyDefaultACL("restore-user-temp-acl", after.UserTemp); err != nil {
		return err
	}
	if !canCreateFiles(after.UserTemp.ACL.SDDL, contextToken(after.Target.Context, after.User.SID)) {
		return notVerified("restore-user-temp-acl", "%s still cannot create files in %s", after.User.Name, after.UserTemp.Path)
	}
	return nil
}
