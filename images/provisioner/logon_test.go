package provisioner_test

import (
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// TestProvisionLogonRight: a host whose policy does not let Users log on
// locally (a hardened baseline) fails the build, naming the right the
// standard-user context needs.
func TestProvisionLogonRight(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "server2022")
	if err := srv.Host().Machine().Rights().Set(win.SystemToken(), model.RightInteractiveLogon, []win.SID{win.SIDAdministrators}); err != nil {
		t.Fatal(err)
	}
	r := provision(t, srv, "server2022")
	if r.err == nil || !strings.Contains(r.err.Error(), `lacks the user right "Allow log on locally" (SeInteractiveLogonRight)`) {
		t.Fatalf("Provision on a host without Allow log on locally for Users: %v", r.err)
	}
}
