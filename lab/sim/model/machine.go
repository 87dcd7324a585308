package model

import (
	"github.com/msilab/msilab/win"
	"slices"
	"sync"
	"time"
)

// Machine is a simulated Windows host. All methods are safe for
// concurrent use: one mutex guards the whole machine.
type Machine struct {
	mu         sync.Mutex
	st         *state
	snaps      map[string]*state
	clock      func() time.Time
	clockStart time.Time
	hostname   string
	domain     win.SID
	profile    win.Profile
	locale     string // display language: en-US or de-DE
}

// now reads the model clock: the injected one, or the profile's start
// plus one millisecond per read.
func (m *Machine) now() time.Time {
	if m.clock != nil {
		return m.clock()
	}
	m.st.ticks++
	return m.clockStart.Add(time.Duration(m.st.ticks) * time.Millisecond)
}

// Now reads the model clock.
func (m *Machine) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now()
}

// lookupSID names a SID as Windows displays it.
func (m *Machine) lookupSID(s win.SID) string {
	if n, ok := win.WellKnownName(s); ok {
		return n
	}
	if s.Domain() == m.domain {
		if s.RID() == 513 {
			return m.hostname + `\None`
		}
		for _, u := range m.st.users {
			if u.SID == s {
				return m.hostname + `\` + u.Name
			}
		}
	}
	return string(s)
}

// State describes the machine canonically (see State).
func (m *Machine) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.lines()
}

// Digest is State().Digest().
func (m *Machine) Digest() string { return m.State().Digest() }

// Snapshot saves the whole state under name, replacing any older one.
func (m *Machine) Snapshot(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snaps[name] = m.st.clone()
}

// Restore returns the machine to a snapshot. The snapshot stays intact.
func (m *Machine) Restore(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snaps[name]
	if !ok {
		return &SnapshotError{Name: name, Known: m.snapshotNames()}
	}
	m.st = s.clone()
	return nil
}

// SnapshotState is the State of a snapshot, without restoring it.
func (m *Machine) SnapshotState(name string) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snaps[name]
	if !ok {
		return nil, &SnapshotError{Name: name, Known: m.snapshotNames()}
	}
	return s.lines(), nil
}

// Snapshots lists snapshot names, sorted.
func (m *Machine) Snapshots() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapshotNames()
}

func (m *Machine) snapshotNames() []string {
	names := make([]string, 0, len(m.snaps))
	for n := range m.snaps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SnapshotError is an unknown snapshot name.
type SnapshotError struct {
	Name  string
	Known []string
}

func (e *SnapshotError) Error() string {
	return "model: unknown snapshot " + e.Name
}

// Is makes errors.Is(err, ErrUnknownSnapshot) true.
func (e *SnapshotError) Is(target error) bool { return target == ErrUnknownSnapshot }

// NewProcessID allocates a process ID for a process that starts now. The
// counter is part of a snapshot, so runs from one snapshot repeat exactly;
// it is not part of State (a process that has exited leaves no trace).
func (m *Machine) NewProcessID() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	pid := m.st.nextPID
	m.st.nextPID += 4
	return pid
}
