package model

import (
	"github.com/msilab/msilab/win"
	"strings"
	"time"
)

// Unchecked builders for the model's own setup. They run with m.mu held
// (or before the machine is shared).

func (m *Machine) addDrive(drive, sddl string) {
	now := m.now()
	m.st.drives[strings.ToUpper(drive)] = &fnode{name: strings.ToUpper(drive), dir: true,
		kids: map[string]*fnode{}, created: now, modified: now, sd: win.MustParseSDDL(sddl)}
}

// setupDir creates a directory whose parent exists; sddl "" inherits as
// if SYSTEM created it.
func (m *Machine) setupDir(path, sddl string, attrs FileAttributes) (*fnode, error) {
	return m.setupDirAs(win.SystemToken(), path, sddl, attrs)
}

// setupDirAs is setupDir with tok as the creator.
func (m *Machine) setupDirAs(tok *win.Token, path, sddl string, attrs FileAttributes) (*fnode, error) {
	l, err := m.st.locate("setup", path)
	if err != nil {
		return nil, err
	}
	n := l.node
	if n == nil {
		n = m.create(l, tok, true, nil)
	}
	return n, m.setupApply(n, l.parent, sddl, attrs)
}

// setupFile creates or replaces a file; sddl "" inherits.
func (m *Machine) setupFile(path string, data []byte, sddl, version string, attrs FileAttributes) (*fnode, error) {
	l, err := m.st.locate("setup", path)
	if err != nil {
		return nil, err
	}
	n := l.node
	if n == nil {
		n = m.create(l, win.SystemToken(), false, data)
	}
	n.data = append([]byte(nil), data...)
	n.version = version
	return n, m.setupApply(n, l.parent, sddl, attrs|AttrArchive)
}

func (m *Machine) setupApply(n, parent *fnode, sddl string, attrs FileAttributes) error {
	n.attrs |= attrs
	if sddl == "" {
		return nil
	}
	sd, err := win.ParseSDDL(sddl)
	if err != nil {
		return err
	}
	if sd.Owner != "" {
		n.sd.Owner = sd.Owner
	}
	if sd.Group != "" {
		n.sd.Group = sd.Group
	}
	n.sd.DACL = win.ACL{Null: sd.DACL.Null, Flags: sd.DACL.Flags}
	if !sd.DACL.Null {
		n.sd.DACL.ACEs = explicitACEs(sd.DACL, sd.DACL.Protected())
	}
	var psd *win.SecurityDescriptor
	if parent != nil {
		psd = &parent.sd
	}
	rebuildDACL(&n.sd, psd, n.dir)
	propagate(n)
	return nil
}

// newBareMachine is a machine with no layout, for the builders and tests.
func newBareMachine(hostname string, domain win.SID, start time.Time) *Machine {
	return &Machine{st: newState(), snaps: map[string]*state{}, clockStart: start,
		hostname: hostname, domain: domain}
}
