package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab/ops"
)

// stepInstallModule installs the op module at ops.ModulePath when the
// host's copy is missing or differs (the batch answers "module missing"
// and the session uploads it), and reads host.info in the same batch.
type stepInstallModule struct{}

func (s *stepInstallModule) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say(fmt.Sprintf("Installing the msilab op module at %s (SHA-256 %s) if the host's copy differs...", ops.ModulePath, ops.ModuleSHA256))
	res, err := sess.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpHostInfo, nil)})
	if err != nil {
		return halt(state, fmt.Errorf("install the op module: %w", err))
	}
	var info ops.HostInfo
	if err := res[0].Decode(&info); err != nil {
		return halt(state, fmt.Errorf("read host.info: %w", err))
	}
	if sess.moduleUploads > 0 {
		ui.Message("Op module installed.")
	} else {
		ui.Message("Op module already current.")
	}
	state.Put(keyHostInfo, info)
	return multistep.ActionContinue
}

func (s *stepInstallModule) Cleanup(multistep.StateBag) {}
