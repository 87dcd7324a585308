package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab/ops"
)

// InstallerPolicyKey is the Windows Installer machine policy key.
const InstallerPolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`

// stepSetLoggingPolicy sets the Windows Installer Logging policy, so that
// every install on a lab host writes a verbose log, even one a scenario
// starts without /L*v.
type stepSetLoggingPolicy struct{}

func (s *stepSetLoggingPolicy) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say(fmt.Sprintf(`Setting the Windows Installer logging policy: %s\Logging = %s...`, InstallerPolicyKey, InstallerLogging))
	op := ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: InstallerPolicyKey, Name: "Logging", Type: "REG_SZ", String: InstallerLogging})
	res, err := sess.RunBatch(ctx, []ops.Op{op})
	if err != nil {
		return halt(state, fmt.Errorf("set the logging policy: %w", err))
	}
	var change ops.RegistryValueChange
	if err := res[0].Decode(&change); err != nil {
		return halt(state, fmt.Errorf("set the logging policy: %w", err))
	}
	if change.Before.Exists && change.Before.Type == "REG_SZ" && change.Before.String == InstallerLogging {
		ui.Message("The policy was already set.")
	}
	return multistep.ActionContinue
}

func (s *stepSetLoggingPolicy) Cleanup(multistep.StateBag) {}
