package provisioner

import (
	"context"
	"fmt"

	"github.com/hashicorp/packer-plugin-sdk/multistep"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/testpkgs"
)

// stepUploadPackages places every test package in lab.PackageDir, uploading
// only those missing or different (lab.EnsureFile: hash first).
type stepUploadPackages struct{}

func (s *stepUploadPackages) Run(ctx context.Context, state multistep.StateBag) multistep.StepAction {
	ui, sess := uiOf(state), sessionOf(state)
	ui.Say(fmt.Sprintf("Uploading the test packages to %s...", lab.PackageDir))
	var pkgs []manifest.Package
	for _, name := range testpkgs.Names() {
		data, err := testpkgs.Bytes(name)
		if err != nil {
			return halt(state, err)
		}
		dst := lab.PackageDir + `\` + name + ".msi"
		info, uploaded, err := lab.EnsureFile(ctx, sess, data, dst)
		if err != nil {
			return halt(state, fmt.Errorf("upload the test package %s: %w", name, err))
		}
		verb := "already current"
		if uploaded {
			verb = "uploaded"
		}
		ui.Message(fmt.Sprintf("%s: %d bytes, SHA-256 %s, %s", dst, info.Size, info.SHA256, verb))
		pkgs = append(pkgs, manifest.Package{Name: name, Path: dst, Size: info.Size, SHA256: info.SHA256})
	}
	state.Put(keyPackages, pkgs)
	return multistep.ActionContinue
}

func (s *stepUploadPackages) Cleanup(multistep.StateBag) {}
