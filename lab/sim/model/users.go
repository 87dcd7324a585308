package model

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/msilab/msilab/win"
	"slices"
	"strings"
)

// Local accounts. SIDs are <machine domain>-<RID>: Administrator is 500
// (D: "Well-known SIDs"), created accounts get 1000 and up (D: RIDs of
// local accounts start at 1000).

// User is a local account.
type User struct {
	Name     string
	SID      win.SID
	Password string
	Admin    bool // member of BUILTIN\Administrators
	Enabled  bool
	Profile  string // C:\Users\<name>; "" until the profile exists
}

// UserSpec describes an account to ensure.
type UserSpec struct {
	Name     string
	Password string
	Admin    bool
}

// Users are the local accounts.
type Users struct{ m *Machine }

// Users returns the local accounts.
func (m *Machine) Users() Users { return Users{m} }

// Lookup finds an account by name (case-insensitive).
func (u Users) Lookup(name string) (User, bool) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	a := u.m.st.users[strings.ToLower(name)]
	if a == nil {
		return User{}, false
	}
	return *a, true
}

// List returns the accounts sorted by RID.
func (u Users) List() []User {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	var out []User
	for _, a := range u.m.st.users {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b User) int { return int(a.SID.RID()) - int(b.SID.RID()) })
	return out
}

// Ensure creates the account if missing (or updates its password and
// admin membership), enables it and makes its profile: C:\Users\<name>
// with the OS profile's user_profile_sddl, AppData\Local\Temp inheriting
// it, all owned by the user (G), the user's TEMP/TMP in its hive's
// Environment key and the ProfileList entry. The user is not logged on, so
// its hive is left unloaded (hives.go). It needs an admin token.
func (u Users) Ensure(tok *win.Token, spec UserSpec) (User, error) {
	u.m.mu.Lock()
	defer u.m.mu.Unlock()
	if !tok.IsAdmin() { // nil-safe
		return User{}, deniedErr("NetUserAdd", spec.Name, win.KeyWrite, tok)
	}
	// A standalone Server enforces password complexity (win.CheckPasswordComplexity:
	// rules D, the default on Server R/G): a refused password changes
	// nothing, neither a new account nor an existing one's password.
	if u.m.profile.Edition == win.EditionServer {
		if err := win.CheckPasswordComplexity(spec.Password, spec.Name, ""); err != nil {
			return User{}, &PasswordPolicyError{Err: err}
		}
	}
	return u.m.ensureUser(spec, 0, true, false)
}

// ErrorPasswordTooShort is NERR_PasswordTooShort (2245), what NetUserAdd
// and NetUserSetInfo return for a password the policy refuses, complexity
// included (D: "Network Management Error Codes").
const ErrorPasswordTooShort Errno = 2245

// ErrPasswordPolicy is matched by *PasswordPolicyError.
var ErrPasswordPolicy = errors.New("model: the password does not meet the password policy requirements")

// PasswordPolicyError is a password the host's policy refuses.
type PasswordPolicyError struct{ Err error }

func (e *PasswordPolicyError) Error() string {
	return "The password does not meet the password policy requirements. Check the minimum password length, " +
		"password complexity and password history requirements. (" + e.Err.Error() + ")"
}

func (e *PasswordPolicyError) Is(target error) bool { return target == ErrPasswordPolicy }

func (e *PasswordPolicyError) Unwrap() []error { return []error{ErrorPasswordTooShort, e.Err} }

// ensureUser does Ensure; rid 0 picks the next free RID from 1000. A
// logged-on account's hive stays loaded.
func (m *Machine) ensureUser(spec UserSpec, rid uint32, profile, loggedOn bool) (User, error) {
	if spec.Name == "" || strings.ContainsAny(spec.Name, `\/"[]:|<>+=;,?*@`) {
		return User{}, pathErr("NetUserAdd", spec.Name, ErrorInvalidName, ErrInvalidName)
	}
	a := m.st.users[strings.ToLower(spec.Name)]
	if a == nil {
		if rid == 0 {
			rid = 1000
			for _, o := range m.st.users {
				if r := o.SID.RID(); r >= rid {
					rid = r + 1
				}
			}
		}
		a = &User{Name: spec.Name, SID: m.domain.WithRID(rid)}
		m.st.users[strings.ToLower(spec.Name)] = a
	}
	a.Password, a.Admin, a.Enabled = spec.Password, spec.Admin, true
	if profile {
		if err := m.makeProfile(a, loggedOn); err != nil {
			return User{}, err
		}
	}
	return *a, nil
}

