//go:generate packer-sdc mapstructure-to-hcl2 -type Config,LabHost

package provisioner

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/packer-plugin-sdk/common"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Config is the msilab provisioner's configuration.
type Config struct {
	common.PackerConfig `mapstructure:",squash"`

	// The msilab OS profile the image is (win10-22h2, win11-24h2,
	// server2019, server2022, server2025). The host's build must match it.
	OSProfile string `mapstructure:"os_profile" required:"true"`
	// The administrator account the answer file creates (Packer connects
	// as it). Defaults to msilab. Only checked against admin_password.
	AdminUser string `mapstructure:"admin_user" required:"false"`
	// The administrator's password, as the answer file sets it (on Server
	// the built-in Administrator's too). Optional: when given, it is checked
	// against Windows' complexity rules before the build starts, as
	// standard_password always is.
	AdminPassword string `mapstructure:"admin_password" required:"false"`
	// The lab's standard (non-admin) account. Defaults to msilab-user.
	StandardUser string `mapstructure:"standard_user" required:"false"`
	// The standard account's password (pass it from a sensitive variable).
	// It must meet Windows' complexity rules (a standalone Server enforces
	// them, and would refuse it half-way through the build).
	StandardPassword string `mapstructure:"standard_password" required:"true"`
	// How long to wait for another install in progress (Global\_MSIExecute
	// held by a process other than msilab's mutex.hold: Windows Installer
	// or servicing finishing an update) before failing the build. Defaults
	// to 15m.
	InstallWaitTimeout time.Duration `mapstructure:"install_wait_timeout" required:"false"`
	// The template's name, recorded in the manifest (e.g. images/windows).
	TemplateName string `mapstructure:"template_name" required:"true"`
	// The template repository's commit, recorded in the manifest.
	GitRevision string `mapstructure:"git_revision" required:"false"`
	// Where the manifest is written on the machine running Packer, beside
	// the build output. Defaults to msilab-manifest.json.
	ManifestPath string `mapstructure:"manifest_path" required:"false"`
	// Where the lab.yaml host entry is written. Defaults to the manifest's
	// path with .lab.yaml in place of .json.
	LabYAMLPath string `mapstructure:"lab_yaml_path" required:"false"`
	// The lab.yaml host entry made from the image.
	LabHost LabHost `mapstructure:"lab_host" required:"false"`

	ctx interpolate.Context
}

// LabHost is the lab.yaml host entry the provisioner writes (lab.HostSpec).
type LabHost struct {
	// The host's name in lab.yaml. Defaults to the OS profile.
	Name string `mapstructure:"name" required:"false"`
	// The WinRM endpoint clones of the image will have. Defaults to the
	// address Packer reached the build machine at (https when its port is 5986).
	Endpoint string `mapstructure:"endpoint" required:"false"`
	// ntlm, the only value: the image's WinRM listener (HTTPS) takes
	// Negotiate/NTLM and leaves Basic off, so "basic" is refused here
	// rather than give a lab.yaml entry that always gets 401.
	Auth string `mapstructure:"auth" required:"false"`
	// The environment variable that will hold the admin's password.
	// Defaults to MSILAB_<NAME>_PASSWORD.
	PasswordEnv string `mapstructure:"password_env" required:"false"`
	// The environment variable that will hold the standard user's
	// password. Defaults to MSILAB_<NAME>_STANDARD_PASSWORD.
	StandardPasswordEnv string `mapstructure:"standard_password_env" required:"false"`
	// A PEM file pinning the WinRM listener's certificate. Without it the
	// entry says insecure: true (the listener's certificate is self-signed).
	CAFile string `mapstructure:"ca_file" required:"false"`
	// The entry's snapshot driver. Defaults to the one for the builder the
	// image was built with: libvirt for qemu, vsphere for vsphere-iso and
	// vsphere-clone, hyperv for hyperv-iso and hyperv-vmcx; none otherwise.
	SnapshotDriver string `mapstructure:"snapshot_driver" required:"false"`
	// The driver's settings (lab.yaml snapshot.settings): url, user_env
	// and password_env for vsphere, uri for libvirt (default
	// qemu:///system), host for hyperv. Credentials only as *_env names.
	SnapshotSettings map[string]string `mapstructure:"snapshot_settings" required:"false"`
}

