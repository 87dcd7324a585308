package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// stepCheckLogon logs the lab's standard user on interactively once
// (user.logon, with its password beside the op, never in it), as the
// standard-user context does: the account needs the user right "Allow log
// on locally" (SeInteractiveLogonRight), which Users hold by default on
// workstations and member or stand-alone servers but not on domain
// controllers nor under hardened baselines. A refused logon fails the
// build, naming the right. The logon also creates the user's profile.
type stepCheckLogon struct{}

func (s *stepCheckLogon) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess, cfg := uiOf(state), sessionOf(state), configOf(state)
	ui.Say(fmt.Sprintf("Logging %s on interactively...", cfg.StandardUser))
	ctx = lab.WithLogons(ctx, ops.Logon{User: cfg.StandardUser, Password: cfg.StandardPassword})
	res, err := sess.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpUserLogon, ops.UserLogonArgs{Name: cfg.StandardUser})})
	if err != nil {
		return halt(state, fmt.Errorf("log the standard user on: %w", err))
	}
	var logon ops.UserLogon
	if err := res[0].Decode(&logon); err != nil {
		return halt(state, fmt.Errorf("log the standard user %s on: %w", cfg.StandardUser, err))
	}
	if !logon.OK {
		return halt(state, fmt.Errorf("the standard-user context cannot run: %s", logon.Problem()))
	}
	ui.Message(fmt.Sprintf("%s logs on interactively; its profile is %s.", logon.Name, logon.Profile))
	return multistep.ActionContinue
}

func (s *stepCheckLogon) Cleanup(multistep.StateBag) {}
