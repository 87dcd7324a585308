package remediation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// RestoreTargetACL gives SYSTEM and Administrators back what an install
// needs on the folder a 1303 names and on the folder above it, where they
// lack it (docs/evidence.md#E-target-acl: the install completed once the
// folder's permissions were given back, R): explicit deny entries that
// name SYSTEM or Administrators go, and an (OI)(CI) full-control entry is
// added for either when it still lacks a right; every other entry stays.
// Rights are compared by what the ACL grants (win.AccessCheck,
// win.GrantsOf), never entry by entry. It changes only folders at least
// two levels below a drive, outside C:\Windows and C:\Users (the rule of
// the target-acl fault's folder), never C:\Program Files itself.
type RestoreTargetACL struct{}

var _ Fix = (*RestoreTargetACL)(nil)

func init() {
	Register(Info{
		Name: "restore-target-acl",
		Summary: `acl.set the DACL of the folder a 1303 names, and of the folder above it, where SYSTEM or Administrators lack ` +
			`what an install needs: deny entries naming them removed, (OI)(CI)(F) for them added if they still lack a right; ` +
			`every other entry kept`,
		Risk: RiskLow,
		RiskReason: "it gives back to SYSTEM and Administrators only, on the folders the failure names, and keeps every other " +
			"entry; the DACLs it replaces are saved for rollback",
		Addresses: []string{FindingTargetDenied},
		New:       func() Fix { return &RestoreTargetACL{} },
	})
}

// targetRepair is one folder's repaired DACL.
type targetRepair struct {
	Folder Folder
	DACL   win.ACL
}

// targetRepairs are the folders the fix changes (the folder above first)
// with their repaired DACL; ok is false when one that lacks a right
// cannot be repaired (its ACL unreadable, a deny for a group that holds
// others too, a folder the fix may not change).
func targetRepairs(st *HostState) (out []targetRepair, ok bool) {
	fs := targetFolders(st)
	slices.SortStableFunc(fs, func(a, b Folder) int { return len(a.Path) - len(b.Path) })
	ok = true
	for _, f := range fs {
		if !f.Exists() {
			continue
		}
		if f.ACL.SDDL == "" {
			ok = ok && f.ACLError == ""
			continue
		}
		if len(targetLacks(f)) == 0 {
			continue
		}
		sd, err := win.ParseSDDL(f.ACL.SDDL)
		if err != nil || targetPathErr(f.Path) != nil {
			ok = false
			continue
		}
		dacl := repairTargetDACL(sd)
		fixed := f
		fixed.ACL.SDDL = win.SecurityDescriptor{Owner: sd.Owner, Group: sd.Group, DACL: dacl}.String()
		if len(targetLacks(fixed)) > 0 {
			ok = false
			continue
		}
		out = append(out, targetRepair{Folder: f, DACL: dacl})
	}
	return out, ok
}

// repairTargetDACL removes the explicit deny entries that name SYSTEM or
// Administrators, then adds (OI)(CI) full control, after the explicit
// entries, for either that still lacks what an install needs. A deny for
// a wider group stays: removing it would give others back what it takes.
func repairTargetDACL(sd win.SecurityDescriptor) win.ACL {
	out := win.ACL{Flags: sd.DACL.Flags}
	var inherited []win.ACE
	for _, a := range sd.DACL.ACEs {
		switch {
		case a.Flags&win.Inherited != 0:
			inherited = append(inherited, a)
		case a.Type == win.AccessDenied && (a.SID == win.SIDSystem || a.SID == win.SIDAdministrators):
		default:
			out.ACEs = append(out.ACEs, a)
		}
	}
	for _, h := range fullControlHolders {
		with := win.SecurityDescriptor{Owner: sd.Owner, Group: sd.Group,
			DACL: win.ACL{Flags: out.Flags, ACEs: append(slices.Clone(out.ACEs), inherited...)}}
		if len(lacksNeed(with, h.sid, h.tok(), targetSelf)) > 0 {
			out.ACEs = append(out.ACEs, win.ACE{Type: win.AccessAllowed, Flags: win.ObjectInherit | win.ContainerInherit,
				Mask: win.FileAllAccess, SID: h.sid})
		}
	}
	out.ACEs = append(out.ACEs, inherited...)
	return out
}

