package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/msilab/msilab/win"
)

// User rights of the local security policy: which SIDs hold each logon
// right. The model holds the two the install contexts depend on, with
// Windows' documented defaults (D: "Log on as a batch job" is granted to
// Administrators, Backup Operators and Performance Log Users; "Deny log on
// as a batch job" to nobody; docs/evidence.md#E-batch-logon).
const (
	RightBatchLogon     = "SeBatchLogonRight"
	RightDenyBatchLogon = "SeDenyBatchLogonRight"
)

const (
	sidBackupOperators     win.SID = "S-1-5-32-551"
	sidPerformanceLogUsers win.SID = "S-1-5-32-559"
)

func defaultRights() map[string][]win.SID {
	return map[string][]win.SID{
		RightBatchLogon:     {win.SIDAdministrators, sidBackupOperators, sidPerformanceLogUsers},
		RightDenyBatchLogon: nil,
	}
}

// UserRights lists the rights an account holds directly, through its
// groups (Users; Administrators for an administrator) or through Everyone
// and Authenticated Users, sorted; ok is false for an unknown account.
func (m *Machine) UserRights(name string) (u User, rights []string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.st.users[strings.ToLower(name)]
	if a == nil {
		return User{}, nil, false
	}
	holders := []win.SID{a.SID, win.SIDEveryone, win.SIDAuthenticatedUsers, win.SIDUsers}
	if a.Admin {
		holders = append(holders, win.SIDAdministrators)
	}
	for right, sids := range m.st.rightsOrDefault() {
		if slices.ContainsFunc(sids, func(s win.SID) bool { return slices.Contains(holders, s) }) {
			rights = append(rights, right)
		}
	}
	slices.Sort(rights)
	return *a, rights, true
}

// SetRight grants (or with grant false revokes) a right to a SID, as
// secpol.msc's User Rights Assignment does.
func (m *Machine) SetRight(right string, sid win.SID, grant bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := maps.Clone(m.st.rightsOrDefault())
	sids := slices.DeleteFunc(slices.Clone(r[right]), func(s win.SID) bool { return s == sid })
	if grant {
		sids = append(sids, sid)
	}
	r[right] = sids
	m.st.rights = r
}

func (st *state) rightsOrDefault() map[string][]win.SID {
	if st.rights == nil {
		return defaultRights()
	}
	return st.rights
}

// rightLines describe the rights that differ from the defaults.
func rightLines(out *[]string, st *state) {
	def := defaultRights()
	for _, right := range slices.Sorted(maps.Keys(st.rightsOrDefault())) {
		sids := slices.Clone(st.rightsOrDefault()[right])
		slices.Sort(sids)
		want := slices.Clone(def[right])
		slices.Sort(want)
		if !slices.Equal(sids, want) {
			*out = append(*out, fmt.Sprintf("right %s = %v", right, sids))
		}
	}
}
