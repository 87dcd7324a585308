package model

import (
	"github.com/msilab/msilab/win"
	"slices"
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

// explicitACEs returns the ACEs of acl that are not inherited, explicit
// deny before explicit allow (canonical order, as icacls and Set-Acl
// keep it). With keepAll, inherited ACEs are kept as explicit ones (a
// DACL being protected).
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
	slices.SortStableFunc(out, func(x, y win.ACE) int {
		return int(y.Type) - int(x.Type) // deny (1) first
	})
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