func (m *Machine) makeProfile(a *User, loggedOn bool) (err error) {
	dir := `C:\Users\` + a.Name
	sddl := strings.ReplaceAll(m.profile.UserProfileSDDL, "<USER>", string(a.SID))
	steps := []struct {
		path, sddl string
		attrs      FileAttributes
	}{{dir, sddl, 0}, {dir + `\AppData`, "", AttrHidden}, {dir + `\AppData\Local`, "", 0},
		{dir + `\AppData\Local\Temp`, "", 0}}
	owner := win.NewToken(win.TokenSpec{Kind: win.KindStandardUser, User: a.SID, Domain: m.domain})
	for _, s := range steps {
		if m.st.exists(s.path) {
			continue
		}
		if _, err := m.setupDirAs(owner, s.path, s.sddl, s.attrs); err != nil {
			return err
		}
	}
	a.Profile = dir
	sys := win.SystemToken()
	loaded, err := m.loadHive(sys, a.SID)
	switch {
	case errors.Is(err, ErrNotFound): // a new profile: its hive is created below
		loaded = true
	case err != nil:
		return err
	}
	if loaded && !loggedOn {
		defer func() {
			if uerr := m.unloadHive(sys, a.SID); err == nil {
				err = uerr
			}
		}()
	}
	env := `HKU\` + string(a.SID) + `\Environment`
	prof := `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\` + string(a.SID)
	for _, k := range []string{env, prof, `HKU\` + string(a.SID) + `\Software\Microsoft`} {
		if err := m.createKey(sys, k); err != nil {
			return err
		}
	}
	for _, v := range []struct {
		key string
		val Value
	}{{env, ExpandSZ("TEMP", `%USERPROFILE%\AppData\Local\Temp`)},
		{env, ExpandSZ("TMP", `%USERPROFILE%\AppData\Local\Temp`)},
		{prof, ExpandSZ("ProfileImagePath", dir)}} {
		if _, err := m.getValue(sys, v.key, v.val.Name); err == nil {
			continue
		}
		if err := m.setValue(sys, v.key, v.val); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) exists(path string) bool {
	l, err := st.locate("stat", path)
	return err == nil && l.node != nil
}

// Token builds the token of a context for a local account. system ignores
// user. admin-elevated and admin-filtered need an administrator,
// standard-user a non-administrator (ErrTokenKind); an unknown or
// disabled account is ErrUnknownUser.
func (m *Machine) Token(kind win.TokenKind, user string) (*win.Token, error) {
	return m.LogonToken(kind, user, win.LogonDefault)
}

// LogonToken is Token for a logon of the given type (win.LogonDefault: the
// kind's usual one), whose logon group the token carries.
func (m *Machine) LogonToken(kind win.TokenKind, user string, logon win.LogonType) (*win.Token, error) {
	if kind == win.KindSystem {
		return m.profileToken(win.SystemToken(), logon)
	}
	m.mu.Lock()
	var a User
	if p := m.st.users[strings.ToLower(user)]; p != nil {
		a = *p
	}
	m.mu.Unlock()
	if a.SID == "" || !a.Enabled {
		return nil, fmt.Errorf("%w: %q", ErrUnknownUser, user)
	}
	switch kind {
	case win.KindAdminElevated, win.KindAdminFiltered:
		if !a.Admin {
			return nil, fmt.Errorf("%w: %s is not an administrator", ErrTokenKind, a.Name)
		}
	case win.KindStandardUser:
		if a.Admin {
			return nil, fmt.Errorf("%w: %s is an administrator", ErrTokenKind, a.Name)
		}
	default:
		return nil, fmt.Errorf("%w: unknown kind %q", ErrTokenKind, kind)
	}
	return m.profileToken(win.NewToken(win.TokenSpec{Kind: kind, User: a.SID, Domain: m.domain, Logon: logon}), logon)
}

// profileToken gives a token of a context's default logon the groups and
// privileges the OS profile holds for the context (a captured profile's),
// if any. Its logon SID is fixed per account and logon type (G: Windows
// makes one per logon; nothing the lab checks depends on its value).
func (m *Machine) profileToken(t *win.Token, logon win.LogonType) (*win.Token, error) {
	pt, ok := m.profile.Tokens[t.Kind]
	if !ok || logon != win.LogonDefault && logon != win.NewToken(win.TokenSpec{Kind: t.Kind}).Logon {
		return t, nil
	}
	logonSID := win.SID(fmt.Sprintf("S-1-5-5-0-%d", 0x10000+t.User.RID()*8+uint32(t.Logon)))
	if err := pt.Apply(t, m.domain, logonSID); err != nil {
		return nil, fmt.Errorf("model: the profile's %s token: %w", t.Kind, err)
	}
	return t, nil
}

func userLines(out *[]string, st *state) {
	for _, a := range st.users {
		pw := sha256.Sum256([]byte(a.Password))
		*out = append(*out, fmt.Sprintf("user %s sid=%s admin=%v enabled=%v profile=%q password=%x",
			strings.ToLower(a.Name), a.SID, a.Admin, a.Enabled, a.Profile, pw[:8]))
	}
}
