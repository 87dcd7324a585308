package sim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/msilab/msilab/lab/ops"
)

// A simulated Hyper-V host: a simulated Windows host that also runs VMs,
// each of them another simulated host (a guest Server) registered under
// the VM's name. Applying a checkpoint restores the guest's whole model
// and its power state; a guest that is off does not answer WinRM. The
// states and the checkpoint types follow Microsoft's documentation:
//   - D: a production checkpoint (the default since Windows 10 / Server
//     2016) holds no memory state, a standard one does
//     (docs/evidence.md#E-hyperv-checkpoints);
//   - G: so a VM to which a production checkpoint was applied is Off, and
//     one to which a standard checkpoint of a running VM was applied is
//     Saved; both need Start-VM before the guest answers.
//   - D: the Heartbeat integration service reports OK while the guest
//     runs and answers (Get-VMIntegrationService's PrimaryStatusDescription);
//     G: it is empty for a VM that is not running.

// VM states, as Get-VM's State names them.
const (
	VMRunning = "Running"
	VMOff     = "Off"
	VMSaved   = "Saved"
)

// Checkpoint types (Set-VM -CheckpointType).
const (
	CheckpointProduction = "Production"
	CheckpointStandard   = "Standard"
)

type hyperV struct {
	mu  sync.Mutex
	vms map[string]*simVM // by lower-cased name
}

type simVM struct {
	name        string
	guest       *Server
	state       string
	checkpoints []simCheckpoint
}

type simCheckpoint struct {
	name, kind, state string // state: the VM's when it was taken
}

func (c simCheckpoint) model(vm string) string { return "hyperv:" + vm + ":" + c.name }

// AddVM makes s a Hyper-V host running a VM of that name whose guest is
// guest (running). Adding a name twice replaces the VM.
func (s *Server) AddVM(name string, guest *Server) {
	s.host.hvOnce.Do(func() { s.host.hv = &hyperV{vms: map[string]*simVM{}} })
	hv := s.host.hv
	hv.mu.Lock()
	defer hv.mu.Unlock()
	hv.vms[strings.ToLower(name)] = &simVM{name: name, guest: guest, state: VMRunning}
	guest.SetPowered(true)
}

// Checkpoint takes a checkpoint of the VM (Checkpoint-VM), of type kind
// (CheckpointProduction or CheckpointStandard).
func (s *Server) Checkpoint(vm, name, kind string) error {
	v, err := s.host.vm(vm)
	if err != nil {
		return err
	}
	if kind != CheckpointProduction && kind != CheckpointStandard {
		return fmt.Errorf("sim: checkpoint type %q", kind)
	}
	hv := s.host.hv
	hv.mu.Lock()
	defer hv.mu.Unlock()
	c := simCheckpoint{name: name, kind: kind, state: v.state}
	v.guest.host.m.Snapshot(c.model(v.name))
	v.checkpoints = append(v.checkpoints, c)
	return nil
}

// StopVM turns the VM off (Stop-VM -TurnOff).
func (s *Server) StopVM(vm string) error {
	v, err := s.host.vm(vm)
	if err != nil {
		return err
	}
	s.host.hv.mu.Lock()
	defer s.host.hv.mu.Unlock()
	v.setState(VMOff)
	return nil
}

// VMState is the VM's state as Get-VM reports it.
func (s *Server) VMState(vm string) (string, error) {
	v, err := s.host.vm(vm)
	if err != nil {
		return "", err
	}
	s.host.hv.mu.Lock()
	defer s.host.hv.mu.Unlock()
	return v.state, nil
}

func (v *simVM) setState(state string) {
	v.state = state
	v.guest.SetPowered(state == VMRunning)
}

// vm finds a VM by name, as the module's Get-MsiLabHyperVVMByName does: a
// host without VMs answers as one without the Hyper-V module.
func (h *Host) vm(name string) (*simVM, error) {
	if h.hv == nil {
		return nil, &ops.Error{Code: ops.CodeNotSupported, Message: "the Hyper-V PowerShell module is not installed on this host"}
	}
	h.hv.mu.Lock()
	defer h.hv.mu.Unlock()
	v := h.hv.vms[strings.ToLower(name)]
	if v == nil {
		return nil, &ops.Error{Code: ops.CodeNotFound, Message: "no Hyper-V VM named '" + name + "'"}
	}
	return v, nil
}

// SetPowered turns the simulated machine's WinRM service on or off: a
// machine that is off closes every connection without an answer.
func (s *Server) SetPowered(on bool) { s.off.Store(!on) }

// powerGate closes the connections of a machine that is off.
func (s *Server) powerGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.off.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			http.Error(w, "machine is off", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}
