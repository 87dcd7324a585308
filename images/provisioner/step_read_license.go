package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab/ops"
)

// stepReadLicense reads the Windows licence (host.license, what slmgr /dli
// shows) for the manifest: an evaluation licence runs on real time and a
// snapshot revert does not reset it, so the manifest records when it ends
// and doctor warns as it nears.
type stepReadLicense struct{}

func (s *stepReadLicense) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say("Reading the Windows licence...")
	res, err := sess.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpHostLicense, nil)})
	if err != nil {
		return halt(state, fmt.Errorf("read the licence: %w", err))
	}
	var l ops.HostLicense
	if err := res[0].Decode(&l); err != nil {
		return halt(state, fmt.Errorf("read the licence: %w", err))
	}
	lic, err := licenseOf(l)
	if err != nil {
		return halt(state, err)
	}
	switch {
	case lic.Evaluation:
		ui.Message(fmt.Sprintf("%s: an evaluation licence (%s), ending %s: it runs on real time, and reverting a snapshot does not give it time back.",
			lic.Name, lic.Status, lic.Expires))
	case lic.Expires != "":
		ui.Message(fmt.Sprintf("%s: %s, channel %s, current period ending %s.", lic.Name, lic.Status, lic.Channel, lic.Expires))
	default:
		ui.Message(fmt.Sprintf("%s: %s, channel %s.", lic.Name, lic.Status, lic.Channel))
	}
	state.Put(keyLicense, lic)
	return multistep.ActionContinue
}

func (s *stepReadLicense) Cleanup(multistep.StateBag) {}

// licenseOf is the manifest's record of host.license's result.
func licenseOf(l ops.HostLicense) (manifest.License, error) {
	expires, err := manifest.LicenseExpiry(l.ReadAt, l.GraceMinutes, l.EvaluationEnd)
	if err != nil {
		return manifest.License{}, err
	}
	return manifest.License{Name: l.Name, Description: l.Description, Channel: l.Channel, Status: l.Status,
		Evaluation: l.Evaluation, GraceMinutes: l.GraceMinutes, EvaluationEnd: l.EvaluationEnd, ReadAt: l.ReadAt,
		Expires: expires}, nil
}
