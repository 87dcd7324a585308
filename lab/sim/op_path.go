package sim

import (
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	path := func(a ops.PathArgs) error { return required("path", a.Path) }
	registerOp(ops.OpPathStat, typed(path, pathStat))
	registerOp(ops.OpPathList, typed(path, pathList))
	registerOp(ops.OpPathCreate, typed(func(a ops.PathCreateArgs) error { return required("path", a.Path, "type", a.Type) }, pathCreate))
	registerOp(ops.OpPathMove, typed(func(a ops.PathMoveArgs) error { return required("from", a.From, "to", a.To) }, pathMove))
	registerOp(ops.OpPathRemove, typed(func(a ops.PathRemoveArgs) error {
		if a.Marker != "" && !ops.ValidMarker(a.Marker) {
			return invalidArgs("marker must be a bare file name (letters, digits, '.', '-', '_'), not " + a.Marker)
		}
		return required("path", a.Path)
	}, pathRemove))
	registerOp(ops.OpPathSetAttributes, typed(func(a ops.PathSetAttributesArgs) error { return required("path", a.Path) }, pathSetAttributes))
}

// settable are the attributes path.set_attributes sets, by name.
var settable = []struct {
	bit  model.FileAttributes
	name string
}{{model.AttrReadOnly, "ReadOnly"}, {model.AttrHidden, "Hidden"}, {model.AttrSystem, "System"}}

func pathInfo(fi model.FileInfo) ops.PathInfo {
	out := ops.PathInfo{Path: fi.Path, Exists: true, ParentExists: true, IsDir: fi.Dir, Size: fi.Size}
	for _, a := range settable {
		if fi.Attrs&a.bit != 0 {
			out.Attributes = append(out.Attributes, a.name)
		}
	}
	return out
}

// stat describes a path as path.stat reports it.
func (h *Host) statPath(path string) (ops.PathInfo, error) {
	fi, err := h.m.FS().Stat(path)
	switch {
	case err == nil:
		return pathInfo(fi), nil
	case errors.Is(err, model.ErrNotFound):
		return ops.PathInfo{Path: cleanPath(path), ParentExists: true}, nil
	case errors.Is(err, model.ErrPathNotFound):
		return ops.PathInfo{Path: cleanPath(path)}, nil
	}
	return ops.PathInfo{}, opError(err)
}

// pathStat is path.stat for the session's token: a path it may not read
// the attributes of is AccessDenied, never "missing" (the module tells the
// two apart by the exception File.GetAttributes throws).
func pathStat(c opCall, a ops.PathArgs) (any, error) {
	if _, err := c.h.m.FS().StatAs(c.tok, a.Path); errors.Is(err, model.ErrAccessDenied) {
		return nil, opError(err)
	}
	return c.h.statPath(a.Path)
}

func pathList(c opCall, a ops.PathArgs) (any, error) {
	p := a.Path
	entries, err := c.h.m.FS().ReadDir(c.tok, p)
	if err != nil {
		return nil, opError(err)
	}
	out := ops.PathList{Path: cleanPath(p), Entries: []ops.PathInfo{}}
	for _, fi := range entries {
		out.Entries = append(out.Entries, pathInfo(fi))
	}
	return out, nil
}

func pathCreate(c opCall, a ops.PathCreateArgs) (any, error) {
	h, tok := c.h, c.tok
	fs := h.m.FS()
	out := ops.PathCreated{Created: []string{}}
	switch a.Type {
	case "directory":
		if len(a.Content) > 0 {
			return nil, invalidArgs("a directory has no content")
		}
		for p := cleanPath(a.Path); !fs.Exists(p); p = parentPath(p) {
			out.Created = append([]string{p}, out.Created...)
			if parentPath(p) == p {
				break
			}
		}
		return out, opError(fs.MkdirAll(tok, a.Path))
	case "file":
		info, err := h.statPath(a.Path)
		if err != nil {
			return nil, err
		}
		if info.IsDir {
			return nil, &ops.Error{Code: ops.CodeConflict, Message: info.Path + " is a directory", Win32: int(model.ErrorAccessDenied)}
		}
		if info.Exists {
			if out.ReplacedContent, err = fs.ReadFile(tok, a.Path); err != nil {
				return nil, opError(err)
			}
		}
		if err := fs.WriteFile(tok, a.Path, a.Content); err != nil {
			return nil, opError(err)
		}
		out.Replaced = info.Exists
		if !info.Exists {
			out.Created = []string{info.Path}
		}
		return out, nil
	}
	return nil, invalidArgs(`type must be "directory" or "file", not ` + a.Type)
}

