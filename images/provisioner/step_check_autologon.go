package provisioner

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// WinlogonKey holds the automatic logon settings.
// https://learn.microsoft.com/troubleshoot/windows-server/user-profiles-and-logon/turn-on-automatic-logon
const WinlogonKey = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`

// stepCheckAutoLogon checks that automatic logon is off and its password
// gone. The answer file logs the administrator on once, automatically, to
// run its first-logon commands; with LogonCount 1 Windows logs on
// automatically twice (Microsoft's documented LogonCount behaviour), and
// leaves AutoAdminLogon on, so the first-logon command
// disable-autologon.ps1 turns it off and removes the stored password.
// An image still logging on by itself would do so on every clone's boot.
type stepCheckAutoLogon struct{}

func (s *stepCheckAutoLogon) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say("Checking that automatic logon is off...")
	if err := checkAutoLogon(ctx, sess); err != nil {
		return halt(state, err)
	}
	return multistep.ActionContinue
}

func (s *stepCheckAutoLogon) Cleanup(multistep.StateBag) {}

func checkAutoLogon(ctx context.Context, s lab.Session) error {
	names := []string{"AutoAdminLogon", "AutoLogonCount", "DefaultPassword"}
	var batch []ops.Op
	for _, n := range names {
		batch = append(batch, ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: WinlogonKey, Name: n}))
	}
	res, err := s.RunBatch(ctx, batch)
	if err != nil {
		return fmt.Errorf("read the automatic logon settings: %w", err)
	}
	v := make([]ops.RegistryValue, len(names))
	for i := range names {
		if err := res[i].Decode(&v[i]); err != nil {
			return fmt.Errorf(`read %s\%s: %w`, WinlogonKey, names[i], err)
		}
	}
	var on []string
	if v[0].Exists && strings.TrimSpace(v[0].String) == "1" {
		on = append(on, "AutoAdminLogon = 1")
	}
	if v[1].Exists && v[1].Number > 0 {
		on = append(on, fmt.Sprintf("AutoLogonCount = %d", v[1].Number))
	}
	if v[2].Exists {
		on = append(on, "DefaultPassword is set (the administrator's password, readable in the registry)")
	}
	if len(on) > 0 {
		return fmt.Errorf(`automatic logon is still on (%s\%s): the image would log its administrator on at every `+
			"boot of a clone. The answer file's first-logon command disable-autologon.ps1 sets AutoAdminLogon = 0 and "+
			"AutoLogonCount = 0 and removes the stored password; did it run?", WinlogonKey, strings.Join(on, ", "))
	}
	return nil
}
