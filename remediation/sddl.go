package remediation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Security descriptors compared by meaning, not by text: Windows prints
// the same DACL in more than one way (FA or 0x1f01ff, GA for an
// inherit-only ACE, BA or S-1-5-32-544, allow ACEs in any order), so two
// descriptors are the same when their owners are the same SID, their
// DACLs are both protected or both not, and their explicit deny ACEs and
// explicit allow ACEs are the same sets once generic rights are mapped
// for files (in the canonical order every deny comes first, D: "Order of
// ACEs in a DACL", and the order within each kind changes no access). The group and the AI/AR flags are not
// compared: they change no access. The SDDL grammar is the model's
// (lab/sim/model), which parses what Windows' GetSecurityDescriptorSddlForm
// prints for file system objects; object and conditional ACEs are not
// parsed, and such a descriptor is never "the default".

// sd is a parsed security descriptor.
type sd struct {
	owner     win.SID
	null      bool
	protected bool
	aces      []win.ACE // as written, rights mapped for files
}

func parseSD(s string) (sd, error) {
	d, err := win.ParseSDDL(s)
	if err != nil {
		return sd{}, err
	}
	out := sd{owner: d.Owner, null: d.DACL.Null, protected: d.DACL.Protected()}
	for _, a := range d.DACL.ACEs {
		a.Mask = win.FileMapping.Map(a.Mask)
		out.aces = append(out.aces, a)
	}
	return out, nil
}

// explicit lists the ACEs that are not inherited: deny ACEs first, then
// allow ACEs, each group sorted (the order within a group changes no
// access, and Windows' editors do not keep it).
func (d sd) explicit() []win.ACE {
	var deny, allow []win.ACE
	for _, a := range d.aces {
		switch {
		case a.Flags&win.Inherited != 0:
		case a.Type == win.AccessDenied:
			deny = append(deny, a)
		default:
			allow = append(allow, a)
		}
	}
	byText := func(a, b win.ACE) int { return strings.Compare(a.String(), b.String()) }
	slices.SortFunc(deny, byText)
	slices.SortFunc(allow, byText)
	return append(deny, allow...)
}

// sameSD reports whether actual is def by meaning (see above). The owner
// is compared only when def names one. It says why not.
func sameSD(actual, def string) (bool, string) {
	a, err := parseSD(actual)
	if err != nil {
		return false, fmt.Sprintf("cannot read %q: %v", actual, err)
	}
	d, err := parseSD(def)
	if err != nil {
		return false, fmt.Sprintf("cannot read the default %q: %v", def, err)
	}
	switch {
	case d.owner != "" && a.owner != d.owner:
		return false, fmt.Sprintf("owner is %s, default %s", a.owner, d.owner)
	case a.null != d.null:
		return false, "NULL DACL"
	case a.protected != d.protected && a.protected:
		return false, "DACL is protected (inherits nothing); the default inherits"
	case a.protected != d.protected:
		return false, "DACL inherits; the default is protected"
	}
	ae, de := a.explicit(), d.explicit()
	if !slices.Equal(ae, de) {
		return false, fmt.Sprintf("explicit ACEs %s, default %s", aceList(ae), aceList(de))
	}
	return true, ""
}

func aceList(aces []win.ACE) string {
	if len(aces) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, a := range aces {
		b.WriteString(a.String())
	}
	return b.String()
}

// Well-known SIDs the checks use.
const (
	sidSystem   = win.SIDSystem
	sidAdmins   = win.SIDAdministrators
	sidUsers    = win.SIDUsers
	sidEveryone = win.SIDEveryone
	sidAuth     = win.SIDAuthenticatedUsers
	sidInteract = win.SIDInteractive
)

// tokenSIDs are the enabled group SIDs of the token that writes for a
// context (D: "LocalSystem Account", "How User Account Control works": a
// filtered admin token has Administrators deny-only).
func tokenSIDs(context, userSID string) []win.SID {
	switch context {
	case ops.ContextSystem:
		return []win.SID{sidSystem, sidAdmins, sidEveryone, sidAuth}
	case ops.ContextAdminElevated:
		return []win.SID{win.SID(userSID), sidAdmins, sidUsers, sidEveryone, sidAuth, sidInteract}
	}
	return []win.SID{win.SID(userSID), sidUsers, sidEveryone, sidAuth, sidInteract}
}

// canCreateFiles reports whether a token holding sids may create files in
// a folder with the descriptor s: [MS-DTYP] 2.5.3.2's access check for the
// single right FILE_ADD_FILE, where the first ACE that applies to the
// folder, matches a SID and covers the right decides (D). CREATOR OWNER
// never matches a token. An unreadable descriptor answers false.
func canCreateFiles(s string, sids ...win.SID) bool {
	d, err := parseSD(s)
	if err != nil {
		return false
	}
	if d.null {
		return true
	}
	for _, a := range d.aces {
		if a.Flags&win.InheritOnly != 0 || a.Mask&win.FileAddFile == 0 {
			continue
		}
		if slices.Contains(sids, a.SID) {
			return a.Type == win.AccessAllowed
		}
	}
	return false
}

// broadSIDs are the groups that hold (almost) every account: write
// rights for them beyond the default open the folder to everyone.
var broadSIDs = []win.SID{sidEveryone, sidAuth, sidUsers, sidInteract, win.SIDAnonymous, win.SIDGuests}

// writeRights are the rights that change a folder or what it holds.
const writeRights = win.FileWriteData | win.FileAppendData | win.FileWriteEA | win.FileWriteAttributes |
	win.FileDeleteChild | win.Delete | win.WriteDAC | win.WriteOwner

// scopes of an ACE: the folder itself, its subfolders, its files.
const (
	scopeSelf = iota
	scopeFolders
	scopeFiles
)

var scopeNames = [3]string{"the folder", "its subfolders", "its files"}

// granted is the rights allow ACEs give sid, per scope.
func (d sd) granted(sid win.SID) [3]win.AccessMask {
	var g [3]win.AccessMask
	for _, a := range d.aces {
		if a.Type != win.AccessAllowed || a.SID != sid {
			continue
		}
		if a.Flags&win.InheritOnly == 0 {
			g[scopeSelf] |= a.Mask
		}
		if a.Flags&win.ContainerInherit != 0 {
			g[scopeFolders] |= a.Mask
		}
		if a.Flags&win.ObjectInherit != 0 {
			g[scopeFiles] |= a.Mask
		}
	}
	return g
}

// overBroad lists the write rights actual gives a broad group (Everyone,
// Users, ...) that def does not, per scope; nil when none. Without a
// default (def ""), any write right for Everyone, Anonymous or Guests is
// over-broad.
func overBroad(actual, def string) []string {
	a, err := parseSD(actual)
	if err != nil {
		return nil
	}
	if a.null {
		return []string{"NULL DACL: everyone has full control"}
	}
	var d sd
	sids := broadSIDs
	if def != "" {
		if d, err = parseSD(def); err != nil {
			return nil
		}
	} else {
		sids = []win.SID{sidEveryone, win.SIDAnonymous, win.SIDGuests}
	}
	var out []string
	for _, sid := range sids {
		ga, gd := a.granted(sid), d.granted(sid)
		for sc := range ga {
			if extra := ga[sc] &^ gd[sc] & writeRights; extra != 0 {
				name, ok := win.WellKnownName(sid)
				if !ok {
					name = string(sid)
				}
				out = append(out, fmt.Sprintf("%s gains %s on %s", name, win.FormatRights(extra), scopeNames[sc]))
			}
		}
	}
	return out
}
