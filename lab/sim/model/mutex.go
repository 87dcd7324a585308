package model

import (
	"fmt"
	"time"
)

// Named mutexes such as Global\_MSIExecute, held by an owner until
// released or until a model-clock deadline. Names compare exactly, as
// Win32 object names are case-sensitive (D: CreateMutex "The name
// comparison is case sensitive").

type mutexHold struct {
	owner string
	until time.Time // zero: no deadline
}

// Mutexes are the machine's named mutexes.
type Mutexes struct{ m *Machine }

// Mutexes returns the named mutexes.
func (m *Machine) Mutexes() Mutexes { return Mutexes{m} }

// held returns the live hold of name, dropping an expired one.
func (m *Machine) held(name string) (mutexHold, bool) {
	h, ok := m.st.mutexes[name]
	if ok && !h.until.IsZero() && !m.now().Before(h.until) {
		delete(m.st.mutexes, name)
		return mutexHold{}, false
	}
	return h, ok
}

// Acquire takes name for owner until the deadline (zero: until released).
// Acquiring again by the same owner moves the deadline. Held by another
// owner: ErrMutexHeld.
func (x Mutexes) Acquire(name, owner string, until time.Time) error {
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	if h, ok := x.m.held(name); ok && h.owner != owner {
		return fmt.Errorf("%w: %s held by %s", ErrMutexHeld, name, h.owner)
	}
	x.m.st.mutexes[name] = mutexHold{owner: owner, until: until}
	return nil
}

// Holder returns the owner of name and whether it is held now.
func (x Mutexes) Holder(name string) (string, bool) {
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	h, ok := x.m.held(name)
	return h.owner, ok
}

// Release frees name. Releasing a free mutex is not an error.
func (x Mutexes) Release(name string) {
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	delete(x.m.st.mutexes, name)
}

func mutexLines(out *[]string, st *state) {
	for name, h := range st.mutexes {
		until := "none"
		if !h.until.IsZero() {
			until = stamp(h.until)
		}
		*out = append(*out, fmt.Sprintf("mutex %q owner=%q until=%s", name, h.owner, until))
	}
}
