package model

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/msilab/msilab/win"
)

// Processes that outlive a command: what msilab starts to run on (the
// mutex holder) and what a test puts beside them. A process has an ID, an
// image, a command line, an account and a start time, which together tell
// it from a later process that reuses its ID (D: "process identifiers are
// reused"; Win32_Process's ProcessId, CommandLine and CreationDate).

// Process is a running process.
type Process struct {
	PID         uint32
	Image       string // full path of the executable
	CommandLine string
	User        win.SID
	Started     time.Time
}

// Processes are the machine's long-running processes.
type Processes struct{ m *Machine }

// Processes returns the running processes.
func (m *Machine) Processes() Processes { return Processes{m} }

// Start starts p now with a new ID, which it returns.
func (x Processes) Start(p Process) Process {
	pid := x.m.NewProcessID()
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	p.PID, p.Started = pid, x.m.now()
	x.m.st.procs[pid] = p
	return p
}

// Get returns the running process of an ID.
func (x Processes) Get(pid uint32) (Process, bool) {
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	p, ok := x.m.st.procs[pid]
	return p, ok
}

// Stop ends a process (TerminateProcess); it needs an admin token for
// another account's process. A process that is not running is
// ERROR_INVALID_PARAMETER (87), as OpenProcess reports it.
func (x Processes) Stop(tok *win.Token, pid uint32) error {
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	p, ok := x.m.st.procs[pid]
	what := fmt.Sprintf("process %d", pid)
	switch {
	case !ok:
		return pathErr("OpenProcess", what, ErrorInvalidParameter, ErrNotFound)
	case tok == nil || p.User != tok.User && !tok.IsAdmin():
		return deniedErr("OpenProcess", what, win.Delete, tok)
	}
	delete(x.m.st.procs, pid)
	return nil
}

func processLines(out *[]string, st *state) {
	for _, pid := range slices.Sorted(maps.Keys(st.procs)) {
		p := st.procs[pid]
		*out = append(*out, fmt.Sprintf("process %d image=%q user=%s started=%s cmd=%q", pid, p.Image, p.User, stamp(p.Started), p.CommandLine))
	}
}
