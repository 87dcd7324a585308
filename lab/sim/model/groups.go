package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/msilab/msilab/win"
)

// Local group membership beyond the local accounts' Admin flag: members a
// group holds by SID alone, such as an orphaned SID (an account of a
// domain the machine left, or a deleted Azure AD account), which no
// longer maps to a name. Get-LocalGroupMember fails on a group holding
// one: "Failed to compare two elements in the array" (R:
// PowerShell/PowerShell#2996, docs/evidence.md#E-localgroup-orphan), while
// the WinNT provider (ADSI) still lists its members' SIDs (R, same
// thread). IsMember is the latter, LocalGroupMembers the former.

// ErrUnresolvedMember is LocalGroupMembers' failure on a group holding a
// SID that maps to no account.
var ErrUnresolvedMember = errors.New("model: Failed to compare two elements in the array")

// AddGroupMember adds member to the local group (by SID) as a SID only,
// without a local account; it needs an admin token. Adding it again
// changes nothing.
func (u Users) AddGroupMember(tok *win.Token, group, member win.SID) error {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	if !tok.IsAdmin() {
		return deniedErr("NetLocalGroupAddMembers", string(group), win.KeyWrite, tok)
	}
	if !slices.Contains(u.m.st.groups[group], member) {
		u.m.st.groups[group] = append(u.m.st.groups[group], member)
	}
	return nil
}

// IsMember reports whether sid is a direct member of the local group, by
// SID, as the WinNT provider's Members answers it: a local account of
// Administrators by its Admin flag, any SID added by AddGroupMember.
func (u Users) IsMember(group, sid win.SID) bool {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	if slices.Contains(u.m.st.groups[group], sid) {
		return true
	}
	if group != win.SIDAdministrators {
		return false
	}
	for _, a := range u.m.st.users {
		if a.SID == sid {
			return a.Admin
		}
	}
	return false
}

// LocalGroupMembers lists the direct members of Administrators as
// Get-LocalGroupMember does: ErrUnresolvedMember when one of them maps to
// no account.
func (u Users) LocalGroupMembers(group win.SID) ([]win.SID, error) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	var out []win.SID
	if group == win.SIDAdministrators {
		for _, a := range u.m.st.users {
			if a.Admin {
				out = append(out, a.SID)
			}
		}
	}
	for _, s := range u.m.st.groups[group] {
		if u.m.lookupSID(s) == string(s) {
			return nil, fmt.Errorf("%w (member %s maps to no account)", ErrUnresolvedMember, s)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}

func groupLines(out *[]string, st *state) {
	for _, g := range slices.Sorted(maps.Keys(st.groups)) {
		for _, s := range st.groups[g] {
			*out = append(*out, fmt.Sprintf("group %s member %s", g, s))
		}
	}
}