// targetPathErr refuses a folder the fix may not change: the target-acl
// fault's rule (absolute, two levels below a drive at least, outside
// C:\Windows and C:\Users, no . or ..).
func targetPathErr(path string) error {
	return (&faults.TargetACL{Folder: path}).Validate()
}

// Applies when a named folder lacks what an install needs and every such
// folder can be repaired.
func (*RestoreTargetACL) Applies(st *HostState, _ Finding) bool {
	r, ok := targetRepairs(st)
	return ok && len(r) > 0
}

// Ops set each repaired DACL, the folder above first.
func (*RestoreTargetACL) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	r, ok := targetRepairs(st)
	if !ok || len(r) == 0 {
		return nil, fmt.Errorf("remediation: restore-target-acl: no named folder it can repair")
	}
	var out []ops.Op
	for _, t := range r {
		out = append(out, aclSetOp(t.Folder.Path, "D:"+t.DACL.String(), "dacl"))
	}
	return out, nil
}

// targetUndo is the probed DACL of each folder the fix changes.
type targetUndo struct {
	Folders []aclUndo `json:"folders"`
}

// Undo is the probed descriptor of each folder it changes.
func (*RestoreTargetACL) Undo(before *HostState) (json.RawMessage, error) {
	r, _ := targetRepairs(before)
	if len(r) == 0 {
		return nil, nil
	}
	var u targetUndo
	for _, t := range r {
		u.Folders = append(u.Folders, aclUndo{Path: t.Folder.Path, SDDL: t.Folder.ACL.SDDL, Sections: []string{"dacl"}})
	}
	return undoData(u)
}

// UndoOps put each probed DACL back, last changed first; only on folders
// the fix may change, and only their DACL.
func (*RestoreTargetACL) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	if d := strings.TrimSpace(string(data)); d == "" || d == "null" {
		return nil, nil
	}
	var u targetUndo
	if err := decodeUndo(data, &u); err != nil {
		return nil, err
	}
	if len(u.Folders) == 0 {
		return nil, badUndo("no folder")
	}
	var out []ops.Op
	for i := len(u.Folders) - 1; i >= 0; i-- {
		f := u.Folders[i]
		if err := targetPathErr(f.Path); err != nil {
			return nil, badUndo("folder %q: %v", f.Path, err)
		}
		if _, err := win.ParseSDDL(f.SDDL); err != nil {
			return nil, badUndo("sddl of %s: %v", f.Path, err)
		}
		if !slices.Equal(f.Sections, []string{"dacl"}) {
			return nil, badUndo("sections %v of %s: the fix sets the DACL only", f.Sections, f.Path)
		}
		out = append(out, aclSetOp(f.Path, f.SDDL, "dacl"))
	}
	return out, nil
}

// Verify checks that SYSTEM and Administrators lack nothing an install
// needs on the named folders that exist, and that none is open to
// Everyone, Anonymous or Guests.
func (*RestoreTargetACL) Verify(after *HostState) error {
	fs := targetFolders(after)
	if len(fs) == 0 {
		return notVerified("restore-target-acl", "no folder named by the run was read")
	}
	for _, f := range fs {
		switch {
		case !f.Exists():
			continue
		case f.ACL.SDDL == "":
			return notVerified("restore-target-acl", "%s: its ACL cannot be read (%s)", f.Path, f.ACLError)
		}
		if miss := targetLacks(f); len(miss) > 0 {
			return notVerified("restore-target-acl", "%s: %s", f.Path, strings.Join(miss, "; "))
		}
		if broad := overBroad(f.ACL.SDDL, ""); len(broad) > 0 {
			return notVerified("restore-target-acl", "%s: %s", f.Path, strings.Join(broad, "; "))
		}
	}
	return nil
}
