package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/msilab/msilab/win"
)

// User rights of the local security policy that decide which logons an
// account may make, and LogonUser's check of them.

// User rights (D: "User Rights Assignment", the constants' names).
const (
	// RightInteractiveLogon is "Allow log on locally".
	RightInteractiveLogon = "SeInteractiveLogonRight"
	// RightDenyInteractiveLogon is "Deny log on locally".
	RightDenyInteractiveLogon = "SeDenyInteractiveLogonRight"
	// RightBatchLogon is "Log on as a batch job".
	RightBatchLogon = "SeBatchLogonRight"
	// RightDenyBatchLogon is "Deny log on as a batch job".
	RightDenyBatchLogon = "SeDenyBatchLogonRight"
)

// Well-known groups that hold logon rights by default (D: "Well-known SIDs").
const (
	SIDBackupOperators     win.SID = "S-1-5-32-551"
	sidPerformanceLogUsers win.SID = "S-1-5-32-559"
)

// defaultRights: "Allow log on locally" is Administrators, Backup Operators
// and Users on workstations and on member and stand-alone servers (D:
// "Allow log on locally", its default values; domain controllers differ and
// are not modelled). "Log on as a batch job" is Administrators, Backup
// Operators and Performance Log Users (D: docs/evidence.md#E-batch-logon).
// The deny rights name nobody (G).
func defaultRights() map[string][]win.SID {
	return map[string][]win.SID{
		RightInteractiveLogon:     {win.SIDAdministrators, SIDBackupOperators, win.SIDUsers},
		RightDenyInteractiveLogon: nil,
		RightBatchLogon:           {win.SIDAdministrators, SIDBackupOperators, sidPerformanceLogUsers},
		RightDenyBatchLogon:       nil,
	}
}

// LogonUser's failures (D: System Error Codes 1000-1299 and 1300-1699).
const (
	ErrorLogonFailure        Errno = 1326 // ERROR_LOGON_FAILURE: unknown user name or bad password
	ErrorAccountDisabled     Errno = 1331 // ERROR_ACCOUNT_DISABLED
	ErrorLogonTypeNotGranted Errno = 1385 // ERROR_LOGON_TYPE_NOT_GRANTED
)

func init() {
	errnoText[ErrorLogonFailure] = "The user name or password is incorrect."
	errnoText[ErrorAccountDisabled] = "This user can't sign in because this account is currently disabled."
	errnoText[ErrorLogonTypeNotGranted] = "Logon failure: the user has not been granted the requested logon type at this computer."
}

// Logon failures; match them with errors.Is.
var (
	ErrLogonFailure    = errors.New("model: the user name or password is incorrect")
	ErrAccountDisabled = errors.New("model: the account is disabled")
	ErrLogonNotGranted = errors.New("model: the user has not been granted the requested logon type at this computer")
)

// LogonError is a refused LogonUser. Right names the user right that
// refused it (a missing allow right, or a deny right held).
type LogonError struct {
	User  string
	Code  Errno
	Right string
	Err   error
}

func (e *LogonError) Error() string {
	if e.Right != "" {
		return fmt.Sprintf("LogonUser %s: %v (%s; win32 %d)", e.User, e.Err, e.Right, uint32(e.Code))
	}
	return fmt.Sprintf("LogonUser %s: %v (win32 %d)", e.User, e.Err, uint32(e.Code))
}

func (e *LogonError) Unwrap() error { return e.Err }

// Rights is the machine's user rights assignment.
type Rights struct{ m *Machine }

// Rights returns the user rights assignment.
func (m *Machine) Rights() Rights { return Rights{m} }

// Holders lists the SIDs a right is assigned to.
func (r Rights) Holders(right string) []win.SID {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	return slices.Clone(r.m.st.rights[right])
}

// Set assigns a right to exactly sids; it needs an admin token.
func (r Rights) Set(tok *win.Token, right string, sids []win.SID) error {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	if !tok.IsAdmin() {
		return deniedErr("LsaAddAccountRights", right, win.KeyWrite, tok)
	}
	r.m.st.rights[right] = slices.Clone(sids)
	return nil
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
	for right := range m.st.rights {
		if m.holds(*a, right) {
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
	sids := slices.DeleteFunc(slices.Clone(m.st.rights[right]), func(s win.SID) bool { return s == sid })
	if grant {
		sids = append(sids, sid)
	}
	m.st.rights[right] = sids
}

// holds reports whether the account, through itself or a group it is in,
// is assigned a right. Rights are checked against all its groups, before
// UAC filters any (D: "User Rights Assignment" applies to group members).
func (m *Machine) holds(a User, right string) bool {
	kind := win.KindStandardUser
	if a.Admin {
		kind = win.KindAdminElevated
	}
	tok := win.NewToken(win.TokenSpec{Kind: kind, User: a.SID, Domain: m.domain})
	for _, s := range m.st.rights[right] {
		if tok.MatchesDeny(s) {
			return true
		}
	}
	return false
}

// LogonInteractive is LogonUser(LOGON32_LOGON_INTERACTIVE): the account
// must exist and be enabled, the password must be its own, and it must be
// allowed to log on locally and not denied it (D: LogonUser; "Allow log on
// locally"). It returns the account.
func (u Users) LogonInteractive(name, password string) (User, error) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	p := u.m.st.users[strings.ToLower(name)]
	switch {
	case p == nil || p.Password != password:
		return User{}, &LogonError{User: name, Code: ErrorLogonFailure, Err: ErrLogonFailure}
	case !p.Enabled:
		return User{}, &LogonError{User: name, Code: ErrorAccountDisabled, Err: ErrAccountDisabled}
	case !u.m.holds(*p, RightInteractiveLogon):
		return User{}, &LogonError{User: name, Code: ErrorLogonTypeNotGranted, Right: RightInteractiveLogon, Err: ErrLogonNotGranted}
	case u.m.holds(*p, RightDenyInteractiveLogon):
		return User{}, &LogonError{User: name, Code: ErrorLogonTypeNotGranted, Right: RightDenyInteractiveLogon, Err: ErrLogonNotGranted}
	}
	return *p, nil
}

func rightLines(out *[]string, st *state) {
	for _, r := range slices.Sorted(maps.Keys(st.rights)) {
		sids := make([]string, len(st.rights[r]))
		for i, s := range st.rights[r] {
			sids[i] = string(s)
		}
		*out = append(*out, fmt.Sprintf("right %s = %s", r, strings.Join(sids, ",")))
	}
}
