package faults

import (
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// UserTemp breaks the context user's %TEMP%: the msiexec client cannot
// create its temporary files and fails with 1632 before the service is
// reached (docs/evidence.md#E-user-temp).
type UserTemp struct {
	State string `json:"state" doc:"missing (the folder is renamed to Temp.msilab-hidden) or unwritable (a deny-write ACE for the user on the folder)"`
}

var _ Fault = (*UserTemp)(nil)

// States of user-temp.
const (
	UserTempMissing    = "missing"
	UserTempUnwritable = "unwritable"
)

var userTempStates = []string{UserTempMissing, UserTempUnwritable}

func init() {
	Register(Info{
		Name:    "user-temp",
		Summary: `the context user's %TEMP% (C:\Users\<user>\AppData\Local\Temp) is missing or not writable: exit 1632, log mostly empty`,
		Evidence: "docs/evidence.md#E-user-temp: per-user `%TEMP%` missing or unwritable for the client; 1632 " +
			"(code D, trigger R, details G)",
		Inject: `missing: path.move the user's Temp to Temp.msilab-hidden; unwritable: acl.set its DACL with (D;OICI;0x116;;;<user SID>) in front. ` +
			`Not for the system context (SYSTEM's %TEMP% is C:\Windows\Temp: use temp-acl)`,
		Revert: `missing: path.move Temp.msilab-hidden back to Temp; unwritable: acl.set the probed DACL`,
		New:    func() Fault { return &UserTemp{State: UserTempMissing} },
	})
}

// Validate checks the state.
func (f *UserTemp) Validate() error {
	for _, s := range userTempStates {
		if f.State == s {
			return nil
		}
	}
	return &ParamError{Param: "state", Value: jsonString(f.State), Want: "one of " + strings.Join(userTempStates, ", ")}
}

// userTempDir is the %TEMP% of a user's profile.
func userTempDir(user string) string { return `C:\Users\` + user + `\AppData\Local\Temp` }

// user is the context's account, or an error for the system context (or
// a Target without the account).
func (f *UserTemp) user(t Target) (string, error) {
	if t.Context == ops.ContextSystem {
		return "", &ContextError{Fault: "user-temp", Context: t.Context,
			Reason: `SYSTEM's %TEMP% is C:\Windows\Temp, which temp-acl breaks (user-temp would break it for every context)`}
	}
	u := t.ContextUser()
	if u == "" {
		return "", fmt.Errorf("faults: user-temp: the target names no user for the %q context", t.Context)
	}
	return u, nil
}

// Probe reads the user (SID, profile), the Temp folder, its hidden name
// and its ACL; nothing for the system context.
func (f *UserTemp) Probe(t Target) []ops.Op {
	u, err := f.user(t)
	if err != nil {
		return nil
	}
	dir := userTempDir(u)
	return append([]ops.Op{ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: u})}, append(hideProbe(dir), aclGet(dir))...)
}

// account decodes the probed user, who must exist with the profile the
// probe read.
func (f *UserTemp) account(name string, p Probe) (ops.User, error) {
	var u ops.User
	if err := p.result(0, ops.OpUserGet, &u); err != nil {
		return u, err
	}
	if !u.Exists {
		return u, hostState("no local user %s", name)
	}
	if want := `C:\Users\` + name; u.Profile != "" && !strings.EqualFold(u.Profile, want) {
		return u, hostState("%s's profile is %s, not %s", name, u.Profile, want)
	}
	return u, nil
}

// Inject hides the folder or denies the user write on it.
func (f *UserTemp) Inject(t Target, p Probe) ([]ops.Op, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	name, err := f.user(t)
	if err != nil {
		return nil, err
	}
	u, err := f.account(name, p)
	if err != nil {
		return nil, err
	}
	dir := userTempDir(name)
	if f.State == UserTempMissing {
		return hideInject(p, 1, dir)
	}
	_, d, err := readACL(p, 3)
	if err != nil {
		return nil, err
	}
	return []ops.Op{aclSet(dir, withFirst(d.DACL, denyWrite(win.SID(u.SID))))}, nil
}

// Revert moves the folder back or puts the probed DACL back.
func (f *UserTemp) Revert(t Target, undo Probe) ([]ops.Op, error) {
	name, err := f.user(t)
	if err != nil || len(undo) == 0 {
		return nil, nil // nothing was probed, so nothing was changed
	}
	if f.State == UserTempMissing {
		return hideRevert(undo, 1, userTempDir(name))
	}
	return revertACL(undo, 3)
}

// Detect reports whether the folder is missing, or whether the user can
// create files in it.
func (f *UserTemp) Detect(t Target, now Probe) (Detection, error) {
	name, err := f.user(t)
	if err != nil {
		return Detection{}, err
	}
	dir := userTempDir(name)
	if f.State == UserTempMissing {
		return hideDetect(now, 1, dir)
	}
	u, err := f.account(name, now)
	if err != nil {
		return Detection{}, err
	}
	a, d, err := readACL(now, 3)
	if err != nil {
		return Detection{}, err
	}
	// The user's own token: elevated for an administrator.
	kind := win.KindStandardUser
	if u.Admin {
		kind = win.KindAdminElevated
	}
	user := win.SID(u.SID)
	if !canCreateFiles(d, win.NewToken(win.TokenSpec{Kind: kind, User: user, Domain: user.Domain()})) {
		return Detection{Present: true, Evidence: aclEvidence(a, name+" cannot create files")}, nil
	}
	return Detection{Present: false, Evidence: aclEvidence(a, name+" can create files")}, nil
}
