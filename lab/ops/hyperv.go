package ops

// Hyper-V ops run on a Hyper-V host (a lab.yaml host with role
// hypervisor), through the Hyper-V PowerShell module: the hyperv snapshot
// driver reads a VM, restores its checkpoint and starts it.
const (
	OpHyperVVMGet             = "hyperv.vm.get"
	OpHyperVCheckpointRestore = "hyperv.checkpoint.restore"
	OpHyperVVMStart           = "hyperv.vm.start"
)

// HyperVVMArgs names a VM.
type HyperVVMArgs struct {
	VM string `json:"vm"`
}

// HyperVVM is what hyperv.vm.get returns: the VM's state as Get-VM names
// it (Running, Off, Saved, Paused...), its heartbeat integration
// service's status (OK once the guest answers; "" when it does not run)
// and its checkpoints' names, oldest first. A VM that does not exist is
// a NotFound error.
type HyperVVM struct {
	Name        string   `json:"name"`
	State       string   `json:"state"`
	Heartbeat   string   `json:"heartbeat"`
	Checkpoints []string `json:"checkpoints"`
}

// HyperVRestoreArgs name a VM's checkpoint.
type HyperVRestoreArgs struct {
	VM         string `json:"vm"`
	Checkpoint string `json:"checkpoint"`
}

// HyperVRestored is what hyperv.checkpoint.restore returns: the VM's state
// before and after (a production checkpoint leaves the VM off).
type HyperVRestored struct {
	VM          string `json:"vm"`
	Checkpoint  string `json:"checkpoint"`
	StateBefore string `json:"state_before"`
	State       string `json:"state"`
}

// HyperVStarted is what hyperv.vm.start returns; a running VM is left as is.
type HyperVStarted struct {
	VM          string `json:"vm"`
	StateBefore string `json:"state_before"`
	State       string `json:"state"`
}
