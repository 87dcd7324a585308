// Package version is the version of msilab's Packer plugin
// (packer-plugin-msilab). Packer reads it from the plugin binary's
// `describe` command, and installed binaries are named after it:
// packer-plugin-msilab_v<Version>_x5.0_<os>_<arch>.
package version

import "github.com/hashicorp/packer-plugin-sdk/version"

var (
	// Version is the plugin's semantic version.
	Version = "0.1.0"
	// Prerelease marks a pre-release ("dev", "beta"); "" for a release.
	Prerelease = ""
	// PluginVersion is what the plugin set reports to Packer.
	PluginVersion = version.NewPluginVersion(Version, Prerelease, "")
)
