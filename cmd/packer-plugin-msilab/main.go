// Command packer-plugin-msilab is msilab's Packer plugin: the `msilab`
// provisioner (images/provisioner), which prepares a lab host, refuses an
// image that is not clean, and records the image manifest.
//
// Install it with `packer plugins install --path <binary>
// github.com/msilab/msilab` (Packer 1.10 and later), or for Packer 1.9 by
// placing it as <plugins dir>/github.com/msilab/msilab/
// packer-plugin-msilab_v<version>_x5.0_<os>_<arch> with its _SHA256SUM file
// (images/README.md).
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"

	"github.com/msilab/msilab/images/provisioner"
	"github.com/msilab/msilab/images/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	pps := plugin.NewSet()
	// The default name makes the provisioner `msilab` (the plugin's own name).
	pps.RegisterProvisioner(plugin.DEFAULT_NAME, new(provisioner.Provisioner))
	pps.SetVersion(version.PluginVersion)
	return pps.Run()
}
