package win

// AccessCheck decides whether tok gets desired on an object with sd,
// following Microsoft "How DACLs Control Access to an Object" and
// [MS-DTYP] 2.5.3.2 "Access Check Algorithm Pseudocode" (D):
//
//   - generic bits are mapped first (in the request and in ACEs);
//   - a NULL DACL grants everything; an empty DACL grants nothing but the
//     owner's implicit rights;
//   - the owner gets READ_CONTROL|WRITE_DAC unless an OWNER RIGHTS ACE is
//     present ([MS-DTYP] 2.5.3.2; "Owner of a New Object" for WRITE_DAC;
//     that an inherit-only OWNER RIGHTS ACE does not count is G);
//   - ACEs are read in order; inherit-only ACEs are skipped; an allow ACE
//     matches the user or an enabled group, a deny ACE also matches a
//     deny-only group ("SID Attributes in an Access Token"); a deny ACE
//     that covers any requested bit not yet granted denies; allows
//     accumulate until every bit is granted;
//   - MAXIMUM_ALLOWED collects every grantable bit in one pass.
//
// CREATOR OWNER and CREATOR GROUP never match: no token holds them. No
// privilege bypasses the DACL (Windows Installer does not open files with
// backup semantics). It returns the granted mask and whether the whole
// request is granted; a nil token or descriptor is granted nothing.
func AccessCheck(sd *SecurityDescriptor, tok *Token, desired AccessMask, gm GenericMapping) (AccessMask, bool) {
	if tok == nil || sd == nil {
		return 0, false
	}
	maxAllowed := desired&MaximumAllowed != 0
	want := gm.Map(desired &^ MaximumAllowed)
	if sd.DACL.Null {
		if maxAllowed {
			return gm.All | want, true
		}
		return want, true
	}
	isOwner := sd.Owner != "" && tok.Enabled(sd.Owner)
	var granted, denied AccessMask
	if isOwner && !hasOwnerRightsACE(sd.DACL) {
		granted = ReadControl | WriteDAC
	}
	for _, ace := range sd.DACL.ACEs {
		if ace.Flags&InheritOnly != 0 {
			continue
		}
		mask := gm.Map(ace.Mask)
		switch ace.Type {
		case AccessAllowed:
			if !aceMatches(ace.SID, tok, isOwner, false) {
				continue
			}
			if maxAllowed {
				granted |= mask &^ denied
			} else {
				granted |= mask & want
			}
		case AccessDenied:
			if !aceMatches(ace.SID, tok, isOwner, true) {
				continue
			}
			if maxAllowed {
				denied |= mask &^ granted
			} else if mask&want&^granted != 0 {
				return granted & want, false
			}
		}
		if !maxAllowed && want&^granted == 0 {
			return want, true
		}
	}
	if maxAllowed {
		return granted, want&^granted == 0
	}
	return granted & want, want&^granted == 0
}

func aceMatches(s SID, tok *Token, isOwner, deny bool) bool {
	if s == SIDOwnerRights {
		return isOwner
	}
	if deny {
		return tok.MatchesDeny(s)
	}
	return tok.Enabled(s)
}

func hasOwnerRightsACE(acl ACL) bool {
	for _, a := range acl.ACEs {
		if a.SID == SIDOwnerRights && a.Flags&InheritOnly == 0 {
			return true
		}
	}
	return false
}
