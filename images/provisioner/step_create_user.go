package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab/ops"
)

// stepCreateUser makes sure the lab's standard user exists, with the
// configured password, as a member of Users only (user.ensure).
type stepCreateUser struct{}

func (s *stepCreateUser) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess, cfg := uiOf(state), sessionOf(state), configOf(state)
	ui.Say(fmt.Sprintf("Creating the lab's standard user %s...", cfg.StandardUser))
	op := ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: cfg.StandardUser, Password: cfg.StandardPassword})
	res, err := sess.RunBatch(ctx, []ops.Op{op})
	if err != nil {
		return halt(state, fmt.Errorf("create the standard user: %w", err))
	}
	var got ops.UserEnsured
	if err := res[0].Decode(&got); err != nil {
		return halt(state, fmt.Errorf("create the standard user %s: %w", cfg.StandardUser, err))
	}
	if got.User.Admin {
		return halt(state, fmt.Errorf("the standard user %s is an administrator: the lab's standard-user context needs a member of Users only", cfg.StandardUser))
	}
	if got.Created {
		ui.Message(fmt.Sprintf("Created %s (%s).", got.User.Name, got.User.SID))
	} else {
		ui.Message(fmt.Sprintf("%s (%s) already existed; its password was set.", got.User.Name, got.User.SID))
	}
	state.Put(keyStandardUser, got.User)
	return multistep.ActionContinue
}

func (s *stepCreateUser) Cleanup(multistep.StateBag) {}
