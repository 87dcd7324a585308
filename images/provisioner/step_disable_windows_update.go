package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab/ops"
)

// WindowsUpdatePolicyKey is the Automatic Updates policy key; NoAutoUpdate
// = 1 turns automatic updates off.
// https://learn.microsoft.com/windows/deployment/update/waas-wu-settings#configuring-automatic-updates-by-editing-the-registry
const WindowsUpdatePolicyKey = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU`

// stepDisableWindowsUpdate makes sure automatic updates stay off. The
// answer file's first-logon command disable-windows-update.ps1 already
// stopped and disabled them before WinRM came up (so before Packer and
// this provisioner); this sets the policy again if it is missing. An
// update installing during the build holds Global\_MSIExecute (the
// mutex-held fault's mutex), and one staged for the next restart would
// change the build, UBR and msi.dll version the manifest records.
type stepDisableWindowsUpdate struct{}

func (s *stepDisableWindowsUpdate) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say(fmt.Sprintf(`Keeping automatic updates off: %s\NoAutoUpdate = 1...`, WindowsUpdatePolicyKey))
	op := ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: WindowsUpdatePolicyKey, Name: "NoAutoUpdate", Type: "REG_DWORD", Number: 1})
	res, err := sess.RunBatch(ctx, []ops.Op{op})
	if err != nil {
		return halt(state, fmt.Errorf("turn automatic updates off: %w", err))
	}
	var change ops.RegistryValueChange
	if err := res[0].Decode(&change); err != nil {
		return halt(state, fmt.Errorf("turn automatic updates off: %w", err))
	}
	if change.Before.Exists && change.Before.Type == "REG_DWORD" && change.Before.Number == 1 {
		ui.Message("Already off (the first-logon command set it).")
	} else {
		ui.Message("The policy was not set: the first-logon command disable-windows-update.ps1 did not run; set now.")
	}
	return multistep.ActionContinue
}

func (s *stepDisableWindowsUpdate) Cleanup(multistep.StateBag) {}
