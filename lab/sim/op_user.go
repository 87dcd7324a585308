package sim

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	registerOp(ops.OpUserEnsure, typed(func(a ops.UserEnsureArgs) error { return required("name", a.Name, "password", a.Password) },
		func(c opCall, a ops.UserEnsureArgs) (any, error) {
			users := c.h.m.Users()
			prior, existed := users.Lookup(a.Name)
			if existed {
				if err := notAdministrator(c, prior); err != nil {
					return nil, err
				}
			}
			u, err := users.Ensure(c.tok, model.UserSpec{Name: a.Name, Password: a.Password})
			if err != nil {
				return nil, opError(err)
			}
			return ops.UserEnsured{Before: c.h.userInfo(a.Name, prior, existed), User: c.h.userInfo(a.Name, u, true), Created: !existed}, nil
		}))
	registerOp(ops.OpUserLogon, userLogon)
	registerOp(ops.OpUserRights, typed(func(a ops.UserArgs) error { return required("name", a.Name) },
		func(c opCall, a ops.UserArgs) (any, error) {
			u, rights, ok := c.h.m.UserRights(a.Name)
			if !ok {
				return ops.UserRights{Name: a.Name, Rights: []string{}}, nil
			}
			if rights == nil {
				rights = []string{}
			}
			return ops.UserRights{Name: u.Name, Exists: true, SID: string(u.SID), Rights: rights}, nil
		}))
	registerOp(ops.OpUserGet, typed(func(a ops.UserArgs) error { return required("name", a.Name) },
		func(c opCall, a ops.UserArgs) (any, error) {
			u, ok := c.h.m.Users().Lookup(a.Name)
			return c.h.userInfo(a.Name, u, ok), nil
		}))
}

// userInfo is user.get's answer; admin is membership of Administrators
// by SID, as the module tests it through the WinNT provider.
func (h *Host) userInfo(name string, u model.User, ok bool) ops.User {
	if !ok {
		return ops.User{Name: name}
	}
	admin := h.m.Users().IsMember(win.SIDAdministrators, u.SID)
	return ops.User{Name: u.Name, Exists: true, SID: string(u.SID), Admin: admin, Enabled: u.Enabled, Profile: u.Profile}
}

// notAdministrator refuses (Conflict) the account running the batch and
// any administrator: a member of Administrators by SID, or the built-in
// Administrator (RID 500) even if removed from it. user.ensure resets
// the password of the account it ensures and keeps it out of
// Administrators, which it must never do to an administrator.
func notAdministrator(c opCall, u model.User) error {
	switch {
	case u.SID == c.tok.User:
		return &ops.Error{Code: ops.CodeConflict, Message: "user " + u.Name + " runs this batch (the connecting account); msilab changes neither it nor any administrator"}
	case u.SID.RID() == 500:
		return &ops.Error{Code: ops.CodeConflict, Message: "user " + u.Name + " is the built-in administrator (RID 500); msilab changes only a standard user"}
	case c.h.m.Users().IsMember(win.SIDAdministrators, u.SID):
		return &ops.Error{Code: ops.CodeConflict, Message: "user " + u.Name + " is an administrator (a member of Administrators, S-1-5-32-544); msilab changes only a standard user"}
	}
	return nil
}

// userLogon is user.logon: LogonUser(LOGON32_LOGON_INTERACTIVE) with the
// batch's password, then LoadUserProfile and UnloadUserProfile, as the
// module does. A refused logon is a result naming the right.
func userLogon(ctx context.Context, h *Host, s Session, raw json.RawMessage) (any, error) {
	var a ops.UserLogonArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	u, ok := h.m.Users().Lookup(a.Name)
	if !ok {
		return nil, &ops.Error{Code: ops.CodeNotFound, Message: "no local user " + a.Name + " (user.ensure creates it)", Win32: 1332}
	}
	out := ops.UserLogon{Name: u.Name, SID: string(u.SID), Logon: ops.LogonInteractive}
	password, ok := logonPassword(ctx, u.Name)
	if !ok {
		return nil, invalidArgs("no password for " + u.Name + " in the batch's logons: the interactive logon needs it")
	}
	if _, err := h.m.Users().LogonInteractive(u.Name, password); err != nil {
		var le *model.LogonError
		if !errors.As(err, &le) {
			return nil, opError(err)
		}
		var oe *ops.Error
		errors.As(logonOpError(u.Name, err), &oe)
		out.Right, out.Win32, out.Message = le.Right, int(le.Code), oe.Message
		return out, nil
	}
	kind := win.KindStandardUser
	if u.Admin {
		kind = win.KindAdminElevated
	}
	_, release, err := h.interactiveLogon(ctx, s, kind, u.Name)
	if err != nil {
		return nil, err
	}
	release()
	out.OK, out.Profile = true, u.Profile
	return out, nil
}
