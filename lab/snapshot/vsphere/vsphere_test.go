package vsphere

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/msilab/msilab/lab"
)

const (
	testUser     = "qa@vsphere.local"
	testPassword = "Lab-s3cret!"
)

// vcsim is govmomi's vCenter simulator, in-process on loopback over TLS,
// with one account.
type vcsim struct {
	url        string // https://127.0.0.1:port/sdk, no credentials
	thumbprint string
	admin      *vim25.Client // the test's own session, to set the scene
	vmName     string
}

func startVcsim(t *testing.T) *vcsim {
	t.Helper()
	m := simulator.VPX()
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Remove)
	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0", User: url.UserPassword(testUser, testPassword)}
	s := m.Service.NewServer()
	t.Cleanup(s.Close)
	u := *s.URL
	u.User = nil
	sim := &vcsim{url: u.String(), thumbprint: soap.ThumbprintSHA1(s.Certificate())}
	ctx := t.Context()
	sc := soap.NewClient(&u, true)
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword(testUser, testPassword)); err != nil {
		t.Fatal(err)
	}
	sim.admin = c
	vms, err := find.NewFinder(c).VirtualMachineList(ctx, "*")
	if err != nil || len(vms) == 0 {
		t.Fatalf("vcsim has no VM: %v", err)
	}
	sim.vmName = vms[0].Name()
	return sim
}

func (v *vcsim) vm(t *testing.T) *object.VirtualMachine {
	t.Helper()
	vm, err := find.NewFinder(v.admin).VirtualMachine(t.Context(), v.vmName)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// wait(t)(vm.Op(ctx)) waits for a task the test started.
func wait(t *testing.T) func(*object.Task, error) {
	return func(task *object.Task, err error) {
		t.Helper()
		if err == nil {
			err = task.Wait(t.Context())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (v *vcsim) driver(t *testing.T, opts Options) *Driver {
	t.Helper()
	if opts.URL == "" {
		opts.URL = v.url
	}
	if opts.VM == "" {
		opts.VM = v.vmName
	}
	if opts.User == "" {
		opts.User, opts.Password = testUser, testPassword
	}
	if opts.Thumbprint == "" && !opts.Insecure {
		opts.Thumbprint = v.thumbprint
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func currentSnapshot(t *testing.T, vm *object.VirtualMachine) types.ManagedObjectReference {
	t.Helper()
	var o mo.VirtualMachine
	if err := vm.Properties(t.Context(), vm.Reference(), []string{"snapshot"}, &o); err != nil {
		t.Fatal(err)
	}
	if o.Snapshot == nil || o.Snapshot.CurrentSnapshot == nil {
		t.Fatal("the VM has no current snapshot")
	}
	return *o.Snapshot.CurrentSnapshot
}

// The clean snapshot is made with the VM off (as after a Packer build);
// the VM then runs and a later snapshot is taken. Revert makes the clean
// one current again, and PowerOn starts the VM it left off.
func TestRevertAndPowerOn(t *testing.T) {
	v := startVcsim(t)
	ctx := t.Context()
	vm := v.vm(t)
	wait(t)(vm.PowerOff(ctx))
	wait(t)(vm.CreateSnapshot(ctx, "msilab-clean", "after Packer", false, false))
	clean := currentSnapshot(t, vm)
	wait(t)(vm.PowerOn(ctx))
	wait(t)(vm.CreateSnapshot(ctx, "later", "", false, false))
	if currentSnapshot(t, vm) == clean {
		t.Fatal("setup: the later snapshot is not current")
	}
	wait(t)(vm.PowerOff(ctx)) // as the snapshot left it after the revert

	d := v.driver(t, Options{})
	if err := d.CheckSnapshot(ctx, "msilab-clean"); err != nil {
		t.Fatal(err)
	}
	if err := d.Revert(ctx, "msilab-clean"); err != nil {
		t.Fatal(err)
	}
	if got := currentSnapshot(t, vm); got != clean {
		t.Errorf("current snapshot after the revert is %v, want msilab-clean %v", got, clean)
	}
	if err := d.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := vm.PowerState(ctx); err != nil || st != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("power state %s (%v), want poweredOn", st, err)
	}
	if err := d.PowerOn(ctx); err != nil { // already on: nothing to do
		t.Errorf("PowerOn on a running VM: %v", err)
	}
}

func TestMissingSnapshot(t *testing.T) {
	v := startVcsim(t)
	ctx := t.Context()
	wait(t)(v.vm(t).CreateSnapshot(ctx, "base", "", false, false))
	d := v.driver(t, Options{})
	err := d.Revert(ctx, "msilab-clean")
	if !errors.Is(err, lab.ErrNoSnapshot) || !strings.Contains(err.Error(), "base") || !strings.Contains(err.Error(), v.vmName) {
		t.Errorf("Revert to a missing snapshot: %v, want ErrNoSnapshot naming the VM and the snapshots it has", err)
	}
	if err := d.CheckSnapshot(ctx, "base"); err != nil {
		t.Errorf("CheckSnapshot(base): %v", err)
	}
}

func TestWrongCredentials(t *testing.T) {
	v := startVcsim(t)
	d := v.driver(t, Options{User: testUser, Password: "wrong"})
	err := d.Revert(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrHypervisorAuth) || !strings.Contains(err.Error(), testUser) {
		t.Errorf("wrong password: %v, want ErrHypervisorAuth naming the user", err)
	}
}

func TestMissingVM(t *testing.T) {
	v := startVcsim(t)
	d := v.driver(t, Options{VM: "win11-nope"})
	err := d.CheckSnapshot(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrNoVM) || !strings.Contains(err.Error(), "win11-nope") {
		t.Errorf("missing VM: %v, want ErrNoVM naming it", err)
	}
}

// A certificate that is not the pinned one is refused before any login.
func TestWrongThumbprint(t *testing.T) {
	v := startVcsim(t)
	d := v.driver(t, Options{Thumbprint: "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"})
	err := d.CheckSnapshot(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrHypervisorUnreachable) || !strings.Contains(strings.ToLower(err.Error()), "thumbprint") {
		t.Errorf("wrong thumbprint: %v, want it refused", err)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	d, err := New(Options{URL: "https://" + addr + "/sdk", VM: "w", User: "u", Password: "p", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := d.Revert(ctx, "msilab-clean"); !errors.Is(err, lab.ErrHypervisorUnreachable) {
		t.Errorf("closed port: %v, want ErrHypervisorUnreachable", err)
	}
}
