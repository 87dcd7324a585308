package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// The logons of a batch (ops.Request.Logons), and the interactive logon
// that the interactive-logon contexts and user.logon make with them, as
// MsiLab.psm1 does: LogonUser(LOGON32_LOGON_INTERACTIVE), then
// LoadUserProfile.

type logonsKey struct{}

func withLogons(ctx context.Context, l []ops.Logon) context.Context {
	return context.WithValue(ctx, logonsKey{}, l)
}

// logonPassword is the password the batch gives for an account: the last
// logon whose name, after any HOST\ or .\, is the account's.
func logonPassword(ctx context.Context, account string) (string, bool) {
	l, _ := ctx.Value(logonsKey{}).([]ops.Logon)
	for i := len(l) - 1; i >= 0; i-- {
		if strings.EqualFold(bareUser(l[i].User), bareUser(account)) {
			return l[i].Password, true
		}
	}
	return "", false
}

// logonOpError is the op error the module gives for a refused LogonUser.
func logonOpError(user string, err error) error {
	var le *model.LogonError
	if !errors.As(err, &le) {
		return opError(err)
	}
	msg := fmt.Sprintf("LogonUser %s (interactive): %v", user, le.Code)
	switch le.Right {
	case model.RightInteractiveLogon:
		msg = fmt.Sprintf(`%s may not log on interactively: it lacks the user right "Allow log on locally" (%s)`, user, le.Right)
	case model.RightDenyInteractiveLogon:
		msg = fmt.Sprintf(`%s may not log on interactively: it holds the user right "Deny log on locally" (%s)`, user, le.Right)
	}
	return &ops.Error{Code: ops.CodeAccessDenied, Message: msg, Win32: int(le.Code)}
}

// filterAdminPolicy is where "User Account Control: Admin Approval Mode
// for the Built-in Administrator account" lives (D: FilterAdministratorToken,
// default 0, disabled).
const filterAdminPolicy = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System`

// interactiveLogon logs an account on interactively with the batch's
// password for it and loads its profile (its hive), as the module does;
// release unloads a hive it loaded. kind is the context's token kind: an
// administrator's interactive token is its UAC-filtered one, except for
// the built-in Administrator outside Admin Approval Mode, whose token is
// the full one: the module refuses it for admin-filtered, and so does this.
func (h *Host) interactiveLogon(ctx context.Context, s Session, kind win.TokenKind, user string) (*win.Token, func(), error) {
	password, ok := logonPassword(ctx, user)
	if !ok {
		return nil, nil, invalidArgs("no password for " + user + " in the batch's logons: the interactive logon needs it")
	}
	a, err := h.m.Users().LogonInteractive(user, password)
	if err != nil {
		return nil, nil, logonOpError(user, err)
	}
	if kind == win.KindAdminFiltered && a.SID.RID() == 500 {
		v, err := h.m.Registry().GetValue(nil, filterAdminPolicy, "FilterAdministratorToken")
		if err != nil || v.Num != 1 {
			return nil, nil, &ops.Error{Code: ops.CodeNotSupported, Message: user + "'s interactive token is not UAC-filtered (the built-in Administrator " +
				"outside Admin Approval Mode, or UAC turned off): admin-filtered needs another administrator account under UAC"}
		}
	}
	tok, err := h.m.LogonToken(kind, a.Name, win.LogonInteractive)
	if err != nil {
		return nil, nil, opError(err)
	}
	admin, err := h.token(s)
	if err != nil {
		return nil, nil, opError(err)
	}
	loaded, err := h.m.Registry().LoadUserHive(admin, a.SID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return nil, nil, opError(err)
	}
	release := func() {
		if loaded {
			_ = h.m.Registry().UnloadUserHive(admin, a.SID)
		}
	}
	return tok, release, nil
}
