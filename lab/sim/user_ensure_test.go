package sim_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// user.ensure changes only a standard user: the account running the batch
// and every administrator (a member of BUILTIN\Administrators, the
// built-in Administrator) are refused as Conflict, and the host is left as
// it was (no password reset, no demotion).
func TestUserEnsureRefusesAdministrators(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2")
	m := h.Srv.Host().Machine()
	if _, err := m.Users().Ensure(win.SystemToken(), model.UserSpec{Name: "otheradmin", Password: "Other-Passw0rd!", Admin: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{h.Srv.User(), strings.ToUpper(h.Srv.User()), "otheradmin", "Administrator"} {
		before := m.State()
		res := h.Run(ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: name, Password: "New-Passw0rd!1"}))
		err := res[0].Decode(nil)
		if !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || !strings.Contains(err.Error(), "administrator") {
			t.Errorf("user.ensure %s: %v, want a Conflict saying it is an administrator", name, err)
		}
		if onlyBefore, onlyAfter := model.DiffState(before, m.State()); len(onlyBefore)+len(onlyAfter) > 0 {
			t.Errorf("user.ensure %s changed the host: -%v +%v", name, onlyBefore, onlyAfter)
		}
	}
	if u, _ := m.Users().Lookup(h.Srv.User()); !u.Admin {
		t.Errorf("the connecting account was demoted: %+v", u)
	}
	// A standard user is still ensured, again and again.
	for range 2 {
		if err := h.Run(ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ops.DefaultStandardUser, Password: testlab.StandardPassword}))[0].Decode(nil); err != nil {
			t.Fatal(err)
		}
	}
}

// An Administrators group holding an orphaned SID (a domain the host left)
// breaks Get-LocalGroupMember (PowerShell#2996), not user.ensure or
// user.get, which test membership by SID.
func TestUserEnsureOrphanedAdministratorsMember(t *testing.T) {
	h := testlab.NewSimHost(t, "server2022")
	m := h.Srv.Host().Machine()
	orphan := win.SID("S-1-5-21-1111111111-2222222222-3333333333-1105")
	if err := m.Users().AddGroupMember(win.SystemToken(), win.SIDAdministrators, orphan); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().LocalGroupMembers(win.SIDAdministrators); !errors.Is(err, model.ErrUnresolvedMember) {
		t.Fatalf("Get-LocalGroupMember on a group with an orphaned SID: %v, want its failure", err)
	}
	if !m.Users().IsMember(win.SIDAdministrators, orphan) {
		t.Fatal("the orphaned SID is not a member by SID")
	}
	res := h.Run(ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: "labuser2", Password: "Lab2-Passw0rd!"}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: "labuser2"}),
		ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: h.Srv.User(), Password: "New-Passw0rd!1"}))
	var got ops.UserEnsured
	if err := res[0].Decode(&got); err != nil || !got.Created || got.User.Admin {
		t.Fatalf("user.ensure on a host with an orphaned administrator: %+v %v", got, err)
	}
	var u ops.User
	if err := res[1].Decode(&u); err != nil || !u.Exists || u.Admin {
		t.Fatalf("user.get: %+v %v", u, err)
	}
	if err := res[2].Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) {
		t.Errorf("user.ensure on the connecting account: %v", err)
	}
	if members, _ := m.Users().LocalGroupMembers(win.SIDAdministrators); slices.Contains(members, win.SID(u.SID)) {
		t.Error("the standard user is an administrator")
	}
}
