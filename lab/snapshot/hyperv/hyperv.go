// Package hyperv is the Hyper-V snapshot driver: it restores a VM's
// checkpoint through the Hyper-V host's own WinRM endpoint, with the ops
// hyperv.vm.get, hyperv.checkpoint.restore and hyperv.vm.start (the
// Hyper-V PowerShell module's Get-VM, Get-VMSnapshot,
// Restore-VMSnapshot, Start-VM and Get-VMIntegrationService, in
// lab/ops/powershell/MsiLab.psm1). The Hyper-V host is another host of
// lab.yaml, with role hypervisor and its own credentials:
//
//	hosts:
//	  - name: hv1
//	    role: hypervisor
//	    os: server2022
//	    endpoint: https://hv1.lab.example:5986/wsman
//	    user: LAB\qa
//	    password_env: MSILAB_HV1_PASSWORD
//	    ca_file: lab-ca.pem
//	  - name: win11-a
//	    os: win11-24h2
//	    ...
//	    snapshot:
//	      driver: hyperv
//	      name: msilab-clean
//	      settings: {host: hv1, vm: win11-a}
package hyperv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

func init() {
	lab.RegisterSnapshotDriver(lab.SnapshotDriverInfo{Name: "hyperv",
		Summary:  "Hyper-V, through the Hyper-V host's WinRM endpoint (a lab.yaml host with role: hypervisor) and its Hyper-V PowerShell module",
		Settings: []string{"host", "vm"},
		Required: []string{"host"},
		Open: func(_ context.Context, o lab.SnapshotOpen) (lab.SnapshotDriver, error) {
			if o.Inventory == nil {
				return nil, errors.New("hyperv: the Hyper-V host is found in lab.yaml, and this host was not read from one")
			}
			spec, ok := o.Inventory.Host(o.Settings["host"])
			if !ok {
				return nil, fmt.Errorf("hyperv: no host %q in the lab", o.Settings["host"])
			}
			ep, err := spec.Connect()
			if err != nil {
				return nil, err
			}
			return New(Options{Endpoint: ep, Host: spec.Name, VM: o.Settings.Get("vm", o.Host.Name)})
		}})
}

// Options configure a driver for one VM.
type Options struct {
	// Endpoint is the Hyper-V host's WinRM endpoint, Host its name (for messages).
	Endpoint lab.Endpoint
	Host     string
	// VM is the VM's name on the Hyper-V host.
	VM string
}

// Driver drives one VM through one session with its Hyper-V host,
// dialed on first use. Its methods are safe for concurrent use.
type Driver struct {
	opts Options

	mu sync.Mutex
	s  lab.Session
}

var (
	_ lab.SnapshotChecker = (*Driver)(nil)
	_ lab.PowerOner       = (*Driver)(nil)
)

// New makes a driver; it does not connect yet.
func New(opts Options) (*Driver, error) {
	if opts.VM == "" {
		return nil, errors.New("hyperv: the VM's name is required")
	}
	if opts.Host == "" {
		opts.Host = opts.Endpoint.Host
	}
	return &Driver{opts: opts}, nil
}

func (d *Driver) fail(snapshot string, err error) error {
	return &lab.SnapshotError{Driver: "hyperv", VM: d.opts.VM, Snapshot: snapshot, Err: err}
}

// batch runs ops on the Hyper-V host, dialing it when needed; a failed
// transport drops the session so that the next call dials again.
func (d *Driver) batch(ctx context.Context, snapshot string, b ...ops.Op) ([]ops.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.s == nil {
		s, err := lab.Dial(ctx, d.opts.Endpoint)
		if err != nil {
			return nil, d.fail(snapshot, d.classify(err))
		}
		d.s = s
	}
	out, err := d.s.RunBatch(ctx, b)
	if err != nil {
		d.s.Close()
		d.s = nil
		return nil, d.fail(snapshot, d.classify(err))
	}
	return out, nil
}

