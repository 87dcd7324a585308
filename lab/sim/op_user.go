package sim

import (
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpUserEnsure, typed(func(a ops.UserEnsureArgs) error { return required("name", a.Name, "password", a.Password) },
		func(c opCall, a ops.UserEnsureArgs) (any, error) {
			users := c.h.m.Users()
			prior, existed := users.Lookup(a.Name)
			u, err := users.Ensure(c.tok, model.UserSpec{Name: a.Name, Password: a.Password, Admin: a.Admin})
			if err != nil {
				return nil, opError(err)
			}
			return ops.UserEnsured{Before: userInfo(a.Name, prior, existed), User: userInfo(a.Name, u, true), Created: !existed}, nil
		}))
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
			return userInfo(a.Name, u, ok), nil
		}))
}

func userInfo(name string, u model.User, ok bool) ops.User {
	if !ok {
		return ops.User{Name: name}
	}
	return ops.User{Name: u.Name, Exists: true, SID: string(u.SID), Admin: u.Admin, Enabled: u.Enabled, Profile: u.Profile}
}
