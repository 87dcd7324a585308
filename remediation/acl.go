package remediation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Folder ACLs as the checks read them: parsed with win's SDDL grammar,
// compared by the rights they grant (win.SameRights), and checked with
// win's access check against the token each context writes with.

// sameACL reports whether the descriptor actual grants what def does (see
// win.SameRights), and says why not.
func sameACL(actual, def string) (bool, string) {
	a, err := win.ParseSDDL(actual)
	if err != nil {
		return false, fmt.Sprintf("cannot read %q: %v", actual, err)
	}
	d, err := win.ParseSDDL(def)
	if err != nil {
		return false, fmt.Sprintf("cannot read the default %q: %v", def, err)
	}
	return win.SameRights(a, d, win.FileMapping)
}

// deviation reports whether a folder's readable descriptor actual falls
// short of what f holds it to, and says why: the default's rights
// (win.SameRights), or, when the default is our inference, full control
// for SYSTEM and Administrators (missingFullControl).
func deviation(f Folder, actual string) (bool, string) {
	if !f.DefaultGuessed {
		same, why := sameACL(actual, f.Default)
		return !same, why
	}
	sd, err := win.ParseSDDL(actual)
	if err != nil {
		return true, fmt.Sprintf("cannot read %q: %v", actual, err)
	}
	if miss := missingFullControl(sd); len(miss) > 0 {
		return true, strings.Join(miss, "; ")
	}
	return false, ""
}

// ownerOf is the owner a descriptor names, "" when it names none or cannot
// be read.
func ownerOf(s string) win.SID {
	d, err := win.ParseSDDL(s)
	if err != nil {
		return ""
	}
	return d.Owner
}

// noExplicit reports a readable DACL without an explicit ACE.
func noExplicit(s string) bool {
	d, err := win.ParseSDDL(s)
	return err == nil && !d.DACL.Null && len(d.DACL.Explicit()) == 0
}

// contextToken is the token that writes for an install context (see
// win.NewToken); userSID is the user's, "" for any standard user.
func contextToken(context, userSID string) *win.Token {
	if context == ops.ContextSystem {
		return win.SystemToken()
	}
	user := win.SID(userSID)
	if user == "" {
		user = "S-1-5-21-0-0-0-1001"
	}
	return win.NewToken(win.TokenSpec{Kind: win.TokenKind(context), User: user, Domain: user.Domain()})
}

// canCreateFiles reports whether tok may create files in a folder with the
// descriptor s (FILE_ADD_FILE through win.AccessCheck, [MS-DTYP] 2.5.3.2,
// D). An unreadable descriptor answers false.
func canCreateFiles(s string, tok *win.Token) bool {
	d, err := win.ParseSDDL(s)
	if err != nil {
		return false
	}
	_, ok := win.AccessCheck(&d, tok, win.FileAddFile, win.FileMapping)
	return ok
}

// broadSIDs are the groups that hold (almost) every account: write
// rights for them beyond the default open the folder to everyone.
var broadSIDs = []win.SID{win.SIDEveryone, win.SIDAuthenticatedUsers, win.SIDUsers, win.SIDInteractive,
	win.SIDAnonymous, win.SIDGuests}

// writeRights are the rights that change a folder or what it holds.
const writeRights = win.FileWriteData | win.FileAppendData | win.FileWriteEA | win.FileWriteAttributes |
	win.FileDeleteChild | win.Delete | win.WriteDAC | win.WriteOwner

// overBroad lists the write rights actual allows a broad group (Everyone,
// Users, ...) that def does not, per scope (inherited ACEs included: they
// grant as much); nil when none. Without a default (def ""), any write
// right for Everyone, Anonymous or Guests is over-broad.
func overBroad(actual, def string) []string {
	a, err := win.ParseSDDL(actual)
	if err != nil {
		return nil
	}
	if a.DACL.Null {
		return []string{"NULL DACL: everyone has full control"}
	}
	var d win.SecurityDescriptor
	sids := broadSIDs
	if def != "" {
		if d, err = win.ParseSDDL(def); err != nil {
			return nil
		}
	} else {
		sids = []win.SID{win.SIDEveryone, win.SIDAnonymous, win.SIDGuests}
	}
	ga, gd := win.GrantsOf(a.DACL.ACEs, win.FileMapping), win.GrantsOf(d.DACL.ACEs, win.FileMapping)
	var out []string
	for _, sid := range sids {
		for _, sc := range []win.Scope{win.ScopeSelf, win.ScopeChildFolders, win.ScopeChildFiles} {
			if extra := ga.Of(sid, sc).Allow &^ gd.Of(sid, sc).Allow & writeRights; extra != 0 {
				out = append(out, fmt.Sprintf("%s gains (%s) on %s", win.DisplayName(sid), win.ICACLSRights(extra), sc))
			}
		}
	}
	return out
}

