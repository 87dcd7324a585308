package sim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpACLGet, aclGet)
	registerOp(ops.OpACLSet, aclSet)
}

// acl reads a path's security descriptor as acl.get reports it.
func (h *Host) acl(tok *model.Token, path string) (ops.ACL, error) {
	out := ops.ACL{Path: path}
	fs := h.m.FS()
	sd, err := fs.GetSecurity(tok, path)
	if notFound(err) {
		return out, nil
	}
	if err != nil {
		return out, opError(err)
	}
	lines, err := fs.ICACLS(path)
	if err != nil {
		return out, opError(err)
	}
	out.Exists, out.SDDL, out.Owner, out.Protected, out.ICACLS = true, sd.String(), string(sd.Owner), sd.DACL.Protected(), lines
	return out, nil
}

func aclGet(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.ACLGetArgs
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
	return h.acl(tok, a.Path)
}

func aclSet(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
	var a ops.ACLSetArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("path", a.Path, "sddl", a.SDDL); err != nil {
		return nil, err
	}
	sd, err := model.ParseSDDL(a.SDDL)
	var se *model.SDDLError
	if errors.As(err, &se) {
		return nil, invalidArgs(se.Error())
	}
	if err != nil {
		return nil, opError(err)
	}
	var what model.SecurityInfo
	if len(a.Sections) == 0 {
		a.Sections = []string{"dacl"}
	}
	for _, sec := range a.Sections {
		switch strings.ToLower(sec) {
		case "owner":
			what |= model.OwnerInfo
		case "group":
			what |= model.GroupInfo
		case "dacl":
			what |= model.DACLInfo
		default:
			return nil, invalidArgs("sections are owner, group and dacl, not " + sec)
		}
	}
	if what&model.OwnerInfo != 0 && sd.Owner == "" || what&model.GroupInfo != 0 && sd.Group == "" {
		return nil, invalidArgs("sddl has no O: or G: for the owner or group section")
	}
	tok, err := h.token(s)
	if err != nil {
		return nil, opError(err)
	}
	before, err := h.acl(tok, a.Path)
	if err != nil {
		return nil, err
	}
	if err := h.m.FS().SetSecurity(tok, a.Path, sd, what); err != nil {
		return nil, opError(err)
	}
	// The change is made; a DACL that no longer grants the caller
	// READ_CONTROL hides the result, as on Windows (After.SDDL stays empty).
	after, err := h.acl(tok, a.Path)
	if err != nil {
		after = ops.ACL{Path: before.Path, Exists: true}
	}
	return ops.ACLChange{Before: before, After: after}, nil
}
