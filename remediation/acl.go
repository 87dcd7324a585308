package remediation

import (
	"fmt"

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