// fullControlHolders are who must have full control on a folder whose
// default ACL is our inference (C:\Windows\Installer: G, no public dump,
// docs/evidence.md#E-installer-acl): SYSTEM, whose service writes there,
// and an elevated administrator. Nothing else of such a default is held
// against a host.
var fullControlHolders = []struct {
	sid win.SID
	tok func() *win.Token
}{
	{win.SIDSystem, win.SystemToken},
	{win.SIDAdministrators, func() *win.Token { return contextToken(ops.ContextAdminElevated, "") }},
}

// missingFullControl lists what SYSTEM and an elevated administrator
// lack of full control on a folder with descriptor sd and on the files
// and folders the service creates in it (their DACLs inherited as Windows
// builds them, win.InheritACEs), checked with win.AccessCheck; nil when
// nothing is missing.
func missingFullControl(sd win.SecurityDescriptor) []string {
	var out []string
	for _, h := range fullControlHolders {
		out = append(out, lacks(sd, h.sid, h.tok())...)
	}
	return out
}

// lacks lists what tok (named by sid) lacks of full control on the folder
// sd and on what SYSTEM creates in it.
func lacks(sd win.SecurityDescriptor, sid win.SID, tok *win.Token) []string {
	return lacksNeed(sd, sid, tok, win.FileAllAccess)
}

// lacksNeed lists what tok (named by sid) lacks of self on the folder sd
// and of full control on what SYSTEM creates in it.
func lacksNeed(sd win.SecurityDescriptor, sid win.SID, tok *win.Token, self win.AccessMask) []string {
	if sd.DACL.Null {
		return nil
	}
	creator := win.SystemToken()
	child := func(parent win.ACL, dir bool) win.SecurityDescriptor {
		return win.SecurityDescriptor{Owner: creator.Owner, Group: creator.PrimaryGroup,
			DACL: win.ACL{Flags: win.DACLAutoInherited, ACEs: win.InheritACEs(parent, dir, creator.Owner, creator.PrimaryGroup)}}
	}
	sub := child(sd.DACL, true)
	places := []struct {
		where string
		sd    win.SecurityDescriptor
	}{{"the folder", sd}, {"its files", child(sd.DACL, false)}, {"its subfolders", sub}, {"files further down", child(sub.DACL, false)}}
	var out []string
	for i, p := range places {
		need := win.FileAllAccess
		if i == 0 {
			need = self
		}
		granted, _ := win.AccessCheck(&p.sd, tok, win.MaximumAllowed, win.FileMapping)
		if miss := need &^ granted; miss != 0 {
			out = append(out, fmt.Sprintf("%s lacks (%s) on %s", win.DisplayName(sid), win.ICACLSRights(miss), p.where))
		}
	}
	return out
}

// repairDACL gives SYSTEM and Administrators back full control on a
// folder, and takes from broad groups the write rights def does not give
// them, changing nothing else: explicit deny ACEs that take a right from
// SYSTEM or an elevated administrator go, broad groups' explicit allow
// ACEs lose the extra write rights, and an (OI)(CI) full-control ACE is
// added, after the explicit ones, for SYSTEM or Administrators when they
// still lack a right. Inherited ACEs are the parent's and stay as they are.
func repairDACL(sd, def win.SecurityDescriptor) win.ACL {
	gd := win.GrantsOf(def.DACL.ACEs, win.FileMapping)
	out := win.ACL{Flags: sd.DACL.Flags}
	var inherited []win.ACE
	for _, a := range sd.DACL.ACEs {
		if a.Flags&win.Inherited != 0 {
			inherited = append(inherited, a)
			continue
		}
		mask := win.FileMapping.Map(a.Mask)
		if a.Type == win.AccessDenied {
			takes := false
			for _, h := range fullControlHolders {
				takes = takes || h.tok().MatchesDeny(a.SID)
			}
			if !takes || mask&win.FileAllAccess == 0 {
				out.ACEs = append(out.ACEs, a)
			}
			continue
		}
		if slices.Contains(broadSIDs, a.SID) {
			allowed := win.FileAllAccess
			for _, sc := range []win.Scope{win.ScopeSelf, win.ScopeChildFolders, win.ScopeChildFiles, win.ScopeDeepFolders, win.ScopeDeepFiles} {
				if a.Applies(sc) {
					allowed &= gd.Of(a.SID, sc).Allow
				}
			}
			if extra := mask & writeRights &^ allowed; extra != 0 {
				if a.Mask = mask &^ extra; a.Mask == 0 {
					continue
				}
			}
		}
		out.ACEs = append(out.ACEs, a)
	}
	for _, h := range fullControlHolders {
		with := win.ACL{Flags: out.Flags, ACEs: append(slices.Clone(out.ACEs), inherited...)}
		if len(lacks(win.SecurityDescriptor{Owner: sd.Owner, Group: sd.Group, DACL: with}, h.sid, h.tok())) > 0 {
			out.ACEs = append(out.ACEs, win.ACE{Type: win.AccessAllowed, Flags: win.ObjectInherit | win.ContainerInherit,
				Mask: win.FileAllAccess, SID: h.sid})
		}
	}
	out.ACEs = append(out.ACEs, inherited...)
	return out
}
