package faults

import (
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// TargetACL leaves a package's install folder (or the folder above it)
// denying SYSTEM write, as a leftover folder with a broken ACL does: an
// elevated install, whose files LocalSystem writes, cannot create the
// product's folder there (or add files to it) and fails with Error 1303
// naming the folder (docs/evidence.md#E-target-acl).
type TargetACL struct {
	Folder string `json:"folder" doc:"the folder to deny SYSTEM write on: an absolute path below a drive's top folder, outside C:\\Windows and C:\\Users; created (with a marker file) when missing, its parent must exist"`
}

var _ Fault = (*TargetACL)(nil)
var _ Validator = (*TargetACL)(nil)

// DefaultTargetFolder is where the test packages' per-machine folders go
// (ProgramFilesFolder\MsiLab, x86 packages on 64-bit Windows).
const DefaultTargetFolder = `C:\Program Files (x86)\MsiLab`

// targetMarker is the file the fault puts in a folder it creates: revert
// removes only a folder that holds it (and nothing else).
const targetMarker = "msilab-target-acl.marker"

func init() {
	Register(Info{
		Name:    "target-acl",
		Summary: `an install folder denies SYSTEM write (a leftover folder with a broken ACL): Error 1303 naming the folder, exit 1603`,
		Evidence: "docs/evidence.md#E-target-acl: a target folder whose ACL denies the installing token; Error 1303 with the folder (D: the message; " +
			"R: EDDiscovery/EDDiscovery#2057, sqlitebrowser/sqlitebrowser#1841, DNSCrypt/SimpleDnsCrypt#330); where the engine checks G",
		Inject: `path.create the folder and a marker file in it if it is missing; acl.set its DACL with (D;OICI;0x116;;;SY) in front (owner unchanged)`,
		Revert: `acl.set the probed DACL back; or, when the fault created the folder, path.remove it (only while it holds just the marker)`,
		New:    func() Fault { return &TargetACL{Folder: DefaultTargetFolder} },
	})
}

// Validate accepts an absolute folder at least two levels below a drive,
// outside the folders Windows and the profiles live in.
func (f *TargetACL) Validate() error {
	bad := &ParamError{Param: "folder", Value: jsonString(f.Folder),
		Want: `an absolute path like C:\Program Files (x86)\Vendor, at least two levels below the drive, outside C:\Windows and C:\Users, without . or .. parts`}
	p := strings.TrimSuffix(f.Folder, `\`)
	if len(p) < 4 || p[1] != ':' || p[2] != '\\' || !('A' <= p[0]&^0x20 && p[0]&^0x20 <= 'Z') {
		return bad
	}
	parts := strings.Split(p[3:], `\`)
	if len(parts) < 2 {
		return bad
	}
	for _, s := range parts {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/:*?"<>|`) {
			return bad
		}
	}
	if top := strings.ToLower(parts[0]); top == "windows" || top == "users" {
		return bad
	}
	return nil
}

func (f *TargetACL) folder() string { return strings.TrimSuffix(f.Folder, `\`) }

// Probe stats the folder (and so its parent) and reads its ACL.
func (f *TargetACL) Probe(Target) []ops.Op {
	return []ops.Op{ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: f.folder()}), aclGet(f.folder())}
}

// Inject denies SYSTEM write on the folder, creating it first if missing.
func (f *TargetACL) Inject(_ Target, p Probe) ([]ops.Op, error) {
	var st ops.PathInfo
	if err := p.result(0, ops.OpPathStat, &st); err != nil {
		return nil, err
	}
	deny := denyWrite(win.SIDSystem)
	switch {
	case st.Exists && !st.IsDir:
		return nil, hostState("%s is a file, not a folder", f.folder())
	case st.Exists:
		_, d, err := readACL(p, 1)
		if err != nil {
			return nil, err
		}
		return []ops.Op{aclSet(f.folder(), withFirst(d.DACL, deny))}, nil
	case !st.ParentExists:
		return nil, hostState("the parent of %s does not exist", f.folder())
	}
	// A new folder: its DACL is the deny ACE and what it inherits.
	return []ops.Op{
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: f.folder(), Type: "directory"}),
		ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: f.folder() + `\` + targetMarker, Type: "file",
			Content: []byte("created by msilab's target-acl fault; removed by its revert\r\n")}),
		aclSet(f.folder(), win.ACL{ACEs: []win.ACE{deny}}),
	}, nil
}

// Revert puts the probed DACL back, or removes the folder it created.
func (f *TargetACL) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, 2) {
		return nil, nil
	}
	var st ops.PathInfo
	if err := undo.result(0, ops.OpPathStat, &st); err != nil {
		return nil, err
	}
	if !st.Exists {
		if !st.ParentExists {
			return nil, nil // Inject refused: nothing was changed
		}
		return []ops.Op{ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: f.folder(), Marker: targetMarker})}, nil
	}
	return revertACL(undo, 1)
}

// Detect reports whether the folder exists and SYSTEM can neither create
// files nor folders in it.
func (f *TargetACL) Detect(_ Target, now Probe) (Detection, error) {
	var a ops.ACL
	if err := now.result(1, ops.OpACLGet, &a); err != nil {
		return Detection{}, err
	}
	if !a.Exists {
		return Detection{Present: false, Evidence: aclEvidence(a, "")}, nil
	}
	sd, err := parseSD(a)
	if err != nil {
		return Detection{}, err
	}
	_, files := win.AccessCheck(&sd, systemToken, win.FileAddFile, win.FileMapping)
	_, dirs := win.AccessCheck(&sd, systemToken, win.FileAddSubdirectory, win.FileMapping)
	if !files || !dirs {
		return Detection{Present: true, Evidence: aclEvidence(a, "SYSTEM cannot create files or folders")}, nil
	}
	return Detection{Present: false, Evidence: aclEvidence(a, "SYSTEM can create files and folders")}, nil
}
