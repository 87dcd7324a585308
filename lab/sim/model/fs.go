package model

import (
	"github.com/msilab/msilab/win"
	"slices"
	"strings"
	"time"
)

// The file system: case-insensitive, case-preserving, every object with a
// security descriptor, and access checked where Windows checks it
// (Microsoft "File Security and Access Rights", D):
//
//	create a file in a directory   FILE_ADD_FILE on the directory
//	create a subdirectory          FILE_ADD_SUBDIRECTORY on the directory
//	read data                      FILE_READ_DATA
//	write / overwrite data         FILE_WRITE_DATA
//	append                         FILE_APPEND_DATA
//	delete                         DELETE on the object, or FILE_DELETE_CHILD on its parent
//	list a directory               FILE_LIST_DIRECTORY
//	read the security descriptor   READ_CONTROL
//	set the DACL / the owner       WRITE_DAC / WRITE_OWNER
//	set attributes                 FILE_WRITE_ATTRIBUTES
//
// Traversal is not checked: "Bypass traverse checking" is granted to
// Everyone by default (D). The creator of a file gets the access it asks
// for on the new handle whatever the new file's DACL says (G).

// FileAttributes are FILE_ATTRIBUTE_* values.
type FileAttributes uint32

// File attributes.
const (
	AttrReadOnly  FileAttributes = 0x1
	AttrHidden    FileAttributes = 0x2
	AttrSystem    FileAttributes = 0x4
	AttrDirectory FileAttributes = 0x10
	AttrArchive   FileAttributes = 0x20
	// AttrReparsePoint marks a junction or a symbolic link (D:
	// "Reparse Points"). SetFileAttributes cannot set or clear it.
	AttrReparsePoint FileAttributes = 0x400
)

// FileInfo describes a file or directory.
type FileInfo struct {
	Path     string
	Name     string
	Dir      bool
	Size     int64
	Attrs    FileAttributes
	Version  string // file version resource, for binaries such as msi.dll
	Created  time.Time
	Modified time.Time
	Owner    win.SID
}

type fnode struct {
	name     string
	dir      bool
	kids     map[string]*fnode // lower-case name -> child
	data     []byte
	attrs    FileAttributes
	version  string
	created  time.Time
	modified time.Time
	sd       win.SecurityDescriptor
	target   string // a junction's target
}

func (n *fnode) clone() *fnode {
	c := *n
	c.data = slices.Clone(n.data)
	c.sd = n.sd.Clone()
	if n.kids != nil {
		c.kids = make(map[string]*fnode, len(n.kids))
		for k, v := range n.kids {
			c.kids[k] = v.clone()
		}
	}
	return &c
}

func (n *fnode) info(path string) FileInfo {
	fi := FileInfo{Path: path, Name: n.name, Dir: n.dir, Size: int64(len(n.data)),
		Attrs: n.attrs, Version: n.version, Created: n.created, Modified: n.modified, Owner: n.sd.Owner}
	if n.dir {
		fi.Attrs |= AttrDirectory
		fi.Size = 0
	}
	return fi
}

// FS is the machine's file system. Every method takes the acting token.
type FS struct{ m *Machine }

// FS returns the file system.
func (m *Machine) FS() FS { return FS{m} }

// located is a resolved path: parent (nil for a root), node (nil if
// missing), the final name and the canonical path.
type located struct {
	parent, node *fnode
	name, path   string
}

// locate resolves p. A missing or non-directory intermediate component is
// ERROR_PATH_NOT_FOUND; a missing last component is not an error here.
func (st *state) locate(op, p string) (located, error) {
	wp, err := parsePath(p)
	if err != nil {
		return located{}, pathErr(op, p, ErrorInvalidName, ErrInvalidName)
	}
	clean := wp.String()
	root := st.drives[wp.drive]
	if root == nil {
		return located{}, pathErr(op, clean, ErrorPathNotFound, ErrPathNotFound)
	}
	if len(wp.parts) == 0 {
		return located{node: root, path: clean}, nil
	}
	dir := root
	shown := winPath{drive: wp.drive}
	for _, c := range wp.parts[:len(wp.parts)-1] {
		next := dir.kids[strings.ToLower(c)]
		if next == nil || !next.dir {
			return located{}, pathErr(op, clean, ErrorPathNotFound, ErrPathNotFound)
		}
		dir = next
		shown.parts = append(shown.parts, next.name)
	}
	last := wp.parts[len(wp.parts)-1]
	l := located{parent: dir, node: dir.kids[strings.ToLower(last)], name: last}
	if l.node != nil {
		last = l.node.name
	}
	shown.parts = append(shown.parts, last)
	l.path = shown.String()
	return l, nil
}

// existing is locate that also fails on a missing last component.
func (st *state) existing(op, p string) (located, error) {
	l, err := st.locate(op, p)
	if err == nil && l.node == nil {
		err = pathErr(op, l.path, ErrorFileNotFound, ErrNotFound)
	}
	return l, err
}

