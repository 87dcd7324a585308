package remediation

import (
	"encoding/json"
	"slices"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// RecreateInstallerFolder recreates a missing C:\Windows\Installer as
// Windows has it: the OS profile's owner, group and DACL, Hidden and
// System.
type RecreateInstallerFolder struct{}

var (
	_ Fix   = (*RecreateInstallerFolder)(nil)
	_ Noter = (*RecreateInstallerFolder)(nil)
)

func init() {
	Register(Info{
		Name: "recreate-installer-folder",
		Summary: `path.create C:\Windows\Installer, acl.set its owner, group and DACL to the OS profile's default, ` +
			`path.set_attributes Hidden and System, path.create the marker file msilab-created.marker in it (its undo removes ` +
			`the folder only while it holds that marker alone)`,
		Risk: RiskLow,
		RiskReason: "it creates an empty folder with the default ACL; what the folder held (the cached packages of " +
			"installed products) is gone either way",
		Addresses: []string{FindingInstallerMissing},
		New:       func() Fix { return &RecreateInstallerFolder{} },
	})
}

// Applies when the folder is missing, C:\Windows is there and the default is known.
func (*RecreateInstallerFolder) Applies(st *HostState, _ Finding) bool {
	in := st.Installer
	return in.Missing() && in.Stat.ParentExists && in.Default != ""
}

// Ops create the folder, then set its descriptor and attributes.
func (*RecreateInstallerFolder) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	return []ops.Op{
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: InstallerDir, Type: "directory"}),
		aclSetOp(InstallerDir, st.Installer.Default, "owner", "group", "dacl"),
		ops.MustNew(ops.OpPathSetAttributes, ops.PathSetAttributesArgs{Path: InstallerDir, Attributes: []string{"Hidden", "System"}}),
		markerOp(InstallerDir, "recreate-installer-folder"),
	}, nil
}

// Undo names the folder and its marker.
func (*RecreateInstallerFolder) Undo(*HostState) (json.RawMessage, error) {
	return undoData(createdUndo{Path: InstallerDir, Marker: createdMarker})
}

// UndoOps remove the folder the fix created, by its marker: never a
// folder put back since (the original, moved back), nor one that is not
// empty (files an install cached there stay).
func (*RecreateInstallerFolder) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return removeCreated(data, InstallerDir)
}

// Verify checks the folder, its attributes and its ACL.
func (*RecreateInstallerFolder) Verify(after *HostState) error {
	in := after.Installer
	if !in.Stat.Exists || !in.Stat.IsDir {
		return notVerified("recreate-installer-folder", "%s is not a folder", InstallerDir)
	}
	for _, a := range []string{"Hidden", "System"} {
		if !slices.Contains(in.Stat.Attributes, a) {
			return notVerified("recreate-installer-folder", "%s is not %s", InstallerDir, a)
		}
	}
	return verifyDefaultACL("recreate-installer-folder", in)
}

// Note says what is not brought back.
func (*RecreateInstallerFolder) Note(*HostState, Finding) string {
	return `the cached packages (*.msi, *.msp) the folder held are not brought back: repairing, patching or removing ` +
		`products installed before needs their original package (G); if the folder was moved, moving it back is better`
}
