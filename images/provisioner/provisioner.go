// Package provisioner is msilab's Packer provisioner, `msilab`: it turns a
// fresh Windows install into a lab host and refuses to finish an image
// that is not clean.
//
// Through the communicator Packer opened (no second connection) it first
// gives C:\ProgramData\msilab its protected DACL (ops.HostDirSDDL), then
// installs the op module, checks the host (OS profile, elevation,
// automatic logon off, no restart pending) and keeps automatic updates
// off, creates the lab's standard user and logs it on once (naming a
// missing "Allow log on locally"), sets the Windows Installer logging
// policy, uploads the test packages, runs every fault's Detect (after
// waiting, with a bound, for an install in progress that is not msilab's)
// and fails the build naming any fault present, reads the licence, then
// records the image manifest (on the image and beside the build output)
// and a lab.yaml host entry. Each step is a step_<verb>_<noun>.go file, run in order by
// multistep.
package provisioner

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/packer-plugin-sdk/multistep"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
)

// Provisioner is the msilab provisioner.
type Provisioner struct {
	config Config
	// Now is the clock the manifest's time comes from (nil: time.Now).
	Now func() time.Time
}

var _ packersdk.Provisioner = (*Provisioner)(nil)

// ConfigSpec is the provisioner's HCL2 schema.
func (p *Provisioner) ConfigSpec() hcldec.ObjectSpec { return p.config.FlatMapstructure().HCL2Spec() }

// Prepare decodes and checks the configuration.
func (p *Provisioner) Prepare(raws ...interface{}) error { return p.config.prepare(raws...) }

// State bag keys.
const (
	keyUI            = "ui"
	keySession       = "session"
	keyConfig        = "config"
	keyNow           = "now"
	keyGeneratedData = "generated_data"
	keyError         = "error"
	keyHostInfo      = "host_info"
	keyStandardUser  = "standard_user"
	keyPackages      = "packages"
	keyBaseline      = "baseline"
	keyManifest      = "manifest"
	keyHostDir       = "host_dir"
	keyLicense       = "license"
)

// Provision runs the steps on the machine behind comm.
func (p *Provisioner) Provision(ctx context.Context, ui packersdk.Ui, comm packersdk.Communicator, generatedData map[string]interface{}) error {
	if t, ok := generatedData["ConnType"].(string); ok && t != "" && t != "winrm" {
		return fmt.Errorf("msilab provisioner: the %s communicator is not supported: lab images are provisioned over WinRM", t)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	state := new(multistep.BasicStateBag)
	state.Put(keyUI, ui)
	state.Put(keySession, newCommSession(comm))
	state.Put(keyConfig, &p.config)
	state.Put(keyNow, now)
	state.Put(keyGeneratedData, generatedData)
	runner := &multistep.BasicRunner{Steps: []multistep.Step{
		&stepSecureHostDir{},
		&stepInstallModule{},
		&stepCheckHost{},
		&stepCheckAutoLogon{},
		&stepDisableWindowsUpdate{},
		&stepCheckPendingReboot{},
		&stepCreateUser{},
		&stepCheckLogon{},
		&stepSetLoggingPolicy{},
		&stepUploadPackages{},
		&stepDetectFaults{},
		&stepReadLicense{},
		&stepWriteManifest{},
		&stepWriteLabHost{},
	}}
	runner.Run(ctx, state)
	if err, ok := state.GetOk(keyError); ok {
		return fmt.Errorf("msilab provisioner: %w", err.(error))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("msilab provisioner: %w", err)
	}
	return nil
}

// halt records err for Provision and stops the steps.
func halt(state multistep.StateBag, err error) multistep.StepAction {
	state.Put(keyError, err)
	uiOf(state).Error(err.Error())
	return multistep.ActionHalt
}

func uiOf(state multistep.StateBag) packersdk.Ui      { return state.Get(keyUI).(packersdk.Ui) }
func sessionOf(state multistep.StateBag) *commSession { return state.Get(keySession).(*commSession) }
func configOf(state multistep.StateBag) *Config       { return state.Get(keyConfig).(*Config) }
func nowOf(state multistep.StateBag) func() time.Time { return state.Get(keyNow).(func() time.Time) }
func generatedDataOf(state multistep.StateBag) map[string]interface{} {
	g, _ := state.Get(keyGeneratedData).(map[string]interface{})
	return g
}