// Defaults.
const (
	DefaultManifestPath       = "msilab-manifest.json"
	DefaultAdminUser          = "msilab"
	DefaultInstallWaitTimeout = 15 * time.Minute
	// BuiltinAdministrator is the built-in administrator account (RID
	// 500), whose password the server answer file sets to admin_password.
	BuiltinAdministrator = "Administrator"
	// InstallerLogging is the Windows Installer Logging policy every lab
	// image has: verbose logs of every install, with extra debugging
	// information and out-of-memory detail (v, o, i, c, e, w, a, r, m, u,
	// p, x; https://learn.microsoft.com/windows/win32/msi/logging).
	InstallerLogging = "voicewarmupx"
)

// ErrConfig is matched by every configuration error.
var ErrConfig = errors.New("msilab provisioner: invalid configuration")

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// prepare decodes raws into c, applies defaults and checks the result.
func (c *Config) prepare(raws ...interface{}) error {
	err := config.Decode(c, &config.DecodeOpts{
		PluginType:         "msilab",
		Interpolate:        true,
		InterpolateContext: &c.ctx,
		InterpolateFilter:  &interpolate.RenderFilter{},
	}, raws...)
	if err != nil {
		return err
	}
	if c.StandardUser == "" {
		c.StandardUser = ops.DefaultStandardUser
	}
	if c.AdminUser == "" {
		c.AdminUser = DefaultAdminUser
	}
	if c.InstallWaitTimeout == 0 {
		c.InstallWaitTimeout = DefaultInstallWaitTimeout
	}
	if c.ManifestPath == "" {
		c.ManifestPath = DefaultManifestPath
	}
	if c.LabYAMLPath == "" {
		c.LabYAMLPath = strings.TrimSuffix(c.ManifestPath, ".json") + ".lab.yaml"
	}
	if c.LabHost.Name == "" {
		c.LabHost.Name = c.OSProfile
	}
	if c.LabHost.Auth == "" {
		c.LabHost.Auth = "ntlm"
	}
	envBase := "MSILAB_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(c.LabHost.Name))
	if c.LabHost.PasswordEnv == "" {
		c.LabHost.PasswordEnv = envBase + "_PASSWORD"
	}
	if c.LabHost.StandardPasswordEnv == "" {
		c.LabHost.StandardPasswordEnv = envBase + "_STANDARD_PASSWORD"
	}
	for _, secret := range []string{c.StandardPassword, c.AdminPassword} {
		if secret != "" {
			packersdk.LogSecretFilter.Set(secret)
		}
	}

	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, err := win.LookupProfile(c.OSProfile); err != nil {
		if c.OSProfile == "" {
			bad("os_profile is required (one of %s)", strings.Join(win.ProfileNames(), ", "))
		} else {
			bad("os_profile %q is not an msilab OS profile (one of %s)", c.OSProfile, strings.Join(win.ProfileNames(), ", "))
		}
	}
	if c.StandardPassword == "" {
		bad("standard_password is required")
	} else if err := win.CheckPasswordComplexity(c.StandardPassword, c.StandardUser, ""); err != nil {
		bad("standard_password: %v (a standalone Windows Server refuses it, and the build would fail half-way)", err)
	}
	if c.AdminPassword != "" {
		for _, account := range []string{c.AdminUser, BuiltinAdministrator} {
			if err := win.CheckPasswordComplexity(c.AdminPassword, account, ""); err != nil {
				bad("admin_password: %v (Windows Setup would refuse it on Server)", err)
				break
			}
		}
	}
	if c.InstallWaitTimeout < 0 {
		bad("install_wait_timeout must not be negative")
	}
	if c.TemplateName == "" {
		bad("template_name is required: the manifest records which template built the image")
	}
	switch c.LabHost.Auth {
	case "ntlm":
	case "basic":
		bad("lab_host.auth = \"basic\" is refused: the image's WinRM listener leaves Basic authentication off " +
			"(enable-winrm-https.ps1), so that lab.yaml entry would always get 401; use ntlm")
	default:
		bad("lab_host.auth must be ntlm, not %q", c.LabHost.Auth)
	}
	for _, env := range []struct{ key, value string }{
		{"lab_host.password_env", c.LabHost.PasswordEnv},
		{"lab_host.standard_password_env", c.LabHost.StandardPasswordEnv},
	} {
		if !envName.MatchString(env.value) {
			bad("%s %q is not an environment variable name", env.key, env.value)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}
