package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

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

// Undo is the probed descriptor.
func (*RestoreTempACL) Undo(before *HostState) (json.RawMessage, error) {
	if u := aclUndoOf(before.Temp, before.Temp.Default); u != nil {
		return undoData(u)
	}
	return nil, nil
}

// UndoOps put the probed descriptor back, on TempDir only.
func (*RestoreTempACL) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return restoreACL(data, TempDir)
}

// Verify checks the default, and nothing broader.
func (*RestoreTempACL) Verify(after *HostState) error {
	return verifyDefaultACL("restore-temp-acl", after.Temp)
}
