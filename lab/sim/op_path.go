package sim

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpPathStat, pathStat)
	registerOp(ops.OpPathList, pathList)
	registerOp(ops.OpPathCreate, pathCreate)
	registerOp(ops.OpPathMove, pathMove)
	registerOp(ops.OpPathRemove, pathRemove)
}

func pathInfo(fi model.FileInfo) ops.PathInfo {
	out := ops.PathInfo{Path: fi.Path, Exists: true, ParentExists: true, IsDir: fi.Dir, Size: fi.Size}
	for _, a := range []struct {
		bit  model.FileAttributes
		name string
	}{{model.AttrReadOnly, "ReadOnly"}, {model.AttrHidden, "Hidden"}, {model.AttrSystem, "System"}} {
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

func pathArgs(args json.RawMessage) (string, error) {
	var a ops.PathArgs
	if err := decodeArgs(args, &a); err != nil {
		return "", err
	}
	return a.Path, required("path", a.Path)
}

func pathStat(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	p, err := pathArgs(args)
	if err != nil {
		return nil, err
	}
	return h.statPath(p)
}

func pathList(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	p, err := pathArgs(args)
	if err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
	entries, err := h.m.FS().ReadDir(tok, p)
	if err != nil {
		return nil, opError(err)
	}
	out := ops.PathList{Path: cleanPath(p), Entries: []ops.PathInfo{}}
	for _, fi := range entries {
		out.Entries = append(out.Entries, pathInfo(fi))
	}
	return out, nil
}

func pathCreate(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.PathCreateArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("path", a.Path, "type", a.Type); err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
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

func pathMove(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.PathMoveArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("from", a.From, "to", a.To); err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
	if err := h.m.FS().Move(tok, a.From, a.To); err != nil {
		return nil, opError(err)
	}
	return ops.PathMoved{From: cleanPath(a.From), To: cleanPath(a.To)}, nil
}

func pathRemove(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.PathRemoveArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("path", a.Path); err != nil {
		return nil, err
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
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
