package provisioner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// stepSecureHostDir gives ops.HostDir its security descriptor
// (ops.HostDirSDDL: owned by Administrators, a protected DACL, SYSTEM and
// Administrators full control, Users read and execute) before anything is
// written there: the op module, the packages and the manifest then inherit
// it, and no standard user can plant or replace them. C:\ProgramData's own
// ACL lets any user create files and folders. It runs ops.HostDirScript,
// which needs no op module, and checks what the folder has afterwards.
type stepSecureHostDir struct{}

func (s *stepSecureHostDir) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say(fmt.Sprintf("Securing %s: %s...", ops.HostDir, ops.HostDirSDDL))
	res, err := secureHostDir(ctx, sess, ops.HostDir)
	if err != nil {
		return halt(state, err)
	}
	if res.Created {
		ui.Message(fmt.Sprintf("Created %s with it.", res.Path))
	} else {
		ui.Message(fmt.Sprintf("%s existed (%s); set.", res.Path, res.Before))
	}
	state.Put(keyHostDir, res.After)
	return multistep.ActionContinue
}

func (s *stepSecureHostDir) Cleanup(multistep.StateBag) {}

// secureHostDir runs ops.HostDirScript on s for dir (ops.HostDir) and
// checks that the folder then grants what ops.HostDirSDDL grants. The
// request goes out as a batch's does, in ASCII (ops.EncodeJSON).
func secureHostDir(ctx context.Context, s lab.Session, dir string) (ops.HostDirResult, error) {
	var res ops.HostDirResult
	req, err := ops.EncodeJSON(ops.HostDirRequest{Path: dir, SDDL: ops.HostDirSDDL})
	if err != nil {
		return res, err
	}
	out, err := s.Run(ctx, lab.Command{Line: ops.EncodedCommand(ops.HostDirScript), Stdin: bytes.NewReader(req)})
	if err != nil {
		return res, fmt.Errorf("secure %s: %w", dir, err)
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Stdout), &res); err != nil {
		return res, fmt.Errorf("secure %s: the script's output %q: %w", dir, out.Stdout, err)
	}
	if err := checkHostDir(res.After); err != nil {
		return res, err
	}
	return res, nil
}

// checkHostDir compares the folder's owner and DACL (SDDL) with
// ops.HostDirSDDL by the rights they grant.
func checkHostDir(sddl string) error {
	want, err := win.ParseSDDL(ops.HostDirSDDL)
	if err != nil {
		return err
	}
	have, err := win.ParseSDDL(sddl)
	if err != nil {
		return fmt.Errorf("%s: its security descriptor %q: %w", ops.HostDir, sddl, err)
	}
	if ok, why := win.SameRights(have, want, win.FileMapping); !ok {
		return fmt.Errorf("%s does not have the security descriptor msilab sets (%s): %s; it has %s", ops.HostDir, ops.HostDirSDDL, why, sddl)
	}
	return nil
}
