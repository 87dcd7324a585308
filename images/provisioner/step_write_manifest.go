package provisioner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/images/version"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// stepWriteManifest records the image manifest and writes it on the image
// (manifest.PathOnHost, checked by hash) and beside the build output.
type stepWriteManifest struct{}

func (s *stepWriteManifest) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess, cfg := uiOf(state), sessionOf(state), configOf(state)
	m := buildManifest(state)
	if err := m.Seal(); err != nil {
		return halt(state, err)
	}
	data, err := m.Encode()
	if err != nil {
		return halt(state, err)
	}
	ui.Say(fmt.Sprintf("Writing the image manifest (baseline SHA-256 %s) to %s and %s...", m.BaselineSHA256, manifest.PathOnHost, cfg.ManifestPath))
	if _, err := sess.Upload(ctx, bytes.NewReader(data), manifest.PathOnHost); err != nil {
		return halt(state, fmt.Errorf("write the manifest on the image: %w", err))
	}
	if err := writeLocal(cfg.ManifestPath, data); err != nil {
		return halt(state, err)
	}
	state.Put(keyManifest, m)
	return multistep.ActionContinue
}

func (s *stepWriteManifest) Cleanup(multistep.StateBag) {}

// buildManifest gathers what the earlier steps found.
func buildManifest(state multistep.StateBag) *manifest.Manifest {
	cfg := configOf(state)
	info := state.Get(keyHostInfo).(ops.HostInfo)
	user := state.Get(keyStandardUser).(ops.User)
	lic := state.Get(keyLicense).(manifest.License)
	return &manifest.Manifest{
		Schema:  manifest.SchemaVersion,
		Created: nowOf(state)().UTC(),
		Template: manifest.Template{Name: cfg.TemplateName, GitRevision: cfg.GitRevision,
			BuildName: cfg.PackerBuildName, Builder: cfg.PackerBuilderType},
		Tools: manifest.Tools{Plugin: version.PluginVersion.String(), Packer: cfg.PackerCoreVersion, OpModuleSHA256: ops.ModuleSHA256},
		Host: manifest.Host{OSProfile: cfg.OSProfile, Hostname: info.Hostname, ProductName: info.ProductName, Edition: info.Edition,
			Build: info.Build, DisplayVersion: info.DisplayVersion, MsiVersion: info.MsiVersion,
			MachineSID: string(win.SID(user.SID).Domain())},
		Lab: manifest.Lab{AdminUser: bareUser(info.User), StandardUser: manifest.User{Name: user.Name, SID: user.SID},
			InstallerLogging: InstallerLogging, HostDirSDDL: state.Get(keyHostDir).(string), AutomaticUpdates: "off",
			Packages: state.Get(keyPackages).([]manifest.Package)},
		License: lic,
		Doctor: manifest.Doctor{Same: manifest.DoctorSame, LicenseExpires: lic.Expires,
			LicenseWarn: manifest.DoctorLicenseWarn.String()},
		Baseline: state.Get(keyBaseline).(manifest.Baseline),
	}
}

// writeLocal writes data at path on the machine running Packer, creating
// its folder.
func writeLocal(path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
