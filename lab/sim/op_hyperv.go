package sim

import (
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// The Hyper-V ops' twins, over the simulated Hyper-V host's VMs
// (hyperv.go); MsiLab.psm1's functions run the Hyper-V module's cmdlets.
func init() {
	vmName := func(a ops.HyperVVMArgs) error { return required("vm", a.VM) }
	registerOp(ops.OpHyperVVMGet, typed(vmName, func(c opCall, a ops.HyperVVMArgs) (any, error) {
		v, err := c.h.vm(a.VM)
		if err != nil {
			return nil, err
		}
		c.h.hv.mu.Lock()
		defer c.h.hv.mu.Unlock()
		out := ops.HyperVVM{Name: v.name, State: v.state, Checkpoints: []string{}}
		if v.state == VMRunning {
			out.Heartbeat = "OK"
		}
		for _, cp := range v.checkpoints {
			out.Checkpoints = append(out.Checkpoints, cp.name)
		}
		return out, nil
	}))
	registerOp(ops.OpHyperVCheckpointRestore, typed(func(a ops.HyperVRestoreArgs) error { return required("vm", a.VM, "checkpoint", a.Checkpoint) },
		func(c opCall, a ops.HyperVRestoreArgs) (any, error) {
			v, err := c.h.vm(a.VM)
			if err != nil {
				return nil, err
			}
			c.h.hv.mu.Lock()
			defer c.h.hv.mu.Unlock()
			var found []simCheckpoint
			for _, cp := range v.checkpoints {
				if strings.EqualFold(cp.name, a.Checkpoint) {
					found = append(found, cp)
				}
			}
			switch len(found) {
			case 0:
				return nil, &ops.Error{Code: ops.CodeNotFound, Message: "VM '" + v.name + "' has no checkpoint '" + a.Checkpoint + "'"}
			case 1:
			default:
				return nil, &ops.Error{Code: ops.CodeConflict, Message: "VM '" + v.name + "' has several checkpoints named '" + a.Checkpoint + "'"}
			}
			cp := found[0]
			before := v.state
			if err := v.guest.host.m.Restore(cp.model(v.name)); err != nil {
				return nil, opError(err)
			}
			v.guest.CloseShells() // the guest's memory is gone: so are its shells
			state := VMOff
			if cp.kind == CheckpointStandard && cp.state == VMRunning {
				state = VMSaved
			}
			v.setState(state)
			return ops.HyperVRestored{VM: v.name, Checkpoint: cp.name, StateBefore: before, State: state}, nil
		}))
	registerOp(ops.OpHyperVVMStart, typed(vmName, func(c opCall, a ops.HyperVVMArgs) (any, error) {
		v, err := c.h.vm(a.VM)
		if err != nil {
			return nil, err
		}
		c.h.hv.mu.Lock()
		defer c.h.hv.mu.Unlock()
		before := v.state
		v.setState(VMRunning)
		return ops.HyperVStarted{VM: v.name, StateBefore: before, State: VMRunning}, nil
	}))
}
