package model

import (
	"github.com/msilab/msilab/win"
	"strings"
)

// Security descriptors of files and directories: read, set, propagate.

// SecurityInfo selects parts of a descriptor, like SECURITY_INFORMATION.
type SecurityInfo uint8

// Security information flags.
const (
	OwnerInfo SecurityInfo = 1 << iota
	GroupInfo
	DACLInfo
)

// GetSecurity returns a copy of the descriptor (READ_CONTROL).
func (f FS) GetSecurity(tok *win.Token, path string) (win.SecurityDescriptor, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "GetSecurityInfo"
	l, err := f.m.st.existing(op, path)
	if err != nil {
		return win.SecurityDescriptor{}, err
	}
	if err := check(op, l.path, l.node, tok, win.ReadControl); err != nil {
		return win.SecurityDescriptor{}, err
	}
	return l.node.sd.Clone(), nil
}

// SetSecurity sets the parts of sd chosen by what, like SetSecurityInfo:
// owner and group need WRITE_OWNER, the DACL WRITE_DAC. A new DACL keeps
// its explicit ACEs (deny first), then, unless protected, re-inherits from
// the parent; then every non-protected descendant has its inherited ACEs
// recomputed ("Automatic Propagation of Inheritable ACEs", D). A
// protected DACL keeps inherited ACEs as explicit ones (G).
func (f FS) SetSecurity(tok *win.Token, path string, sd win.SecurityDescriptor, what SecurityInfo) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.m.setSecurity(tok, path, sd, what)
}

// SetSDDL is SetSecurity with the parts present in an SDDL string.
func (f FS) SetSDDL(tok *win.Token, path, sddl string) error {
	sd, err := win.ParseSDDL(sddl)
	if err != nil {
		return err
	}
	var what SecurityInfo
	if sd.Owner != "" {
		what |= OwnerInfo
	}
	if sd.Group != "" {
		what |= GroupInfo
	}
	if strings.Contains(sddl, "D:") {
		what |= DACLInfo
	}
	return f.SetSecurity(tok, path, sd, what)
}

func (m *Machine) setSecurity(tok *win.Token, path string, sd win.SecurityDescriptor, what SecurityInfo) error {
	const op = "SetSecurityInfo"
	l, err := m.st.existing(op, path)
	if err != nil {
		return err
	}
	var want win.AccessMask
	if what&(OwnerInfo|GroupInfo) != 0 {
		want |= win.WriteOwner
	}
	if what&DACLInfo != 0 {
		want |= win.WriteDAC
	}
	if err := check(op, l.path, l.node, tok, want); err != nil {
		return err
	}
	n := l.node
	if what&OwnerInfo != 0 {
		n.sd.Owner = sd.Owner
	}
	if what&GroupInfo != 0 {
		n.sd.Group = sd.Group
	}
	if what&DACLInfo != 0 {
		acl := win.ACL{Null: sd.DACL.Null, Flags: sd.DACL.Flags}
		if !acl.Null {
			acl.ACEs = explicitACEs(sd.DACL, sd.DACL.Protected())
		}
		n.sd.DACL = acl
		var parent *win.SecurityDescriptor
		if l.parent != nil {
			parent = &l.parent.sd
		}
		rebuildDACL(&n.sd, parent, n.dir)
		propagate(n)
	}
	return nil
}

// propagate recomputes the inherited ACEs of n's descendants.
func propagate(n *fnode) {
	for _, k := range n.kids {
		if k.sd.DACL.Protected() || k.sd.DACL.Null {
			continue
		}
		rebuildDACL(&k.sd, &n.sd, k.dir)
		if k.dir {
			propagate(k)
		}
	}
}

// Access returns what tok may do on path (MAXIMUM_ALLOWED).
func (f FS) Access(tok *win.Token, path string) (win.AccessMask, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	l, err := f.m.st.existing("AccessCheck", path)
	if err != nil || tok == nil {
		return 0, err
	}
	granted, _ := win.AccessCheck(&l.node.sd, tok, win.MaximumAllowed, win.FileMapping)
	return granted, nil
}

// ICACLS renders path's DACL as `icacls` prints it, with the machine's
// account names. It checks no access.
func (f FS) ICACLS(path string) ([]string, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	l, err := f.m.st.existing("icacls", path)
	if err != nil {
		return nil, err
	}
	return win.ICACLS(l.node.sd.DACL, f.m.lookupSID), nil
}
