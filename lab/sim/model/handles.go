package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Open handles: a process that holds a file or folder open keeps a folder
// above it from being renamed. MoveFile of such a folder fails with
// ERROR_ACCESS_DENIED, whatever the caller's rights (R: beeware/briefcase
// #1780, a file open inside, "a Windows file indexer or an antivirus
// scanner"; docs/evidence.md#E-installer-handles). A service's handles are
// part of its run state and close when it stops; another process's
// (an indexer planted by a test) stay until closed.

// InUseError is a move refused because processes hold handles inside.
type InUseError struct {
	Op, Path string
	Holders  []string // as Restart Manager names them: "image (PID n, service s)"
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("%s %s: access is denied: held open by %s (win32 %d)", e.Op, e.Path,
		strings.Join(e.Holders, ", "), uint32(ErrorAccessDenied))
}

// Is makes an InUseError an access denial, as Windows reports it.
func (e *InUseError) Is(target error) bool { return target == ErrAccessDenied }

// Handles are the open handles of processes that are not services.
type Handles struct{ m *Machine }

// Handles returns the machine's open handles.
func (m *Machine) Handles() Handles { return Handles{m} }

// Open records that process holder (a name such as "SearchIndexer.exe")
// holds path open; the path must exist.
func (h Handles) Open(holder, path string) error {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	l, err := h.m.st.existing("CreateFile", path)
	if err != nil {
		return err
	}
	h.m.st.handles[holder] = append(h.m.st.handles[holder], l.path)
	return nil
}

// Close closes every handle of holder, as its process exiting does.
func (h Handles) Close(holder string) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	delete(h.m.st.handles, holder)
}

// HoldOpen records that a running service's process holds path open until
// the service stops; nothing when it is not running or path is missing.
func (s Services) HoldOpen(name, path string) {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	r := s.m.st.svc[strings.ToLower(name)]
	l, err := s.m.st.existing("CreateFile", path)
	if r == nil || r.state != ServiceRunning || err != nil || slices.Contains(r.open, l.path) {
		return
	}
	r.open = append(r.open, l.path)
}

// holdersUnder names the processes holding path or anything below it
// open, sorted.
func (m *Machine) holdersUnder(path string) []string {
	inside := func(p string) bool {
		lp, lpath := strings.ToLower(p), strings.ToLower(path)
		return lp == lpath || strings.HasPrefix(lp, lpath+`\`)
	}
	var out []string
	for name, r := range m.st.svc {
		if r.state == ServiceRunning && slices.ContainsFunc(r.open, inside) {
			image := "svchost.exe"
			if st, ok := m.config(name); ok {
				image = imageName(st.Config.ImagePath)
				name = st.Name
			}
			out = append(out, fmt.Sprintf("%s (PID %d, service %s)", image, r.pid, name))
		}
	}
	for _, holder := range slices.Sorted(maps.Keys(m.st.handles)) {
		if slices.ContainsFunc(m.st.handles[holder], inside) {
			out = append(out, holder)
		}
	}
	slices.Sort(out)
	return out
}

// imageName is the file name of a service's executable.
func imageName(imagePath string) string {
	p := strings.TrimSpace(imagePath)
	if strings.HasPrefix(p, `"`) {
		if j := strings.Index(p[1:], `"`); j >= 0 {
			p = p[1 : j+1]
		}
	} else if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[:i]
	}
	return p[strings.LastIndexByte(p, '\\')+1:]
}

func handleLines(out *[]string, st *state) {
	for holder, paths := range st.handles {
		for _, p := range paths {
			*out = append(*out, fmt.Sprintf("handle %s %s", holder, strings.ToLower(p)))
		}
	}
}