func check(op, path string, n *fnode, tok *win.Token, want win.AccessMask) error {
	if tok == nil {
		return deniedErr(op, path, want, tok)
	}
	if _, ok := win.AccessCheck(&n.sd, tok, want, win.FileMapping); !ok {
		return deniedErr(op, path, want, tok)
	}
	return nil
}

func (m *Machine) create(l located, tok *win.Token, dir bool, data []byte) *fnode {
	now := m.now()
	n := &fnode{name: l.name, dir: dir, data: slices.Clone(data), created: now, modified: now,
		sd: newObjectSD(&l.parent.sd, dir, tok)}
	if dir {
		n.kids = map[string]*fnode{}
	} else {
		n.attrs = AttrArchive
	}
	l.parent.kids[strings.ToLower(l.name)] = n
	return n
}

// Stat describes a file or directory. It checks no access (G: Windows
// grants FILE_READ_ATTRIBUTES through the parent's FILE_LIST_DIRECTORY).
func (f FS) Stat(path string) (FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	l, err := f.m.st.existing("GetFileAttributes", path)
	if err != nil {
		return FileInfo{}, err
	}
	return l.node.info(l.path), nil
}

// StatAs is Stat for tok, as GetFileAttributesEx checks it: the object must
// grant FILE_READ_ATTRIBUTES, or its folder FILE_LIST_DIRECTORY (D: "File
// Security and Access Rights": listing a folder reads its entries'
// attributes; traverse is not checked, every token holding
// SeChangeNotifyPrivilege). A path that does not exist is not found
// whatever the rights.
func (f FS) StatAs(tok *win.Token, path string) (FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "GetFileAttributesEx"
	l, err := f.m.st.existing(op, path)
	if err != nil {
		return FileInfo{}, err
	}
	if check(op, l.path, l.node, tok, win.FileReadAttributes) != nil &&
		(l.parent == nil || check(op, l.path, l.parent, tok, win.FileListDirectory) != nil) {
		return FileInfo{}, deniedErr(op, l.path, win.FileReadAttributes, tok)
	}
	return l.node.info(l.path), nil
}

// Exists reports whether path names a file or directory.
func (f FS) Exists(path string) bool {
	_, err := f.Stat(path)
	return err == nil
}

// ReadFile returns a file's data (FILE_READ_DATA).
func (f FS) ReadFile(tok *win.Token, path string) ([]byte, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "ReadFile"
	l, err := f.m.st.existing(op, path)
	if err != nil {
		return nil, err
	}
	if l.node.dir {
		return nil, pathErr(op, l.path, ErrorAccessDenied, ErrIsDirectory)
	}
	if err := check(op, l.path, l.node, tok, win.FileReadData); err != nil {
		return nil, err
	}
	return slices.Clone(l.node.data), nil
}

// WriteFile creates a file (FILE_ADD_FILE on the directory) or replaces
// the data of an existing one (FILE_WRITE_DATA; read-only files refuse).
func (f FS) WriteFile(tok *win.Token, path string, data []byte) error {
	return f.write(tok, "WriteFile", path, data, false, false)
}

// CreateFile creates a new file and fails with ERROR_FILE_EXISTS (80) if
// one exists (CREATE_NEW).
func (f FS) CreateFile(tok *win.Token, path string, data []byte) error {
	return f.write(tok, "CreateFile", path, data, true, false)
}

// AppendFile appends (FILE_APPEND_DATA), creating the file if needed.
func (f FS) AppendFile(tok *win.Token, path string, data []byte) error {
	return f.write(tok, "AppendFile", path, data, false, true)
}

func (f FS) write(tok *win.Token, op, path string, data []byte, createNew, appendData bool) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	l, err := f.m.st.locate(op, path)
	if err != nil {
		return err
	}
	if l.node == nil {
		if err := check(op, l.path, l.parent, tok, win.FileAddFile); err != nil {
			return err
		}
		f.m.create(l, tok, false, data)
		return nil
	}
	n := l.node
	switch {
	case createNew:
		return pathErr(op, l.path, ErrorFileExists, ErrExists)
	case n.dir:
		return pathErr(op, l.path, ErrorAccessDenied, ErrIsDirectory)
	case n.attrs&AttrReadOnly != 0:
		return deniedErr(op, l.path, win.FileWriteData, tok)
	}
	want := win.FileWriteData
	if appendData {
		want = win.FileAppendData
	}
	if err := check(op, l.path, n, tok, want); err != nil {
		return err
	}
	if appendData {
		n.data = append(n.data, data...)
	} else {
		n.data = slices.Clone(data)
	}
	n.modified = f.m.now()
	return nil
}

// Mkdir creates a directory (FILE_ADD_SUBDIRECTORY on the parent); an
// existing name gives ERROR_ALREADY_EXISTS (183).
func (f FS) Mkdir(tok *win.Token, path string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.m.mkdir(tok, path)
}

func (m *Machine) mkdir(tok *win.Token, path string) error {
	const op = "CreateDirectory"
	l, err := m.st.locate(op, path)
	if err != nil {
		return err
	}
	if l.node != nil {
		return pathErr(op, l.path, ErrorAlreadyExists, ErrExists)
	}
	if err := check(op, l.path, l.parent, tok, win.FileAddSubdirectory); err != nil {
		return err
	}
	m.create(l, tok, true, nil)
	return nil
}

