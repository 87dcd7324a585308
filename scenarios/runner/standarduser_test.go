package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/scenarios/results"
	"github.com/msilab/msilab/win"
)

// TestStandardUserIsAnAdministrator: lab.yaml cannot know whether its
// standard_user is an administrator on the host; user.ensure refuses one
// there, and the run says so in lab.yaml's words, leaving the account as
// it was.
func TestStandardUserIsAnAdministrator(t *testing.T) {
	pool, srv, _ := gatedHost(t, "win11-24h2")
	m := srv.Host().Machine()
	if _, err := m.Users().Ensure(win.SystemToken(), model.UserSpec{Name: "msilab-user", Password: "Admin-Passw0rd!", Admin: true}); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), pool, builtinCells(t, "clean-host", "win11-24h2"), Options{Out: t.TempDir(), Retries: 0})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Cells) == 0 {
		t.Fatal("no cells")
	}
	for _, c := range sum.Cells {
		if c.Status != results.StatusInfra || !strings.Contains(c.Reason, `standard_user "msilab-user" (lab.yaml) is an administrator on the host`) {
			t.Errorf("%s: %s: %s", c.ID, c.Status, c.Reason)
		}
	}
	if u, _ := m.Users().Lookup("msilab-user"); !u.Admin || u.Password != "Admin-Passw0rd!" {
		t.Errorf("the administrator was changed: %+v", u)
	}
}
