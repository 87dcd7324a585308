package model

import (
	"github.com/msilab/msilab/win"
)

// newObjectSD is the descriptor of an object tok creates under parent:
// owner and group from the token, inherited ACEs, or the token's default
// DACL when nothing is inheritable (D: "DACL for a New Object").
func newObjectSD(parent *win.SecurityDescriptor, dir bool, tok *win.Token) win.SecurityDescriptor {
	sd := win.SecurityDescriptor{Owner: tok.Owner, Group: tok.PrimaryGroup}
	if sd.Group == "" {
		sd.Group = tok.Owner
	}
	aces := win.InheritACEs(parent.DACL, dir, sd.Owner, sd.Group)
	if len(aces) == 0 {
		for _, a := range tok.DefaultDACL {
			a.Mask = win.FileMapping.Map(a.Mask)
			aces = append(aces, a)
		}
	}
	sd.DACL.ACEs = aces
	if !parent.DACL.Null {
		sd.DACL.Flags = parent.DACL.Flags & win.DACLAutoInherited
	}
	return sd
}

// explicitACEs returns the ACEs of acl that are not inherited, in the
// order given: SetNamedSecurityInfo stores a DACL's explicit ACEs as the
// caller orders them ("the caller is responsible for ensuring ACEs are
// added in the correct order", D; only .NET's CommonSecurityDescriptor
// sorts them: docs/evidence.md#E-net-canonical-acl). With keepAll,
// inherited ACEs are kept as explicit ones (a DACL being protected).
func explicitACEs(acl win.ACL, keepAll bool) []win.ACE {
	var out []win.ACE
	for _, a := range acl.ACEs {
		if a.Flags&win.Inherited != 0 {
			if !keepAll {
				continue
			}
			a.Flags &^= win.Inherited
		}
		out = append(out, a)
	}
	return out
}

// rebuildDACL recomputes a non-protected object's DACL: its explicit ACEs
// then what it inherits from parent.
func rebuildDACL(sd *win.SecurityDescriptor, parent *win.SecurityDescriptor, dir bool) {
	if sd.DACL.Null || sd.DACL.Protected() {
		return
	}
	aces := explicitACEs(sd.DACL, false)
	if parent != nil {
		aces = append(aces, win.InheritACEs(parent.DACL, dir, sd.Owner, sd.Group)...)
	}
	sd.DACL.ACEs = aces
}
