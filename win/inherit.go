package win

// ACE inheritance, Microsoft "ACE Inheritance Rules" (D):
//
//	parent ACE      file child               directory child
//	OI only         effective                inherit-only (OI|IO), none if NP
//	CI only         none                     effective, inheritable (CI) unless NP
//	OI|CI           effective                effective, inheritable (OI|CI) unless NP
//
// Inherited ACEs carry ID. An effective ACE has generic rights mapped and
// CREATOR OWNER / CREATOR GROUP replaced by the new object's owner and
// group; when an inheritable ACE holds such generic information a
// directory gets two ACEs: the mapped effective one and the unmapped
// inherit-only one. Inherited ACEs follow explicit ones in the parent's
// order ("Order of ACEs in a DACL"). A protected DACL (P) inherits nothing.

// InheritACEs returns the ACEs a new child of a parent with DACL parent
// inherits.
func InheritACEs(parent ACL, dir bool, owner, group SID) []ACE {
	if parent.Null {
		return nil
	}
	var out []ACE
	for _, a := range parent.ACEs {
		oi := a.Flags&ObjectInherit != 0
		ci := a.Flags&ContainerInherit != 0
		np := a.Flags&NoPropagateInherit != 0
		if !dir {
			if oi {
				out = append(out, effective(a, owner, group))
			}
			continue
		}
		switch {
		case ci && np:
			out = append(out, effective(a, owner, group))
		case ci && hasGenericInfo(a):
			out = append(out, effective(a, owner, group),
				ACE{a.Type, a.Flags&(ObjectInherit|ContainerInherit) | InheritOnly | Inherited, a.Mask, a.SID})
		case ci:
			out = append(out, ACE{a.Type, a.Flags&(ObjectInherit|ContainerInherit) | Inherited, a.Mask, a.SID})
		case oi && !np:
			out = append(out, ACE{a.Type, ObjectInherit | InheritOnly | Inherited, a.Mask, a.SID})
		}
	}
	return out
}

func hasGenericInfo(a ACE) bool {
	return a.SID == SIDCreatorOwner || a.SID == SIDCreatorGroup || a.Mask&genericRightsMask != 0
}

func effective(a ACE, owner, group SID) ACE {
	s := a.SID
	switch s {
	case SIDCreatorOwner:
		s = owner
	case SIDCreatorGroup:
		s = group
	}
	return ACE{a.Type, Inherited, FileMapping.Map(a.Mask), s}
}
