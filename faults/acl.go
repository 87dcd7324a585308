package faults

import (
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Helpers of the faults that change a folder's DACL (temp-acl,
// installer-acl, user-temp unwritable). They never change the owner, so
// their revert sets the probed DACL only.

// denyWrite is the ACE that takes write from sid on a folder and, by
// inheritance, on what it holds: FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY |
// FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES (0x116), the write bits of
// FILE_GENERIC_WRITE without READ_CONTROL and SYNCHRONIZE (D: "File
// Security and Access Rights"). WRITE_DAC is not in it: the admin keeps
// the right to put the DACL back.
func denyWrite(sid string) ace { return newACE("D", "OICI", "0x116", sid) }

func aclGet(path string) ops.Op { return ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: path}) }

// aclSet sets a DACL only ("D:..."), never the owner.
func aclSet(path string, d dacl) ops.Op {
	return ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: d.String(), Sections: []string{"dacl"}})
}

// readACL decodes an acl.get result at i that must show a readable,
// existing folder, and parses its DACL.
func readACL(p Probe, i int) (ops.ACL, dacl, error) {
	var a ops.ACL
	if err := p.result(i, ops.OpACLGet, &a); err != nil {
		return a, dacl{}, err
	}
	if !a.Exists {
		return a, dacl{}, hostState("%s does not exist", a.Path)
	}
	if a.SDDL == "" {
		return a, dacl{}, fmt.Errorf("%w: acl.get of %s returned no SDDL", ErrProbe, a.Path)
	}
	d, err := daclOf(a.SDDL)
	return a, d, err
}

// revertACL is the change that puts back a probed DACL; nothing when the
// probe saw no folder (nothing was changed then).
func revertACL(p Probe, i int) ([]ops.Op, error) {
	if p.readFailed(i, 1) {
		return nil, nil
	}
	var a ops.ACL
	if err := p.result(i, ops.OpACLGet, &a); err != nil {
		return nil, err
	}
	if !a.Exists || a.SDDL == "" {
		return nil, nil
	}
	d, err := daclOf(a.SDDL)
	if err != nil {
		return nil, err
	}
	return []ops.Op{aclSet(a.Path, d)}, nil
}

// deniesWrite reports a deny ACE for sid that covers FILE_ADD_FILE on the
// folder itself.
func deniesWrite(d dacl, sid string) bool {
	for _, a := range d.ACEs {
		if a.deny() && a.is(sid) && a.grants(fileAddFile) {
			return true
		}
	}
	return false
}

// aclEvidence describes a folder's ACL for a Detection.
func aclEvidence(a ops.ACL, verdict string) string {
	if !a.Exists {
		return a.Path + " does not exist"
	}
	lines := strings.Join(a.ICACLS, "; ")
	if lines == "" {
		lines = a.SDDL
	}
	return fmt.Sprintf("%s: %s (%s)", a.Path, verdict, lines)
}

// Token SIDs that matter to a folder's DACL, by who writes: SYSTEM's token
// holds BUILTIN\Administrators (enabled), Everyone and Authenticated Users
// (D: "LocalSystem Account"; "Well-known SIDs").
var (
	systemSIDs = []string{sidSystem, sidAdmins, "S-1-1-0", "S-1-5-11"}
	// A standard user's groups, without the user's own SID.
	usersSIDs = []string{sidUsers, "S-1-1-0", "S-1-5-11", "S-1-5-4"}
)

// canCreateFiles reports whether a token holding sids may create files in
// a folder with DACL d: [MS-DTYP] 2.5.3.2's access check for the single
// right FILE_ADD_FILE, where the first ACE that applies to the folder,
// matches a SID and covers the right decides, deny or allow (D). CREATOR
// OWNER never matches a token; owner rights do not include the right.
func canCreateFiles(d dacl, sids ...string) bool {
	for _, a := range d.ACEs {
		if !a.grants(fileAddFile) || !(a.allow() || a.deny()) {
			continue
		}
		for _, s := range sids {
			if a.is(s) {
				return a.allow()
			}
		}
	}
	return false
}
