package provisioner

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// stepCheckHost checks that the machine is the OS profile the template
// says (build number, client or server edition) and that the WinRM
// session holds a full administrator token.
type stepCheckHost struct{}

func (s *stepCheckHost) Run(_ context.Context, state multistep.StateBag) multistep.StepAction {
	ui, cfg := uiOf(state), configOf(state)
	info := state.Get(keyHostInfo).(ops.HostInfo)
	ui.Say(fmt.Sprintf("Host %s: %s (%s), build %s, msi.dll %s; connected as %s", info.Hostname, info.ProductName,
		info.Edition, info.Build, info.MsiVersion, info.User))
	if err := checkHost(cfg.OSProfile, info); err != nil {
		return halt(state, err)
	}
	return multistep.ActionContinue
}

func (s *stepCheckHost) Cleanup(multistep.StateBag) {}

// checkHost compares host.info with the OS profile.
func checkHost(profile string, info ops.HostInfo) error {
	p, err := win.LookupProfile(profile)
	if err != nil {
		return err
	}
	if !info.Elevated {
		return fmt.Errorf("the WinRM session of %s is not elevated: the lab needs a full administrator token "+
			"(a local administrator other than the built-in one needs LocalAccountTokenFilterPolicy = 1)", info.User)
	}
	if info.Profile != "" && info.Profile != p.Name {
		return fmt.Errorf("the host is a simulated %s, not %s", info.Profile, p.Name)
	}
	// host.info's build is 10.0.<build>.<UBR>.
	parts := strings.Split(info.Build, ".")
	if len(parts) < 3 || parts[2] != fmt.Sprint(p.Build) {
		return fmt.Errorf("the host's build is %s, not %s's 10.0.%d: is the ISO the right Windows version?", info.Build, p.Name, p.Build)
	}
	server := strings.HasPrefix(strings.ToLower(info.Edition), "server")
	if want := p.Edition == win.EditionServer; server != want {
		return fmt.Errorf("the host's edition is %s, but %s is a %s edition: is the ISO the right Windows version?", info.Edition, p.Name, p.Edition)
	}
	return nil
}
