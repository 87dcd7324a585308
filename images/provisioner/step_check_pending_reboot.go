package provisioner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// RebootPendingKeys exist while servicing or Windows Update waits for a
// restart to finish what it staged.
var RebootPendingKeys = []string{
	`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending`,
	`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired`,
}

// stepCheckPendingReboot refuses to record a host with a restart pending:
// what is staged finishes at the image's shutdown or at a clone's first
// boot, and the build, UBR and msi.dll version would then no longer be the
// manifest's. The template restarts the machine (windows-restart) just
// before this provisioner, so its values are read after the last reboot.
type stepCheckPendingReboot struct{}

func (s *stepCheckPendingReboot) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say("Checking that no restart is pending...")
	if err := checkPendingReboot(ctx, sess); err != nil {
		return halt(state, err)
	}
	return multistep.ActionContinue
}

func (s *stepCheckPendingReboot) Cleanup(multistep.StateBag) {}

func checkPendingReboot(ctx context.Context, s lab.Session) error {
	var batch []ops.Op
	for _, k := range RebootPendingKeys {
		batch = append(batch, ops.MustNew(ops.OpRegistryList, ops.RegistryKeyArgs{Path: k}))
	}
	res, err := s.RunBatch(ctx, batch)
	if err != nil {
		return fmt.Errorf("check for a pending restart: %w", err)
	}
	var pending []string
	for i, k := range RebootPendingKeys {
		var key ops.RegistryKey
		if err := res[i].Decode(&key); err != nil {
			if errors.Is(err, &ops.Error{Code: ops.CodeNotFound}) {
				continue
			}
			return fmt.Errorf("check for a pending restart (%s): %w", k, err)
		}
		if key.Exists {
			pending = append(pending, k)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("a restart is pending (%s): updates staged during the build would finish at shutdown or at a "+
			"clone's first boot and change the build, UBR and msi.dll version this manifest records. Restart the machine "+
			"before the msilab provisioner (the template's windows-restart provisioner does) with automatic updates off",
			strings.Join(pending, ", "))
	}
	return nil
}
