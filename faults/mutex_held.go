package faults

import (
	"fmt"

	"github.com/msilab/msilab/lab/ops"
)

// MutexHeld holds Global\_MSIExecute as another install in its execute
// phase would: installs fail with 1618 (docs/evidence.md#E-mutex).
type MutexHeld struct {
	Seconds int `json:"seconds" doc:"how long the mutex is held unless reverted first, in seconds (1 to 86400)"`
}

var _ Fault = (*MutexHeld)(nil)

func init() {
	Register(Info{
		Name:     "mutex-held",
		Summary:  `Global\_MSIExecute is held, as by another install: exit 1618, message 1500`,
		Evidence: "docs/evidence.md#E-mutex: `_MSIExecute` mutex held by another install; 1618, 1500 (D)",
		Inject:   `mutex.hold Global\_MSIExecute for <seconds> from a separate process (a LocalSystem scheduled task, \msilab\mutex-<id>, which outlives the WinRM command)`,
		Revert:   `mutex.release Global\_MSIExecute (msilab's hold only), if the probe saw it free: the holder exits and its task is unregistered`,
		New:      func() Fault { return &MutexHeld{Seconds: 600} },
	})
}

// Validate checks the duration.
func (f *MutexHeld) Validate() error {
	if f.Seconds < 1 || f.Seconds > 86400 {
		return &ParamError{Param: "seconds", Value: fmt.Sprint(f.Seconds), Want: "from 1 to 86400"}
	}
	return nil
}

// Probe reads the mutex.
func (f *MutexHeld) Probe(Target) []ops.Op {
	return []ops.Op{ops.MustNew(ops.OpMutexGet, ops.MutexArgs{Name: ops.MutexExecute})}
}

func readMutex(p Probe) (ops.Mutex, error) {
	var m ops.Mutex
	err := p.result(0, ops.OpMutexGet, &m)
	return m, err
}

// Inject holds the mutex; nothing when msilab holds it already.
func (f *MutexHeld) Inject(_ Target, p Probe) ([]ops.Op, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	m, err := readMutex(p)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Held && m.Holder == ops.MutexHolder:
		return nil, nil
	case m.Held:
		return nil, hostState("%s is held by another process: an install is running", ops.MutexExecute)
	}
	return []ops.Op{ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: ops.MutexExecute, Seconds: f.Seconds})}, nil
}

// Revert releases msilab's hold if the mutex was free at the probe.
func (f *MutexHeld) Revert(_ Target, undo Probe) ([]ops.Op, error) {
	if undo.readFailed(0, 1) {
		return nil, nil
	}
	m, err := readMutex(undo)
	if err != nil {
		return nil, err
	}
	if m.Held {
		return nil, nil
	}
	return []ops.Op{ops.MustNew(ops.OpMutexRelease, ops.MutexArgs{Name: ops.MutexExecute})}, nil
}

// Detect reports a held mutex, and by whom.
func (f *MutexHeld) Detect(_ Target, now Probe) (Detection, error) {
	m, err := readMutex(now)
	if err != nil {
		return Detection{}, err
	}
	switch {
	case m.Held && m.Holder != "":
		return Detection{Present: true, Evidence: fmt.Sprintf("%s is held by %s", m.Name, m.Holder)}, nil
	case m.Held:
		return Detection{Present: true, Evidence: m.Name + " is held by another process"}, nil
	}
	return Detection{Present: false, Evidence: m.Name + " is free"}, nil
}
