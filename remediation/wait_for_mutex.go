package remediation

import (
	"encoding/json"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// WaitForMutex is what a careful administrator does about another install
// holding Global\_MSIExecute: wait for it to finish, and name it. It
// never ends another process; in the lab it releases msilab's own hold
// (mutex.hold's), which mutex.release refuses for any other holder.
type WaitForMutex struct{}

var (
	_ Fix    = (*WaitForMutex)(nil)
	_ Waiter = (*WaitForMutex)(nil)
	_ Noter  = (*WaitForMutex)(nil)
)

func init() {
	Register(Info{
		Name: "wait-for-mutex",
		Summary: `msilab's own hold of Global\_MSIExecute: mutex.release; another process's: wait (mutex.get every 5 s, ` +
			`up to the engine's MutexWait) and report it`,
		Risk:       RiskLow,
		RiskReason: "it ends no process: it releases only msilab's own hold, or waits",
		Addresses:  []string{FindingMutexHeld},
		New:        func() Fix { return &WaitForMutex{} },
	})
}

// Applies while the mutex is held.
func (*WaitForMutex) Applies(st *HostState, _ Finding) bool { return st.Mutex.Held }

// Ops release msilab's hold; nothing for another holder (the engine waits).
func (*WaitForMutex) Ops(st *HostState, _ Finding) ([]ops.Op, error) {
	if st.Mutex.Holder == ops.MutexHolder {
		return []ops.Op{ops.MustNew(ops.OpMutexRelease, ops.MutexArgs{Name: ops.MutexExecute})}, nil
	}
	return nil, nil
}

// Undo: nothing to undo.
func (*WaitForMutex) Undo(*HostState) (json.RawMessage, error) { return nil, nil }

// UndoOps: none.
func (*WaitForMutex) UndoOps(_ faults.Target, data json.RawMessage) ([]ops.Op, error) {
	return noUndo(data)
}

// Verify checks that the mutex is free.
func (*WaitForMutex) Verify(after *HostState) error {
	if after.Mutex.Held {
		holder := after.Mutex.Holder
		if holder == "" {
			holder = "another process (an install in progress)"
		}
		return notVerified("wait-for-mutex", "%s is held by %s", ops.MutexExecute, holder)
	}
	return nil
}

// PollEvery is how often the mutex is read again while waiting.
func (*WaitForMutex) PollEvery() time.Duration { return 5 * time.Second }

// Note says how to find a foreign holder by hand.
func (*WaitForMutex) Note(st *HostState, _ Finding) string {
	if st.Mutex.Holder == ops.MutexHolder {
		return "held by msilab's own mutex.hold (a lab fault): released"
	}
	return `held by another process: an install is in its execute phase. Wait for it; to see which, list the ` +
		`msiexec.exe processes (Get-CimInstance Win32_Process -Filter "Name='msiexec.exe'" | Select-Object ` +
		`ProcessId,CreationDate,CommandLine) and the newest MsiInstaller events; never end it (its rollback would not run)`
}