// pathMove is path.move. A folder that processes hold open inside is
// Conflict naming them, as the module reports it after its bounded retries
// (Restart Manager names the holders; Win32 5, as MoveFileEx fails).
func pathMove(c opCall, a ops.PathMoveArgs) (any, error) {
	h, tok := c.h, c.tok
	if err := h.m.FS().Move(tok, a.From, a.To); err != nil {
		var inUse *model.InUseError
		if errors.As(err, &inUse) {
			return nil, &ops.Error{Code: ops.CodeConflict, Win32: int(model.ErrorAccessDenied),
				Message: cleanPath(a.From) + " is held open by " + strings.Join(inUse.Holders, ", ")}
		}
		return nil, opError(err)
	}
	return ops.PathMoved{From: cleanPath(a.From), To: cleanPath(a.To)}, nil
}

func pathRemove(c opCall, a ops.PathRemoveArgs) (any, error) {
	h, tok := c.h, c.tok
	info, err := h.statPath(a.Path)
	if err != nil {
		return nil, err
	}
	out := ops.PathRemoved{Before: info}
	if !info.Exists {
		return out, nil // already gone: removing is idempotent
	}
	fs := h.m.FS()
	sd, err := fs.GetSecurity(tok, a.Path)
	if err != nil {
		return nil, opError(err)
	}
	out.SDDL = sd.String()
	if a.Marker != "" {
		marker := cleanPath(a.Path) + `\` + a.Marker
		if !info.IsDir || !fs.Exists(marker) {
			out.Kept = "no " + a.Marker + " in it: not the folder msilab created"
			return out, nil
		}
		entries, err := fs.ReadDir(tok, a.Path)
		if err != nil {
			return nil, opError(err)
		}
		if len(entries) > 1 {
			return nil, &ops.Error{Code: ops.CodeConflict, Message: info.Path + " is not empty", Win32: int(model.ErrorDirNotEmpty)}
		}
		if err := fs.Remove(tok, marker); err != nil {
			return nil, opError(err)
		}
	}
	if !info.IsDir {
		if out.Content, err = fs.ReadFile(tok, a.Path); err != nil {
			return nil, opError(err)
		}
	}
	if err := fs.Remove(tok, a.Path); err != nil {
		return nil, opError(err)
	}
	return out, nil
}

// pathSetAttributes is SetFileAttributes with the path's attributes other
// than ReadOnly, Hidden and System kept (FILE_WRITE_ATTRIBUTES); names
// are case-sensitive, as Attributes spells them.
func pathSetAttributes(c opCall, a ops.PathSetAttributesArgs) (any, error) {
	var want model.FileAttributes
	for _, name := range a.Attributes {
		found := false
		for _, s := range settable {
			if s.name == name {
				want |= s.bit
				found = true
			}
		}
		if !found {
			return nil, invalidArgs("attributes are ReadOnly, Hidden and System, not " + name)
		}
	}
	fs := c.h.m.FS()
	fi, err := fs.Stat(a.Path)
	if err != nil {
		return nil, opError(err)
	}
	before := pathInfo(fi)
	keep := fi.Attrs &^ (model.AttrReadOnly | model.AttrHidden | model.AttrSystem)
	if err := fs.SetAttributes(c.tok, a.Path, keep|want); err != nil {
		return nil, opError(err)
	}
	after, err := c.h.statPath(a.Path)
	return ops.PathAttributesChange{Before: before, After: after}, err
}
