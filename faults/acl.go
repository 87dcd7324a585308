package faults

import (
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Helpers of the faults that change a folder's DACL (temp-acl,
// installer-acl, user-temp unwritable). They never change the owner, so
// their revert sets the probed DACL only. Descriptors are read with win's
// SDDL grammar and checked with win's access check.

// denyWrite is the ACE that takes write from sid on a folder and, by
// inheritance, on what it holds: FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY |
// FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES (0x116), the write bits of
// FILE_GENERIC_WRITE without READ_CONTROL and SYNCHRONIZE (D: "File
// Security and Access Rights"). WRITE_DAC is not in it: the admin keeps
// the right to put the DACL back.
func denyWrite(sid win.SID) win.ACE {
	return win.ACE{Type: win.AccessDenied, Flags: win.ObjectInherit | win.ContainerInherit, Mask: 0x116, SID: sid}
}

// withFirst returns d with a put in front of its ACEs (where a deny ACE
// goes in canonical order), unless an identical ACE is there already.
func withFirst(d win.ACL, a win.ACE) win.ACL {
	for _, b := range d.ACEs {
		if b == a {
			return d
		}
	}
	d.ACEs = append([]win.ACE{a}, d.ACEs...)
	return d
}

func aclGet(path string) ops.Op { return ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: path}) }

// aclSet sets a DACL only ("D:..."), never the owner.
func aclSet(path string, d win.ACL) ops.Op {
	return ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: "D:" + d.String(), Sections: []string{"dacl"}})
}

// readACL decodes an acl.get result at i that must show a readable,
// existing folder, and parses its DACL.
func readACL(p Probe, i int) (ops.ACL, win.SecurityDescriptor, error) {
	var a ops.ACL
	if err := p.result(i, ops.OpACLGet, &a); err != nil {
		return a, win.SecurityDescriptor{}, err
	}
	if !a.Exists {
		return a, win.SecurityDescriptor{}, hostState("%s does not exist", a.Path)
	}
	sd, err := parseSD(a)
	return a, sd, err
}

// parseSD parses an acl.get result's SDDL.
func parseSD(a ops.ACL) (win.SecurityDescriptor, error) {
	if a.SDDL == "" {
		return win.SecurityDescriptor{}, fmt.Errorf("%w: acl.get of %s returned no SDDL", ErrProbe, a.Path)
	}
	sd, err := win.ParseSDDL(a.SDDL)
	if err != nil {
		return sd, fmt.Errorf("%w: acl.get of %s: %w", ErrProbe, a.Path, err)
	}
	return sd, nil
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
	sd, err := parseSD(a)
	if err != nil {
		return nil, err
	}
	return []ops.Op{aclSet(a.Path, sd.DACL)}, nil
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

// Tokens whose write the faults take away: SYSTEM's (the Windows
// Installer service), and any standard user's (its groups; no ACE names
// this placeholder account).
var (
	systemToken = win.SystemToken()
	usersToken  = win.NewToken(win.TokenSpec{Kind: win.KindStandardUser, User: "S-1-5-21-0-0-0-1001", Domain: "S-1-5-21-0-0-0"})
)

// canCreateFiles reports whether tok may create files in a folder with
// the descriptor sd: FILE_ADD_FILE through win.AccessCheck ([MS-DTYP]
// 2.5.3.2, D).
func canCreateFiles(sd win.SecurityDescriptor, tok *win.Token) bool {
	_, ok := win.AccessCheck(&sd, tok, win.FileAddFile, win.FileMapping)
	return ok
}
