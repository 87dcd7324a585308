package win

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Descriptors are compared by the rights they grant, never entry by entry:
// Windows prints and stores the same DACL in more than one way (FA or
// 0x1f01ff, GA on an inherit-only ACE, BA or S-1-5-32-544, allow ACEs in
// any order, one (OI)(CI) ACE or an (OI) and a (CI) one, ACEs merged by
// .NET's CommonSecurityDescriptor when Set-Acl writes them back). Two
// ACE lists are the same when they allow and deny the same rights to the
// same trustees in the same places (Scope), generic rights mapped.

// Scope is where an ACE on a folder applies (D: "ACE Inheritance Rules").
type Scope uint8

// Scopes.
const (
	ScopeSelf         Scope = iota // the folder itself
	ScopeChildFolders              // its subfolders
	ScopeChildFiles                // its files
	ScopeDeepFolders               // folders below its subfolders
	ScopeDeepFiles                 // files below its subfolders
	numScopes
)

var scopeNames = [numScopes]string{"the folder", "its subfolders", "its files",
	"folders further down", "files further down"}

func (s Scope) String() string {
	if s < numScopes {
		return scopeNames[s]
	}
	return fmt.Sprintf("Scope(%d)", uint8(s))
}

// Applies reports whether the ACE applies in scope s: not inherit-only for
// the folder itself, CI for subfolders, OI for files, and below the first
// level only without NP.
func (a ACE) Applies(s Scope) bool {
	ci, oi := a.Flags&ContainerInherit != 0, a.Flags&ObjectInherit != 0
	np := a.Flags&NoPropagateInherit != 0
	switch s {
	case ScopeSelf:
		return a.Flags&InheritOnly == 0
	case ScopeChildFolders:
		return ci
	case ScopeChildFiles:
		return oi
	case ScopeDeepFolders:
		return ci && !np
	case ScopeDeepFiles:
		return oi && !np
	}
	return false
}

// Rights are what a trustee is allowed and denied in one scope; String
// names them as icacls does.
type Rights struct{ Allow, Deny AccessMask }

// Grants are what a list of ACEs allows and denies, by trustee and scope.
type Grants map[SID]*[numScopes]Rights

// GrantsOf sums what aces allow and deny, generic rights mapped with gm.
func GrantsOf(aces []ACE, gm GenericMapping) Grants {
	g := Grants{}
	for _, a := range aces {
		r := g[a.SID]
		if r == nil {
			r = new([numScopes]Rights)
			g[a.SID] = r
		}
		m := gm.Map(a.Mask)
		for s := range numScopes {
			if !a.Applies(s) {
				continue
			}
			if a.Type == AccessDenied {
				r[s].Deny |= m
			} else {
				r[s].Allow |= m
			}
		}
	}
	return g
}

// Of is what sid is allowed and denied in scope s.
func (g Grants) Of(sid SID, s Scope) Rights {
	if r := g[sid]; r != nil && s < numScopes {
		return r[s]
	}
	return Rights{}
}

// Diff lists, in a stable order, where g differs from want: one line per
// trustee and scope.
func (g Grants) Diff(want Grants) []string {
	sids := make([]SID, 0, len(g)+len(want))
	for s := range g {
		sids = append(sids, s)
	}
	for s := range want {
		if g[s] == nil {
			sids = append(sids, s)
		}
	}
	slices.SortFunc(sids, func(a, b SID) int { return cmp.Compare(a, b) })
	var out []string
	for _, sid := range sids {
		// Scopes with the same difference are named together.
		type pair struct{ have, want Rights }
		var order []pair
		where := map[pair][]string{}
		for s := range numScopes {
			p := pair{g.Of(sid, s), want.Of(sid, s)}
			if p.have == p.want {
				continue
			}
			if where[p] == nil {
				order = append(order, p)
			}
			where[p] = append(where[p], s.String())
		}
		for _, p := range order {
			out = append(out, fmt.Sprintf("%s on %s: %s, want %s", DisplayName(sid),
				strings.Join(where[p], ", "), p.have, p.want))
		}
	}
	return out
}

