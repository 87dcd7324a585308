package hyperv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/win"
)

// The tests run against a simulated Hyper-V host: a simulated Windows
// host (lab/sim) that also models VMs and checkpoints, each VM's guest
// being another simulated host; restoring a checkpoint restores that
// guest. Real Hyper-V cannot run here: the PowerShell the ops run on a
// real Hyper-V host is MsiLab.psm1's, parse-checked by lab/ops's tests.

func start(t *testing.T, os string) *sim.Server {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// testLab is a Hyper-V host hv1 running VM win11-a, whose guest is a
// simulated win11-24h2 host, both in a lab.yaml.
type testLab struct {
	hv, guest *sim.Server
	inv       *lab.Inventory
	host      *lab.Host // win11-a, as the runner makes it
}

// newLab makes the lab; hvPassword "" is hv1's right password.
func newLab(t *testing.T, hvPassword string, settings string) *testLab {
	t.Helper()
	l := &testLab{hv: start(t, "server2022"), guest: start(t, "win11-24h2")}
	l.hv.AddVM("win11-a", l.guest)
	if hvPassword == "" {
		hvPassword = l.hv.Password()
	}
	t.Setenv("HV1_PASSWORD", hvPassword)
	t.Setenv("WIN11_A_PASSWORD", l.guest.Password())
	yaml := fmt.Sprintf(`hosts:
  - name: hv1
    role: hypervisor
    os: server2022
    endpoint: %s
    auth: basic
    allow_basic_over_http: true
    user: %s
    password_env: HV1_PASSWORD
  - name: win11-a
    os: win11-24h2
    endpoint: %s
    auth: basic
    allow_basic_over_http: true
    user: %s
    password_env: WIN11_A_PASSWORD
    snapshot:
      driver: hyperv
      name: msilab-clean
      ready_timeout: 1m
      settings: {host: hv1%s}
`, l.hv.URL(), l.hv.User(), l.guest.URL(), l.guest.User(), settings)
	inv, err := lab.ParseInventory("lab.yaml", []byte(yaml), win.ProfileNames())
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Connect(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 1 || hosts[0].Spec.Name != "win11-a" {
		t.Fatalf("hosts %v, want win11-a only (hv1 is a hypervisor)", hosts)
	}
	l.inv, l.host = inv, hosts[0]
	t.Cleanup(l.host.Close)
	return l
}

func (l *testLab) guestBatch(t *testing.T, op ops.Op) ops.Result {
	t.Helper()
	s, err := l.host.Session(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunBatch(t.Context(), []ops.Op{op})
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

var disableMSI = ops.RegistryValueArgs{Path: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`, Name: "DisableMSI"}

func (l *testLab) disableMSIPresent(t *testing.T) bool {
	t.Helper()
	var v ops.RegistryValue
	if err := l.guestBatch(t, ops.MustNew(ops.OpRegistryGet, disableMSI)).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Exists
}

// The checkpoint is a production one (no memory): after the restore the
// VM is off and its WinRM silent until the driver starts it; Host.Revert
// waits for the heartbeat and for WinRM, and times each part.
func TestRevertRestoresTheGuest(t *testing.T) {
	l := newLab(t, "", "")
	if err := l.hv.Checkpoint("win11-a", "msilab-clean", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}
	l.guestBatch(t, ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: disableMSI.Path, Name: "DisableMSI", Type: "REG_DWORD", Number: 2}))
	if !l.disableMSIPresent(t) {
		t.Fatal("setup: DisableMSI not set on the guest")
	}
	if err := l.host.CheckSnapshot(t.Context()); err != nil {
		t.Fatal(err)
	}
	rv, err := l.host.Revert(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := l.hv.VMState("win11-a"); st != sim.VMRunning {
		t.Errorf("VM is %s after Host.Revert, want Running", st)
	}
	if l.disableMSIPresent(t) {
		t.Error("DisableMSI still set on the guest after the revert")
	}
	if rv.Driver != "hyperv" || rv.Revert <= 0 || rv.PowerOn <= 0 || rv.Ready <= 0 {
		t.Errorf("Reverted = %+v, want each part timed", rv)
	}
}

// Without the power-on a restored VM stays off and its WinRM never
// answers: the driver's PowerOn is what brings it back.
func TestRestoredVMIsOffUntilStarted(t *testing.T) {
	l := newLab(t, "", "")
	if err := l.hv.Checkpoint("win11-a", "msilab-clean", sim.CheckpointStandard); err != nil {
		t.Fatal(err)
	}
	drv, err := l.host.SnapshotDriver(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d := drv.(*Driver)
	if err := d.Revert(t.Context(), "msilab-clean"); err != nil {
		t.Fatal(err)
	}
	if st, _ := l.hv.VMState("win11-a"); st != sim.VMSaved {
		t.Errorf("VM is %s after restoring a standard checkpoint of it running, want Saved", st)
	}
	ep := l.host.Endpoint
	if _, err := lab.Dial(t.Context(), ep); err == nil {
		t.Error("the guest's WinRM answered while its VM is saved")
	}
	if err := d.PowerOn(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, err := lab.Dial(t.Context(), ep)
	if err != nil {
		t.Fatalf("the guest's WinRM does not answer after PowerOn: %v", err)
	}
	s.Close()
}

func TestMissingCheckpoint(t *testing.T) {
	l := newLab(t, "", "")
	err := l.host.CheckSnapshot(t.Context())
	if !errors.Is(err, lab.ErrNoSnapshot) || !strings.Contains(err.Error(), "no checkpoints") {
		t.Errorf("no checkpoint: %v, want ErrNoSnapshot", err)
	}
	if err := l.hv.Checkpoint("win11-a", "base", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}
	_, err = l.host.Revert(t.Context())
	if !errors.Is(err, lab.ErrNoSnapshot) || !strings.Contains(err.Error(), "base") || !strings.Contains(err.Error(), "win11-a") {
		t.Errorf("missing checkpoint: %v, want ErrNoSnapshot naming the VM and its checkpoints", err)
	}
}

func TestMissingVM(t *testing.T) {
	l := newLab(t, "", ", vm: win11-nope")
	err := l.host.CheckSnapshot(t.Context())
	if !errors.Is(err, lab.ErrNoVM) || !strings.Contains(err.Error(), "win11-nope") || !strings.Contains(err.Error(), "hv1") {
		t.Errorf("missing VM: %v, want ErrNoVM naming it and the Hyper-V host", err)
	}
}

func TestWrongCredentials(t *testing.T) {
	l := newLab(t, "not-the-password", "")
	err := l.host.CheckSnapshot(t.Context())
	if !errors.Is(err, lab.ErrHypervisorAuth) || !strings.Contains(err.Error(), "hv1") {
		t.Errorf("wrong password: %v, want ErrHypervisorAuth naming the Hyper-V host", err)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	d, err := New(Options{Host: "hv1", VM: "win11-a", Endpoint: lab.Endpoint{Host: "127.0.0.1", Port: addr.Port, Auth: lab.AuthBasic, User: "u", Password: "p", AllowBasicOverHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Revert(context.Background(), "msilab-clean"); !errors.Is(err, lab.ErrHypervisorUnreachable) {
		t.Errorf("closed port: %v, want ErrHypervisorUnreachable", err)
	}
}

// A host with no Hyper-V answers NotSupported: the driver says so.
func TestHostWithoutHyperV(t *testing.T) {
	plain := start(t, "server2022")
	host, port := plain.HostPort()
	d, err := New(Options{Host: "plain", VM: "win11-a", Endpoint: lab.Endpoint{Host: host, Port: port, Auth: lab.AuthBasic, User: plain.User(), Password: plain.Password(), AllowBasicOverHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	err = d.CheckSnapshot(t.Context(), "msilab-clean")
	if err == nil || !strings.Contains(err.Error(), "Hyper-V PowerShell module is not installed") {
		t.Errorf("host without Hyper-V: %v", err)
	}
}

// A guest whose WinRM never answers after the revert: Host.Revert gives
// up after ready_timeout with ErrNotReady, naming the VM.
func TestRevertGivesUpWhenWinRMNeverAnswers(t *testing.T) {
	l := newLab(t, "", "")
	if err := l.hv.Checkpoint("win11-a", "msilab-clean", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}
	l.guest.Close() // the VM runs, its WinRM service does not
	l.host.Spec.Snapshot.ReadyTimeout = 300 * time.Millisecond
	_, err := l.host.Revert(t.Context())
	if !errors.Is(err, lab.ErrNotReady) || !strings.Contains(err.Error(), "win11-a") {
		t.Errorf("Revert with a silent guest: %v, want ErrNotReady naming the VM", err)
	}
}