// MkdirAll creates path and any missing parents, each with Mkdir's check.
func (f FS) MkdirAll(tok *win.Token, path string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.m.mkdirAll(tok, path)
}

func (m *Machine) mkdirAll(tok *win.Token, path string) error {
	wp, err := parsePath(path)
	if err != nil {
		return err
	}
	for i := 1; i <= len(wp.parts); i++ {
		sub := winPath{wp.drive, wp.parts[:i]}.String()
		l, err := m.st.locate("CreateDirectory", sub)
		if err != nil {
			return err
		}
		if l.node != nil {
			if !l.node.dir {
				return pathErr("CreateDirectory", l.path, ErrorAlreadyExists, ErrExists)
			}
			continue
		}
		if err := m.mkdir(tok, sub); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes a file or an empty directory: DELETE on it or
// FILE_DELETE_CHILD on its parent; read-only refuses (5), a non-empty
// directory gives ERROR_DIR_NOT_EMPTY (145).
func (f FS) Remove(tok *win.Token, path string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.m.remove(tok, path, false)
}

// RemoveAll deletes a tree, checking every object as Remove does. A
// missing path is not an error.
func (f FS) RemoveAll(tok *win.Token, path string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	err := f.m.remove(tok, path, true)
	if c := Code(err); c == ErrorFileNotFound || c == ErrorPathNotFound {
		return nil
	}
	return err
}

func (m *Machine) remove(tok *win.Token, path string, recursive bool) error {
	const op = "DeleteFile"
	l, err := m.st.existing(op, path)
	if err != nil {
		return err
	}
	if l.parent == nil {
		return deniedErr(op, l.path, win.Delete, tok)
	}
	n := l.node
	if n.dir && recursive {
		for _, k := range sortedKids(n) {
			if err := m.remove(tok, l.path+`\`+k.name, true); err != nil {
				return err
			}
		}
	}
	if n.dir && len(n.kids) > 0 {
		return pathErr(op, l.path, ErrorDirNotEmpty, ErrNotEmpty)
	}
	okSelf := check(op, l.path, n, tok, win.Delete) == nil
	okParent := check(op, l.path, l.parent, tok, win.FileDeleteChild) == nil
	// A read-only file or directory refuses deletion (G for directories).
	if !okSelf && !okParent || n.attrs&AttrReadOnly != 0 {
		return deniedErr(op, l.path, win.Delete, tok)
	}
	delete(l.parent.kids, strings.ToLower(n.name))
	return nil
}

func sortedKids(n *fnode) []*fnode {
	kids := make([]*fnode, 0, len(n.kids))
	for _, k := range n.kids {
		kids = append(kids, k)
	}
	slices.SortFunc(kids, func(a, b *fnode) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return kids
}

// ReadDir lists a directory (FILE_LIST_DIRECTORY), sorted by name. A
// missing directory is ERROR_PATH_NOT_FOUND (3), a file ERROR_DIRECTORY
// (267), as FindFirstFile("dir\*") reports them (G).
func (f FS) ReadDir(tok *win.Token, path string) ([]FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "FindFirstFile"
	l, err := f.m.st.locate(op, path)
	if err != nil {
		return nil, err
	}
	if l.node == nil {
		return nil, pathErr(op, l.path, ErrorPathNotFound, ErrPathNotFound)
	}
	if !l.node.dir {
		return nil, pathErr(op, l.path, ErrorDirectory, ErrNotDirectory)
	}
	if err := check(op, l.path, l.node, tok, win.FileListDirectory); err != nil {
		return nil, err
	}
	var out []FileInfo
	for _, k := range sortedKids(l.node) {
		out = append(out, k.info(strings.TrimSuffix(l.path, `\`)+`\`+k.name))
	}
	return out, nil
}

// SetAttributes sets attributes other than Directory (FILE_WRITE_ATTRIBUTES).
func (f FS) SetAttributes(tok *win.Token, path string, attrs FileAttributes) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "SetFileAttributes"
	l, err := f.m.st.existing(op, path)
	if err != nil {
		return err
	}
	if err := check(op, l.path, l.node, tok, win.FileWriteAttributes); err != nil {
		return err
	}
	l.node.attrs = attrs&^(AttrDirectory|AttrReparsePoint) | l.node.attrs&AttrReparsePoint
	return nil
}

// Junction creates a directory junction at path pointing to target
// (FILE_ADD_SUBDIRECTORY on the parent, as mklink /J needs): a directory
// whose attributes carry AttrReparsePoint. The model does not follow it:
// what lies below it is its own (G); msilab refuses a reparse point where
// it expects its host folder, before it looks below.
func (f FS) Junction(tok *win.Token, path, target string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.m.mkdir(tok, path); err != nil {
		return err
	}
	l, err := f.m.st.existing("CreateSymbolicLink", path)
	if err != nil {
		return err
	}
	l.node.attrs |= AttrReparsePoint
	l.node.target = target
	return nil
}
