package provisioner

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"

	"github.com/hashicorp/packer-plugin-sdk/multistep"
	"gopkg.in/yaml.v3"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab"
	_ "github.com/msilab/msilab/lab/snapshot/hyperv" // the drivers a lab.yaml entry may name
	_ "github.com/msilab/msilab/lab/snapshot/libvirt"
	_ "github.com/msilab/msilab/lab/snapshot/vsphere"
	"github.com/msilab/msilab/win"
)

// stepWriteLabHost writes a lab.yaml with the image's host entry beside
// the manifest, ready to merge into a lab's inventory. Passwords are named
// by environment variable, never written.
type stepWriteLabHost struct{}

func (s *stepWriteLabHost) Run(_ context.Context, state multistep.StateBag) multistep.StepAction {
	ui, cfg := uiOf(state), configOf(state)
	m := state.Get(keyManifest).(*manifest.Manifest)
	data, err := labYAML(cfg, m, generatedDataOf(state))
	if err != nil {
		return halt(state, err)
	}
	ui.Say(fmt.Sprintf("Writing the lab.yaml host entry %q to %s...", cfg.LabHost.Name, cfg.LabYAMLPath))
	if err := writeLocal(cfg.LabYAMLPath, data); err != nil {
		return halt(state, err)
	}
	return multistep.ActionContinue
}

func (s *stepWriteLabHost) Cleanup(multistep.StateBag) {}

// labYAML is a lab.yaml holding the image's host entry, checked with the
// inventory parser msilab itself uses.
func labYAML(cfg *Config, m *manifest.Manifest, generated map[string]interface{}) ([]byte, error) {
	h := lab.HostSpec{
		Name:                cfg.LabHost.Name,
		OS:                  cfg.OSProfile,
		Endpoint:            cfg.LabHost.Endpoint,
		Auth:                cfg.LabHost.Auth,
		User:                m.Lab.AdminUser,
		PasswordEnv:         cfg.LabHost.PasswordEnv,
		CAFile:              cfg.LabHost.CAFile,
		StandardUser:        m.Lab.StandardUser.Name,
		StandardPasswordEnv: cfg.LabHost.StandardPasswordEnv,
		Snapshot:            lab.SnapshotSpec{Driver: "none", Name: "msilab-clean"},
	}
	driver, missing := snapshotFor(cfg)
	if driver != "none" && missing == "" {
		settings := lab.Settings(maps.Clone(cfg.LabHost.SnapshotSettings))
		if driver == "libvirt" && settings["uri"] == "" {
			if settings == nil {
				settings = lab.Settings{}
			}
			settings["uri"] = "qemu:///system"
		}
		h.Snapshot.Driver, h.Snapshot.Settings = driver, settings
	}
	if h.Endpoint == "" {
		h.Endpoint = endpointOf(generated)
	}
	h.Insecure = h.CAFile == "" && strings.HasPrefix(h.Endpoint, "https://")
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(lab.Inventory{Hosts: []lab.HostSpec{h}}); err != nil {
		return nil, fmt.Errorf("encode the lab.yaml entry: %w", err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# lab.yaml host entry for the image built by %s (%s) on %s.\n", m.Template.Name, m.Template.BuildName,
		m.Created.Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(&b, "# Manifest: baseline SHA-256 %s; %s %s, build %s, msi.dll %s.\n", m.BaselineSHA256, m.Host.OSProfile,
		m.Host.ProductName, m.Host.Build, m.Host.MsiVersion)
	b.WriteString("# Set the endpoint to the address of the machine made from the image, and export\n")
	fmt.Fprintf(&b, "# %s (the password of %s) and %s (of %s).\n", h.PasswordEnv, h.User, h.StandardPasswordEnv, h.StandardUser)
	if h.Insecure {
		b.WriteString("# The WinRM listener's certificate is self-signed: pin it with ca_file instead of insecure.\n")
	}
	switch {
	case h.Snapshot.Driver != "none":
		fmt.Fprintf(&b, "# snapshot: take a snapshot named msilab-clean of the new machine (driver %s, for Packer's %s builder).\n", h.Snapshot.Driver, cfg.PackerBuilderType)
	case missing != "":
		fmt.Fprintf(&b, "# snapshot: Packer's %s builder calls for driver %s, which needs lab_host.snapshot_settings %s; until then driver none reverts faults only.\n",
			cfg.PackerBuilderType, driver, missing)
	default:
		b.WriteString("# snapshot: take a snapshot named msilab-clean of the new machine; driver none reverts faults only.\n")
	}
	b.WriteString("# Make machines from the image without generalizing them (no sysprep, no vSphere guest customization):\n")
	fmt.Fprintf(&b, "# the manifest records machine SID %s, and doctor compares it.\n", m.Host.MachineSID)
	b.Write(body.Bytes())
	check := b.Bytes()
	if hv := h.Snapshot.Settings["host"]; h.Snapshot.Driver == "hyperv" {
		// The entry names its Hyper-V host, which the lab's own lab.yaml has.
		fmt.Fprintf(&b, "# Add the Hyper-V host %q to the lab's hosts, with role: hypervisor.\n", hv)
		check = append(bytes.Clone(b.Bytes()), fmt.Sprintf("  - {name: %q, role: hypervisor, os: %s, endpoint: %q, user: u, password_env: P}\n",
			hv, cfg.OSProfile, "http://"+hv+":5985/wsman")...)
	}
	if _, err := lab.ParseInventory(cfg.LabYAMLPath, check, win.ProfileNames()); err != nil {
		return nil, fmt.Errorf("the lab.yaml entry does not parse (set lab_host.endpoint?): %w", err)
	}
	return b.Bytes(), nil
}

// snapshotFor is the snapshot driver for the builder the image was built
// with (or the configured one), and the required settings it lacks.
func snapshotFor(cfg *Config) (driver, missing string) {
	driver = cfg.LabHost.SnapshotDriver
	if driver == "" {
		switch cfg.PackerBuilderType {
		case "qemu":
			driver = "libvirt"
		case "vsphere-iso", "vsphere-clone":
			driver = "vsphere"
		case "hyperv-iso", "hyperv-vmcx":
			driver = "hyperv"
		default:
			return "none", ""
		}
	}
	info, ok := lab.LookupSnapshotDriver(driver)
	if !ok {
		return driver, "(unknown driver)"
	}
	var lack []string
	for _, k := range info.Required {
		if cfg.LabHost.SnapshotSettings[k] == "" && !(driver == "libvirt" && k == "uri") {
			lack = append(lack, k)
		}
	}
	return driver, strings.Join(lack, ", ")
}

// endpointOf is the WinRM endpoint Packer reached the machine at: https
// on 5986, http otherwise.
func endpointOf(generated map[string]interface{}) string {
	host, _ := generated["Host"].(string)
	port := 0
	switch p := generated["Port"].(type) {
	case int:
		port = p
	case int64:
		port = int(p)
	case float64:
		port = int(p)
	case string:
		port, _ = strconv.Atoi(p)
	}
	if host == "" || port == 0 {
		return ""
	}
	scheme := "http"
	if port == 5986 {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/wsman"
}
