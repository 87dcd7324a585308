package ops

// Named mutex ops: hold Global\_MSIExecute as another install would.
const (
	OpMutexHold    = "mutex.hold"
	OpMutexRelease = "mutex.release"
	OpMutexGet     = "mutex.get"
)

// MutexExecute is the Windows Installer execution mutex.
const MutexExecute = `Global\_MSIExecute`

// MutexHolder names msilab's own holds.
const MutexHolder = "msilab mutex.hold"

// MutexHoldArgs holds Name for Seconds (1 to 86400) from a separate process.
type MutexHoldArgs struct {
	Name    string `json:"name"`
	Seconds int    `json:"seconds"`
}

// MutexArgs names a mutex.
type MutexArgs struct {
	Name string `json:"name"`
}

// Mutex is a mutex's state. Holder is MutexHolder when msilab's mutex.hold
// holds it, empty otherwise.
type Mutex struct {
	Name   string `json:"name"`
	Held   bool   `json:"held"`
	Holder string `json:"holder,omitempty"`
}

// MutexChange is what mutex.hold and mutex.release return.
type MutexChange struct {
	Before Mutex `json:"before"`
	After  Mutex `json:"after"`
}
