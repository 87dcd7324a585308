package sim

import (
	"context"
	"encoding/json"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpUserEnsure, userEnsure)
	registerOp(ops.OpUserGet, userGet)
}

func userInfo(name string, u model.User, ok bool) ops.User {
	if !ok {
		return ops.User{Name: name}
	}
	return ops.User{Name: u.Name, Exists: true, SID: string(u.SID), Admin: u.Admin, Enabled: u.Enabled, Profile: u.Profile}
}

func userEnsure(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.UserEnsureArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name, "password", a.Password); err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
	prior, existed := h.m.Users().Lookup(a.Name)
	u, err := h.m.Users().Ensure(tok, model.UserSpec{Name: a.Name, Password: a.Password, Admin: a.Admin})
	if err != nil {
		return nil, opError(err)
	}
	return ops.UserEnsured{Before: userInfo(a.Name, prior, existed), User: userInfo(a.Name, u, true), Created: !existed}, nil
}

func userGet(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.UserArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	u, ok := h.m.Users().Lookup(a.Name)
	return userInfo(a.Name, u, ok), nil
}
