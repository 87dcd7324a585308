package remediation

import (
	"encoding/json"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RecreateUserTemp recreates the context user's missing %TEMP% as the
// profile has it: owned by the user, inheriting the profile's ACL.
type RecreateUserTemp struct{}

var (
	_ Fix   = (*RecreateUserTemp)(nil)
	_ Noter = (*RecreateUserTemp)(nil)
)

func init() {
	Register(Info{
		Name: "recreate-user-temp",
		Summary: `path.create the user's C:\Users\<user>\AppData\Local\Temp (and missing parents), acl.set its owner to ` +
			`the user and its DACL to inherit the profile's ("O:<user SID>D:"), path.create the marker file ` +
			`msilab-created.marker in it (its undo removes the folder only while it holds that marker alone)`,
		Risk:       RiskLow,
		RiskReason: "it creates an empty folder in the user's own profile, with the profile's inherited ACL",
		Addresses:  []string{FindingUserTempMissing},
		New:        func() Fix { return &RecreateUserTemp{} },
	})
}

// Applies to a user context whose %TEMP% is missing and whose SID is known.
func (*RecreateUserTemp) Applies(st *HostState, _ Finding) bool {
	return !st.SystemContext() && st.User.Exists && st.User.SID != "" && st.UserTemp.Missing() && st.UserTemp.Default != ""
}

// Ops create the folder and give it to the user.
func (*RecreateUserTemp) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	return []ops.Op{
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: st.UserTemp.Path, Type: "directory"}),
		aclSetOp(st.UserTemp.Path, st.UserTemp.Default, "owner", "dacl"),
		markerOp(st.UserTemp.Path, "recreate-user-temp"),
	}, nil
}

// Undo names the folder and its marker.
func (*RecreateUserTemp) Undo(before *HostState) (json.RawMessage, error) {
	return undoData(createdUndo{Path: before.UserTemp.Path, Marker: createdMarker})
}

// UndoOps remove the folder the fix created, by its marker (never the
// user's own %TEMP%, moved back since), if it holds nothing else.
func (*RecreateUserTemp) UndoOps(t faults.Target, data json.RawMessage) ([]ops.Op, error) {
	dir, err := userTempOf(t)
	if err != nil {
		return nil, err
	}
	return removeCreated(data, dir)
}

// Verify checks the folder, its default security and that the user can
// create files in it.
func (*RecreateUserTemp) Verify(after *HostState) error {
	if !after.UserTemp.Stat.IsDir {
		return notVerified("recreate-user-temp", "%s is not a folder", after.UserTemp.Path)
	}
	if err := verifyDefaultACL("recreate-user-temp", after.UserTemp); err != nil {
		return err
	}
	if !canCreateFiles(after.UserTemp.ACL.SDDL, contextToken(after.Target.Context, after.User.SID)) {
		return notVerified("recreate-user-temp", "%s cannot create files in %s", after.User.Name, after.UserTemp.Path)
	}
	return nil
}

// Note says what it assumes.
func (*RecreateUserTemp) Note(st *HostState, _ Finding) string {
	return `assumes the user's TEMP is the profile default (HKU\<SID>\Environment TEMP = %USERPROFILE%\AppData\Local\Temp); ` +
		`the variable itself is not read`
}
