package model

import (
	"github.com/msilab/msilab/win"
	"strings"
)

// Move renames a file or directory, as MoveFileEx without
// MOVEFILE_REPLACE_EXISTING on one volume: it needs DELETE on the object
// (or FILE_DELETE_CHILD on its parent) and FILE_ADD_FILE or
// FILE_ADD_SUBDIRECTORY on the new parent. The object keeps its security
// descriptor, inherited ACEs included, as a same-volume move does (D:
// "Moving and copying files and folders" keeps permissions on one volume).
// An existing destination is ERROR_ALREADY_EXISTS. A file or folder that
// a process holds open, or a folder with one inside, cannot be moved:
// *InUseError, ERROR_ACCESS_DENIED (see handles.go).
func (f FS) Move(tok *win.Token, from, to string) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	const op = "MoveFile"
	src, err := f.m.st.existing(op, from)
	if err != nil {
		return err
	}
	if src.parent == nil {
		return deniedErr(op, src.path, win.Delete, tok)
	}
	dst, err := f.m.st.locate(op, to)
	if err != nil {
		return err
	}
	if dst.node != nil {
		return pathErr(op, dst.path, ErrorAlreadyExists, ErrExists)
	}
	if dst.parent == nil || !dst.parent.dir {
		return pathErr(op, dst.path, ErrorPathNotFound, ErrPathNotFound)
	}
	// Moving a directory into itself.
	if lsrc := strings.ToLower(src.path) + `\`; strings.HasPrefix(strings.ToLower(dst.path)+`\`, lsrc) {
		return pathErr(op, dst.path, ErrorInvalidName, ErrInvalidName)
	}
	if hs := f.m.holdersUnder(src.path); len(hs) > 0 {
		return &InUseError{Op: op, Path: src.path, Holders: hs}
	}
	okSelf := check(op, src.path, src.node, tok, win.Delete) == nil
	okParent := check(op, src.path, src.parent, tok, win.FileDeleteChild) == nil
	if !okSelf && !okParent {
		return deniedErr(op, src.path, win.Delete, tok)
	}
	add := win.FileAddFile
	if src.node.dir {
		add = win.FileAddSubdirectory
	}
	if err := check(op, dst.path, dst.parent, tok, add); err != nil {
		return err
	}
	delete(src.parent.kids, strings.ToLower(src.node.name))
	src.node.name = dst.name
	src.node.modified = f.m.now()
	dst.parent.kids[strings.ToLower(dst.name)] = src.node
	return nil
}
