package win

import (
	"slices"
	"strconv"
	"strings"
)

// NETCanonicalDACL is the DACL that .NET's CommonSecurityDescriptor (and
// so Get-Acl, FileSecurity and Set-Acl) makes of acl, for a folder when
// container is set (D: dotnet/runtime System.Security.AccessControl
// ACL.cs, CommonAcl; .NET Framework has the same code;
// docs/evidence.md#E-net-canonical-acl):
//   - meaningless ACEs go (a zero mask; inherit-only without OI or CI; on
//     a file every inherit-only ACE) and meaningless flags are cleared
//     (NP without OI or CI; on a file OI, CI and NP);
//   - an ACL already in canonical order (explicit deny, explicit allow,
//     inherited) is then sorted: explicit deny, then explicit allow, each
//     by SID (SecurityIdentifier.CompareTo), inherited ACEs in their order;
//   - adjacent explicit ACEs of one type and SID are merged: the same
//     flags add their masks, the same mask joins their inheritance when
//     the result is one ACE's flags ((A;;FA;;;BA)(A;OICIIO;FA;;;BA)
//     becomes (A;OICI;FA;;;BA)).
//
// A non-canonical ACL is left in its order. The result grants what acl
// grants (SameRights) but may print differently in icacls.
func NETCanonicalDACL(acl ACL, container bool) ACL {
	out := ACL{Null: acl.Null, Flags: acl.Flags}
	if acl.Null {
		return out
	}
	for _, a := range acl.ACEs {
		if a, ok := netInspect(a, container); ok {
			out.ACEs = append(out.ACEs, a)
		}
	}
	if !netCanonicalOrder(out.ACEs) {
		return out
	}
	// Priorities as DaclAcePriority: explicit deny 0, explicit allow 2,
	// inherited after every explicit ACE in their original order. Ties
	// among explicit ACEs are ordered by SID; QuickSort is not stable, so
	// ACEs of one SID and type may swap (merging then treats them alike).
	type ranked struct {
		ACE
		prio int
	}
	rs := make([]ranked, len(out.ACEs))
	for i, a := range out.ACEs {
		p := 2
		switch {
		case a.Flags&Inherited != 0:
			p = 2*0xffff + i
		case a.Type == AccessDenied:
			p = 0
		}
		rs[i] = ranked{a, p}
	}
	slices.SortStableFunc(rs, func(x, y ranked) int {
		if x.prio != y.prio {
			return x.prio - y.prio
		}
		return CompareSIDs(x.SID, y.SID)
	})
	aces := make([]ACE, 0, len(rs))
	for _, r := range rs {
		aces = append(aces, r.ACE)
	}
	// Canonicalize(compact): merge each ACE with its successor while it can.
	for i := 0; i < len(aces)-1; i++ {
		if m, ok := netMerge(aces[i], aces[i+1]); ok {
			aces[i] = m
			aces = slices.Delete(aces, i+1, i+2)
		}
	}
	out.ACEs = aces
	return out
}

// netInspect is CommonAcl.InspectAce for a DACL.
func netInspect(a ACE, container bool) (ACE, bool) {
	const inherit = ObjectInherit | ContainerInherit | NoPropagateInherit | InheritOnly
	if a.Mask == 0 {
		return a, false
	}
	if !container {
		if a.Flags&InheritOnly != 0 {
			return a, false
		}
		a.Flags &^= inherit
		return a, true
	}
	oici := a.Flags&(ObjectInherit|ContainerInherit) != 0
	if a.Flags&InheritOnly != 0 && !oici {
		return a, false
	}
	if a.Flags&NoPropagateInherit != 0 && !oici {
		a.Flags &^= NoPropagateInherit
	}
	return a, true
}

// netCanonicalOrder is CommonAcl.CanonicalCheck for a DACL.
func netCanonicalOrder(aces []ACE) bool {
	stage := 0
	for _, a := range aces {
		s := 0
		switch {
		case a.Flags&Inherited != 0:
			s = 2
		case a.Type == AccessAllowed:
			s = 1
		}
		if s < stage {
			return false
		}
		stage = s
	}
	return true
}

// Propagation bits of CommonAcl's merge tables: where an ACE applies.
const (
	pmSelf = 1 << iota
	pmChildFolders
	pmChildFiles
	pmDeepFolders
	pmDeepFiles
)

// netPM maps inheritance flags to where the ACE applies (CommonAcl's
// AFtoPM, for ACEs InspectAce kept).
func netPM(f AceFlags) int {
	var pm int
	ci, oi, np := f&ContainerInherit != 0, f&ObjectInherit != 0, f&NoPropagateInherit != 0
	if f&InheritOnly == 0 {
		pm |= pmSelf
	}
	if ci {
		pm |= pmChildFolders
		if !np {
			pm |= pmDeepFolders
		}
	}
	if oi {
		pm |= pmChildFiles
		if !np {
			pm |= pmDeepFiles
		}
	}
	return pm
}

// netFlagsOf is CommonAcl's PMtoAF: the flags that apply exactly where pm
// says, if any.
func netFlagsOf(pm int) (AceFlags, bool) {
	for f := AceFlags(0); f < 16; f++ {
		if f&(ObjectInherit|ContainerInherit) == 0 && f&(InheritOnly|NoPropagateInherit) != 0 {
			continue
		}
		if netPM(f) == pm {
			return f, true
		}
	}
	return 0, false
}

// netMerge is CommonAcl.MergeAces for two allow or deny ACEs of a DACL.
func netMerge(a, b ACE) (ACE, bool) {
	const inherit = ObjectInherit | ContainerInherit | NoPropagateInherit | InheritOnly
	if a.Type != b.Type || a.SID != b.SID || a.Flags&Inherited != 0 || b.Flags&Inherited != 0 {
		return a, false
	}
	if a.Flags == b.Flags {
		a.Mask |= b.Mask
		return a, true
	}
	if a.Mask != b.Mask {
		return a, false
	}
	if a.Flags&inherit == b.Flags&inherit {
		return a, true // only audit flags differ, which a DACL has none of
	}
	f, ok := netFlagsOf(netPM(a.Flags) | netPM(b.Flags))
	if !ok {
		return a, false
	}
	a.Flags = a.Flags&^inherit | f
	return a, true
}

// CompareSIDs orders SIDs as .NET's SecurityIdentifier.CompareTo does:
// by identifier authority, then the number of sub-authorities, then each
// sub-authority as a signed 32-bit difference (D: dotnet/runtime
// SecurityIdentifier.cs).
func CompareSIDs(a, b SID) int {
	pa, pb := strings.Split(string(a), "-"), strings.Split(string(b), "-")
	if len(pa) < 3 || len(pb) < 3 {
		return strings.Compare(string(a), string(b))
	}
	authA, _ := strconv.ParseUint(pa[2], 10, 64)
	authB, _ := strconv.ParseUint(pb[2], 10, 64)
	switch {
	case authA < authB:
		return -1
	case authA > authB:
		return 1
	case len(pa) != len(pb):
		return len(pa) - len(pb)
	}
	for i := 3; i < len(pa); i++ {
		x, _ := strconv.ParseUint(pa[i], 10, 32)
		y, _ := strconv.ParseUint(pb[i], 10, 32)
		if d := int32(uint32(x)) - int32(uint32(y)); d != 0 {
			return int(d)
		}
	}
	return 0
}
