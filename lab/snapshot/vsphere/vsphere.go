// Package vsphere is the vSphere snapshot driver (github.com/vmware/govmomi):
// it reverts a VM to a named snapshot through vCenter or an ESXi host,
// powers it on when the snapshot left it off, and tells a missing
// snapshot, a missing VM, refused credentials and an unreachable server
// apart. It registers as lab snapshot driver "vsphere":
//
//	snapshot:
//	  driver: vsphere
//	  name: msilab-clean
//	  settings:
//	    url: https://vcenter.lab.example/sdk
//	    vm: win11-a              # default: the host's name
//	    datacenter: DC1          # default: the only one
//	    user_env: VSPHERE_USER
//	    password_env: VSPHERE_PASSWORD
//	    thumbprint: "AB:CD:…"    # the server certificate's SHA-1, as govc prints it
//	    insecure: "false"        # true skips certificate checks
package vsphere

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/msilab/msilab/lab"
)

func init() {
	lab.RegisterSnapshotDriver(lab.SnapshotDriverInfo{Name: "vsphere",
		Summary:  "VMware vSphere (vCenter or ESXi) through its SOAP API (govmomi)",
		Settings: []string{"url", "vm", "datacenter", "user_env", "password_env", "thumbprint", "insecure"},
		Required: []string{"url", "user_env", "password_env"},
		Open: func(_ context.Context, o lab.SnapshotOpen) (lab.SnapshotDriver, error) {
			opts := Options{URL: o.Settings["url"], VM: o.Settings.Get("vm", o.Host.Name),
				Datacenter: o.Settings["datacenter"], Thumbprint: o.Settings["thumbprint"]}
			var err error
			if opts.Insecure, err = o.Settings.Bool("insecure"); err != nil {
				return nil, err
			}
			if opts.User, err = o.Settings.Secret("user"); err != nil {
				return nil, err
			}
			if opts.Password, err = o.Settings.Secret("password"); err != nil {
				return nil, err
			}
			return New(opts)
		}})
}

// Options configure a driver for one VM.
type Options struct {
	// URL is the SDK endpoint (https://host/sdk); a bare host gets /sdk.
	URL string
	// VM is the virtual machine's name (or inventory path).
	VM string
	// Datacenter is the datacenter to look in (default: the only one).
	Datacenter     string
	User, Password string
	// Thumbprint pins the server certificate (SHA-1, colon-separated hex);
	// Insecure skips certificate checks.
	Thumbprint string
	Insecure   bool
	// KeepAlive is how often an idle session is kept alive (default 10 min):
	// vCenter ends sessions idle for 30 minutes, and nightly runs are long.
	KeepAlive time.Duration
}

// Driver reverts one VM. It logs in on first use and keeps its session;
// Close logs out. Its methods are safe for concurrent use.
type Driver struct {
	opts Options
	u    *url.URL

	mu     sync.Mutex
	client *vim25.Client
	sm     *session.Manager
	vm     *object.VirtualMachine
}

var (
	_ lab.SnapshotChecker = (*Driver)(nil)
	_ lab.PowerOner       = (*Driver)(nil)
)

// New checks opts and makes a driver; it does not connect yet.
func New(opts Options) (*Driver, error) {
	if opts.VM == "" {
		return nil, errors.New("vsphere: the VM's name is required")
	}
	u, err := soap.ParseURL(opts.URL)
	if err != nil || u == nil || u.Host == "" {
		return nil, fmt.Errorf("vsphere: url %q is not https://host/sdk", opts.URL)
	}
	u.User = nil
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 10 * time.Minute
	}
	return &Driver{opts: opts, u: u}, nil
}

func (d *Driver) fail(snapshot string, err error) error {
	return &lab.SnapshotError{Driver: "vsphere", VM: d.opts.VM, Snapshot: snapshot, Err: err}
}

