package lab_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	_ "github.com/msilab/msilab/lab/snapshot/hyperv"
	_ "github.com/msilab/msilab/lab/snapshot/libvirt"
	_ "github.com/msilab/msilab/lab/snapshot/vsphere"
	"github.com/msilab/msilab/win"
)

const goodLab = `hosts:
  - name: hv1
    role: hypervisor
    os: server2022
    endpoint: http://hv1:5985/wsman
    user: qa
    password_env: HV1_PASSWORD
  - name: win11-a
    os: win11-24h2
    endpoint: http://10.0.0.5:5985/wsman
    user: msilab
    password_env: WIN11_A_PASSWORD
    snapshot:
      driver: vsphere
      ready_timeout: 15m
      settings: {url: "https://vc.lab/sdk", user_env: VC_USER, password_env: VC_PASSWORD, insecure: true}
  - name: win11-b
    os: win11-24h2
    endpoint: http://10.0.0.6:5985/wsman
    user: msilab
    password_env: WIN11_B_PASSWORD
    snapshot: {driver: libvirt, settings: {uri: "qemu:///system"}}
  - name: win10-a
    os: win10-22h2
    endpoint: http://10.0.0.7:5985/wsman
    user: msilab
    password_env: WIN10_A_PASSWORD
    snapshot: {driver: hyperv, name: clean, settings: {host: hv1, vm: Win10 A}}
`

func TestInventorySnapshotBlocks(t *testing.T) {
	inv, err := lab.ParseInventory("lab.yaml", []byte(goodLab), win.ProfileNames())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := inv.Host("win11-a")
	if a.Snapshot.Driver != "vsphere" || a.Snapshot.Name != "msilab-clean" || a.Snapshot.ReadyTimeout != 15*time.Minute ||
		a.Snapshot.Settings["insecure"] != "true" {
		t.Errorf("win11-a snapshot: %+v", a.Snapshot)
	}
	if c, _ := inv.Host("win10-a"); c.Snapshot.Settings["vm"] != "Win10 A" || c.Snapshot.Name != "clean" {
		t.Errorf("win10-a snapshot: %+v", c.Snapshot)
	}
	t.Setenv("HV1_PASSWORD", "x")
	for _, n := range []string{"WIN11_A_PASSWORD", "WIN11_B_PASSWORD", "WIN10_A_PASSWORD"} {
		t.Setenv(n, "x")
	}
	hosts, err := inv.Connect(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 3 || hosts[0].Inventory != inv {
		t.Errorf("%d hosts (the hypervisor runs no cells), inventory kept: %v", len(hosts), hosts[0].Inventory == inv)
	}
	// vsphere's credentials come from the variables its settings name.
	_, err = hosts[0].SnapshotDriver(t.Context())
	if err == nil || !strings.Contains(err.Error(), "VC_USER") {
		t.Errorf("vsphere driver without VC_USER set: %v", err)
	}
}

// Each mistake in a snapshot block is an error naming the file, the
// host's line and what is wrong.
func TestInventorySnapshotMistakes(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{"driver: vsphere", "driver: proxmox", `unknown snapshot driver "proxmox" (this build has: hyperv, libvirt, none, sim, vsphere)`},
		{`url: "https://vc.lab/sdk", `, "", `driver vsphere needs setting "url"`},
		{`password_env: VC_PASSWORD`, `password: hunter2`, `driver vsphere has no setting "password"`},
		{`password_env: VC_PASSWORD`, `password_env: "not a variable"`, "setting password_env must name an environment variable"},
		{"ready_timeout: 15m", "ready_timeout: -1m", "ready_timeout must be positive"},
		{"ready_timeout: 15m", "ready_timeout: soon", "time.Duration"},
		{"settings: {host: hv1, vm: Win10 A}", "settings: {host: hv9}", `setting host: no host "hv9" in the lab`},
		{"settings: {host: hv1, vm: Win10 A}", "settings: {host: win11-b}", `host "win11-b" needs role: hypervisor`},
		{"role: hypervisor", "role: hypervisr", `role must be "hypervisor" or absent`},
		{"    password_env: HV1_PASSWORD\n", "    password_env: HV1_PASSWORD\n    snapshot: {driver: sim}\n", "a hypervisor host runs no cells"},
	} {
		data := strings.Replace(goodLab, tc.from, tc.to, 1)
		if data == goodLab {
			t.Fatalf("%q is not in the lab", tc.from)
		}
		_, err := lab.ParseInventory("lab.yaml", []byte(data), win.ProfileNames())
		var ie *lab.InventoryError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "lab.yaml:") {
			t.Errorf("%s → %s: %v, want an InventoryError with %q", tc.from, tc.to, err, tc.want)
		}
	}
}