func (d *Driver) classify(err error) error {
	var (
		auth  *lab.AuthError
		unr   *lab.UnreachableError
		trans *lab.TransportError
	)
	switch {
	case errors.As(err, &auth):
		return fmt.Errorf("%w: Hyper-V host %s: %v", lab.ErrHypervisorAuth, d.opts.Host, err)
	case errors.As(err, &unr), errors.As(err, &trans):
		return fmt.Errorf("%w: Hyper-V host %s: %v", lab.ErrHypervisorUnreachable, d.opts.Host, err)
	}
	return fmt.Errorf("Hyper-V host %s: %w", d.opts.Host, err)
}

// vmError maps hyperv.vm.get's error: a missing VM is ErrNoVM.
func (d *Driver) vmError(snapshot string, err error) error {
	var oe *ops.Error
	if errors.As(err, &oe) && oe.Code == ops.CodeNotFound {
		return d.fail(snapshot, fmt.Errorf("%w on Hyper-V host %s", lab.ErrNoVM, d.opts.Host))
	}
	return d.fail(snapshot, fmt.Errorf("Hyper-V host %s: %w", d.opts.Host, err))
}

func (d *Driver) get(ctx context.Context, snapshot string) (ops.HyperVVM, error) {
	var vm ops.HyperVVM
	out, err := d.batch(ctx, snapshot, ops.MustNew(ops.OpHyperVVMGet, ops.HyperVVMArgs{VM: d.opts.VM}))
	if err != nil {
		return vm, err
	}
	if err := out[0].Decode(&vm); err != nil {
		return vm, d.vmError(snapshot, err)
	}
	return vm, nil
}

func (d *Driver) missing(snapshot string, vm ops.HyperVVM) error {
	if len(vm.Checkpoints) == 0 {
		return d.fail(snapshot, fmt.Errorf("%w: the VM has no checkpoints", lab.ErrNoSnapshot))
	}
	return d.fail(snapshot, fmt.Errorf("%w (the VM has: %s)", lab.ErrNoSnapshot, strings.Join(vm.Checkpoints, ", ")))
}

// CheckSnapshot reports whether the VM has the checkpoint.
func (d *Driver) CheckSnapshot(ctx context.Context, snapshot string) error {
	vm, err := d.get(ctx, snapshot)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(vm.Checkpoints, func(c string) bool { return strings.EqualFold(c, snapshot) }) {
		return d.missing(snapshot, vm)
	}
	return nil
}

// Revert applies the checkpoint: one batch reads the VM and restores it.
func (d *Driver) Revert(ctx context.Context, snapshot string) error {
	out, err := d.batch(ctx, snapshot, ops.MustNew(ops.OpHyperVVMGet, ops.HyperVVMArgs{VM: d.opts.VM}),
		ops.MustNew(ops.OpHyperVCheckpointRestore, ops.HyperVRestoreArgs{VM: d.opts.VM, Checkpoint: snapshot}))
	if err != nil {
		return err
	}
	var vm ops.HyperVVM
	if err := out[0].Decode(&vm); err != nil {
		return d.vmError(snapshot, err)
	}
	if err := out[1].Decode(nil); err != nil {
		var oe *ops.Error
		if errors.As(err, &oe) && oe.Code == ops.CodeNotFound {
			return d.missing(snapshot, vm)
		}
		return d.fail(snapshot, fmt.Errorf("restore: %w", err))
	}
	return nil
}

// PowerOn starts the VM unless it runs, then waits (as long as ctx
// allows) until its heartbeat integration service reports OK.
func (d *Driver) PowerOn(ctx context.Context) error {
	out, err := d.batch(ctx, "", ops.MustNew(ops.OpHyperVVMStart, ops.HyperVVMArgs{VM: d.opts.VM}))
	if err != nil {
		return err
	}
	if err := out[0].Decode(nil); err != nil {
		return d.vmError("", err)
	}
	wait := 500 * time.Millisecond
	for {
		vm, err := d.get(ctx, "")
		if err != nil {
			return err
		}
		if vm.Heartbeat == "OK" {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return d.fail("", fmt.Errorf("%w: the VM is %s, heartbeat %q", lab.ErrNotReady, vm.State, vm.Heartbeat))
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// Close closes the session with the Hyper-V host.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.s == nil {
		return nil
	}
	err := d.s.Close()
	d.s = nil
	return err
}
