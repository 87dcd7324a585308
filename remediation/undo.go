package remediation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// A fix's undo travels as data: Undo takes it from the state before the
// change, a run journals it before the change is sent, and the fix's own
// UndoOps rebuilds the changes from it. A journal is read back from disk,
// so UndoOps checks the data as input: only the paths, values and
// service the fix itself changes, decoded strictly. A journal can thus
// never make `msilab revert` send an op that the fix would not have sent.

// ErrUndo is wrapped when a fix's undo data is not what the fix journals.
var ErrUndo = errors.New("remediation: invalid undo data")

// UndoOps rebuilds the changes that undo the named fix from its journaled
// data, for the target the fix was applied to.
func UndoOps(fix string, t faults.Target, data json.RawMessage) ([]ops.Op, error) {
	info, err := Lookup(fix)
	if err != nil {
		return nil, err
	}
	out, err := info.New().UndoOps(t, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fix, err)
	}
	return out, nil
}

// undoData encodes a fix's undo data (nil: nothing to undo).
func undoData(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("remediation: encode undo data: %w", err)
	}
	return b, nil
}

// decodeUndo decodes undo data strictly into v: one JSON object, no
// unknown key.
func decodeUndo(data json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrUndo, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value", ErrUndo)
	}
	return nil
}

// noUndo is UndoOps of a fix that changes nothing to undo: data must be empty.
func noUndo(data json.RawMessage) ([]ops.Op, error) {
	if d := bytes.TrimSpace(data); len(d) > 0 && string(d) != "null" {
		return nil, fmt.Errorf("%w: this fix journals no undo data", ErrUndo)
	}
	return nil, nil
}

func badUndo(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUndo}, args...)...)
}

// createdMarker is the file a recreate fix puts in the folder it creates:
// its undo removes the folder only while it holds this marker and nothing
// else, so that an undo sent again never removes a folder that was put
// back in the meantime (path.remove's marker).
const createdMarker = "msilab-created.marker"

// markerOp creates the marker in dir.
func markerOp(dir, fix string) ops.Op {
	return ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: dir + `\` + createdMarker, Type: "file",
		Content: []byte("created by msilab's " + fix + " fix; its undo removes this folder while it holds only this file\r\n")})
}

// createdUndo is the undo data of a fix that created a folder.
type createdUndo struct {
	Path   string `json:"path"`
	Marker string `json:"marker"`
}

// removeCreated checks a createdUndo against the folder the fix creates
// and rebuilds its removal.
func removeCreated(data json.RawMessage, want string) ([]ops.Op, error) {
	var u createdUndo
	if err := decodeUndo(data, &u); err != nil {
		return nil, err
	}
	if !strings.EqualFold(u.Path, want) {
		return nil, badUndo("path %q is not %s", u.Path, want)
	}
	if u.Marker != createdMarker {
		return nil, badUndo("marker %q is not %s", u.Marker, createdMarker)
	}
	return []ops.Op{ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: want, Marker: createdMarker})}, nil
}

// aclUndo is the undo data of a fix that set a folder's descriptor.
type aclUndo struct {
	Path     string   `json:"path"`
	SDDL     string   `json:"sddl"`
	Sections []string `json:"sections"`
}

// aclUndoOf is the descriptor a fix's rollback puts back: the probed owner
// (when the fix changes it) and DACL; nil when the folder was not read.
func aclUndoOf(f Folder, def string) *aclUndo {
	if !f.Exists() || f.ACL.SDDL == "" {
		return nil
	}
	sections := []string{"dacl"}
	if have, want := ownerOf(f.ACL.SDDL), ownerOf(def); have != "" && want != "" && have != want {
		sections = []string{"owner", "dacl"}
	}
	return &aclUndo{Path: f.Path, SDDL: f.ACL.SDDL, Sections: sections}
}

// restoreACL checks an aclUndo against the folder the fix changes and
// rebuilds the acl.set.
func restoreACL(data json.RawMessage, want string) ([]ops.Op, error) {
	if d := bytes.TrimSpace(data); len(d) == 0 || string(d) == "null" {
		return nil, nil // the folder was not read: nothing was changed
	}
	var u aclUndo
	if err := decodeUndo(data, &u); err != nil {
		return nil, err
	}
	if !strings.EqualFold(u.Path, want) {
		return nil, badUndo("path %q is not %s", u.Path, want)
	}
	if _, err := win.ParseSDDL(u.SDDL); err != nil {
		return nil, badUndo("sddl: %v", err)
	}
	if len(u.Sections) == 0 || slices.ContainsFunc(u.Sections, func(s string) bool { return s != "owner" && s != "dacl" }) {
		return nil, badUndo("sections %v are not owner and/or dacl", u.Sections)
	}
	return []ops.Op{aclSetOp(want, u.SDDL, u.Sections...)}, nil
}

// userTempOf is the %TEMP% of the target's context user, which the user
// fixes change: an error for the system context.
func userTempOf(t faults.Target) (string, error) {
	u := t.ContextUser()
	if u == "" || strings.ContainsAny(u, `\/:*?"<>|`) || strings.Trim(u, ". ") == "" {
		return "", badUndo("the %q context names no user whose %%TEMP%% a fix changes", t.Context)
	}
	return UserTempDir(u), nil
}

// serviceUndo is the undo data of an msiserver fix: the service as it was.
type serviceUndo struct {
	Exists    bool   `json:"exists"`
	StartType string `json:"start_type,omitempty"`
	Running   bool   `json:"running,omitempty"`
}

func serviceUndoOf(s ops.Service) serviceUndo {
	if !s.Exists {
		return serviceUndo{}
	}
	return serviceUndo{Exists: true, StartType: startTypeName(s), Running: running(s)}
}

// decodeServiceUndo decodes and checks a serviceUndo.
func decodeServiceUndo(data json.RawMessage) (serviceUndo, error) {
	var u serviceUndo
	if err := decodeUndo(data, &u); err != nil {
		return u, err
	}
	if u.Exists && !slices.Contains(ops.StartTypes, u.StartType) {
		return u, badUndo("start type %q is not one of %s", u.StartType, strings.Join(ops.StartTypes, ", "))
	}
	if !u.Exists && (u.StartType != "" || u.Running) {
		return u, badUndo("a service that did not exist has no start type or state")
	}
	return u, nil
}