// Lines lists the grants one per trustee and scope that holds any right,
// sorted: a form of the rights that two equivalent ACE lists share.
func (g Grants) Lines() []string {
	var out []string
	for sid, r := range g {
		for s := range numScopes {
			if r[s] != (Rights{}) {
				out = append(out, fmt.Sprintf("%s on %s: %s", DisplayName(sid), s, r[s]))
			}
		}
	}
	slices.Sort(out)
	return out
}

// Meaning describes a descriptor by what it grants, for records that are
// compared as text (a host's baseline): the owner, NULL or protected, and
// the grants of the explicit and of the inherited ACEs. Two descriptors
// with the same meaning grant the same rights, however they are spelled.
func Meaning(sd SecurityDescriptor) []string {
	out := []string{"owner " + DisplayName(sd.Owner)}
	switch {
	case sd.DACL.Null:
		return append(out, "NULL DACL")
	case sd.DACL.Protected():
		out = append(out, "protected")
	}
	if !sd.DACL.Canonical() {
		out = append(out, "not canonical")
	}
	var inherited []ACE
	for _, a := range sd.DACL.ACEs {
		if a.Flags&Inherited != 0 {
			inherited = append(inherited, a)
		}
	}
	for _, l := range GrantsOf(sd.DACL.Explicit(), FileMapping).Lines() {
		out = append(out, "explicit: "+l)
	}
	for _, l := range GrantsOf(inherited, FileMapping).Lines() {
		out = append(out, "inherited: "+l)
	}
	return out
}

func (r Rights) String() string {
	switch {
	case r.Allow == 0 && r.Deny == 0:
		return "nothing"
	case r.Deny == 0:
		return "allowed (" + ICACLSRights(r.Allow) + ")"
	case r.Allow == 0:
		return "denied (" + ICACLSRights(r.Deny) + ")"
	}
	return "allowed (" + ICACLSRights(r.Allow) + ") denied (" + ICACLSRights(r.Deny) + ")"
}

// Explicit returns the ACEs that are not inherited.
func (a ACL) Explicit() []ACE {
	var out []ACE
	for _, e := range a.ACEs {
		if e.Flags&Inherited == 0 {
			out = append(out, e)
		}
	}
	return out
}

// Canonical reports whether no explicit allow ACE comes before an
// explicit deny ACE (D: "Order of ACEs in a DACL"; inherited ACEs follow
// explicit ones in any DACL Windows builds).
func (a ACL) Canonical() bool {
	allowSeen := false
	for _, e := range a.Explicit() {
		if e.Type == AccessAllowed {
			allowSeen = true
		} else if allowSeen {
			return false
		}
	}
	return true
}

// SameRights reports whether have grants what want grants, and says why
// not. Compared: the owner, when want names one (the owner holds implicit
// rights); a NULL DACL; protection (whether the parent's inheritable ACEs
// apply); and the rights the explicit ACEs allow and deny, by trustee and
// scope. Inherited ACEs are the parent's and are not compared; nor are
// the group, the AI/AR flags or the SACL, which grant nothing.
func SameRights(have, want SecurityDescriptor, gm GenericMapping) (bool, string) {
	switch {
	case want.Owner != "" && have.Owner != want.Owner:
		return false, fmt.Sprintf("owner is %s, want %s", DisplayName(have.Owner), DisplayName(want.Owner))
	case have.DACL.Null != want.DACL.Null && have.DACL.Null:
		return false, "NULL DACL: everyone has full control"
	case have.DACL.Null != want.DACL.Null:
		return false, "the DACL is not NULL; want a NULL DACL"
	case have.DACL.Protected() && !want.DACL.Protected():
		return false, "DACL is protected (inherits nothing); want it to inherit"
	case !have.DACL.Protected() && want.DACL.Protected():
		return false, "DACL inherits; want it protected"
	case !have.DACL.Canonical() && want.DACL.Canonical():
		return false, "explicit ACEs are not in canonical order (an allow before a deny)"
	}
	diff := GrantsOf(have.DACL.Explicit(), gm).Diff(GrantsOf(want.DACL.Explicit(), gm))
	if len(diff) > 0 {
		return false, "explicit ACEs differ: " + strings.Join(diff, "; ")
	}
	return true, ""
}

// DisplayName is the account name Windows shows for a well-known SID, or
// the SID itself.
func DisplayName(s SID) string {
	if n, ok := WellKnownName(s); ok {
		return n
	}
	return string(s)
}