// connect logs in and finds the VM, once.
func (d *Driver) connect(ctx context.Context) (*object.VirtualMachine, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.vm != nil {
		return d.vm, nil
	}
	sc := soap.NewClient(d.u, d.opts.Insecure)
	if d.opts.Thumbprint != "" {
		sc.SetThumbprint(d.u.Host, d.opts.Thumbprint)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, d.fail("", fmt.Errorf("%w: %s: %v", lab.ErrHypervisorUnreachable, d.u.Host, err))
	}
	// The keep-alive starts with the login and stops with the logout.
	ka := keepalive.NewHandlerSOAP(c.RoundTripper, d.opts.KeepAlive, nil)
	c.RoundTripper = ka
	sm := session.NewManager(c)
	if err := sm.Login(ctx, url.UserPassword(d.opts.User, d.opts.Password)); err != nil {
		ka.Stop()
		if fault.Is(err, &types.InvalidLogin{}) {
			return nil, d.fail("", fmt.Errorf("%w: user %q at %s", lab.ErrHypervisorAuth, d.opts.User, d.u.Host))
		}
		return nil, d.fail("", fmt.Errorf("login: %w", err))
	}
	finder := find.NewFinder(c, false)
	dc, err := finder.DatacenterOrDefault(ctx, d.opts.Datacenter)
	if err != nil {
		sm.Logout(ctx)
		return nil, d.fail("", fmt.Errorf("datacenter: %w", err))
	}
	finder.SetDatacenter(dc)
	vm, err := finder.VirtualMachine(ctx, d.opts.VM)
	if err != nil {
		sm.Logout(ctx)
		var nf *find.NotFoundError
		if errors.As(err, &nf) {
			return nil, d.fail("", fmt.Errorf("%w in datacenter %s", lab.ErrNoVM, dc.Name()))
		}
		return nil, d.fail("", err)
	}
	d.client, d.sm, d.vm = c, sm, vm
	return vm, nil
}

// CheckSnapshot reports whether the VM has the snapshot; a missing one is
// ErrNoSnapshot with the names the VM has.
func (d *Driver) CheckSnapshot(ctx context.Context, snapshot string) error {
	vm, err := d.connect(ctx)
	if err != nil {
		return err
	}
	if _, err := vm.FindSnapshot(ctx, snapshot); err != nil {
		names, lerr := d.snapshots(ctx, vm)
		if lerr != nil {
			return d.fail(snapshot, lerr)
		}
		if len(names) == 0 {
			return d.fail(snapshot, fmt.Errorf("%w: the VM has no snapshots", lab.ErrNoSnapshot))
		}
		return d.fail(snapshot, fmt.Errorf("%w (the VM has: %s)", lab.ErrNoSnapshot, strings.Join(names, ", ")))
	}
	return nil
}

// snapshots lists the VM's snapshot names, depth first.
func (d *Driver) snapshots(ctx context.Context, vm *object.VirtualMachine) ([]string, error) {
	var o mo.VirtualMachine
	if err := vm.Properties(ctx, vm.Reference(), []string{"snapshot"}, &o); err != nil {
		return nil, err
	}
	var names []string
	var walk func([]types.VirtualMachineSnapshotTree)
	walk = func(ts []types.VirtualMachineSnapshotTree) {
		for _, t := range ts {
			names = append(names, t.Name)
			walk(t.ChildSnapshotList)
		}
	}
	if o.Snapshot != nil {
		walk(o.Snapshot.RootSnapshotList)
	}
	return names, nil
}

// Revert reverts the VM to the snapshot, leaving its power state as the
// snapshot has it (PowerOn starts it).
func (d *Driver) Revert(ctx context.Context, snapshot string) error {
	if err := d.CheckSnapshot(ctx, snapshot); err != nil {
		return err
	}
	vm, _ := d.connect(ctx)
	task, err := vm.RevertToSnapshot(ctx, snapshot, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		return d.fail(snapshot, fmt.Errorf("revert: %w", err))
	}
	return nil
}

// PowerOn starts the VM unless it runs.
func (d *Driver) PowerOn(ctx context.Context) error {
	vm, err := d.connect(ctx)
	if err != nil {
		return err
	}
	state, err := vm.PowerState(ctx)
	if err != nil {
		return d.fail("", fmt.Errorf("power state: %w", err))
	}
	if state == types.VirtualMachinePowerStatePoweredOn {
		return nil
	}
	task, err := vm.PowerOn(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		return d.fail("", fmt.Errorf("power on (was %s): %w", state, err))
	}
	return nil
}

// Close logs out.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sm == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := d.sm.Logout(ctx)
	d.client, d.sm, d.vm = nil, nil, nil
	return err
}
