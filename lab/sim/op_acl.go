package sim

import (
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	registerOp(ops.OpACLGet, typed(func(a ops.ACLGetArgs) error { return required("path", a.Path) },
		func(c opCall, a ops.ACLGetArgs) (any, error) { return c.h.acl(c.tok, a.Path) }))
	registerOp(ops.OpACLSet, typed(func(a ops.ACLSetArgs) error { return required("path", a.Path, "sddl", a.SDDL) }, aclSet))
}

// acl reads a path's security descriptor as acl.get reports it.
func (h *Host) acl(tok *win.Token, path string) (ops.ACL, error) {
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

// sections maps acl.set's section names to SECURITY_INFORMATION bits. A
// section the SDDL lacks (no O: for owner) is refused, as the module
// refuses it, never written as a NULL owner, group or DACL.
func sections(names []string, sd win.SecurityDescriptor, sddl string) (model.SecurityInfo, error) {
	if len(names) == 0 {
		names = []string{"dacl"}
	}
	var what model.SecurityInfo
	for _, sec := range names {
		switch strings.ToLower(sec) {
		case "owner":
			what |= model.OwnerInfo
		case "group":
			what |= model.GroupInfo
		case "dacl":
			what |= model.DACLInfo
		default:
			return 0, invalidArgs("sections are owner, group and dacl, not " + sec)
		}
	}
	if what&model.OwnerInfo != 0 && sd.Owner == "" || what&model.GroupInfo != 0 && sd.Group == "" ||
		what&model.DACLInfo != 0 && !strings.Contains(strings.ToUpper(sddl), "D:") {
		return 0, invalidArgs("sddl has no O:, G: or D: for a section it is to set")
	}
	return what, nil
}

func aclSet(c opCall, a ops.ACLSetArgs) (any, error) {
	sd, err := win.ParseSDDL(a.SDDL)
	var se *win.SDDLError
	if errors.As(err, &se) {
		return nil, invalidArgs(se.Error())
	}
	if err != nil {
		return nil, opError(err)
	}
	what, err := sections(a.Sections, sd, a.SDDL)
	if err != nil {
		return nil, err
	}
	before, err := c.h.acl(c.tok, a.Path)
	if err != nil {
		return nil, err
	}
	if err := c.h.m.FS().SetSecurity(c.tok, a.Path, sd, what); err != nil {
		return nil, opError(err)
	}
	// The change is made; a DACL that no longer grants the caller
	// READ_CONTROL hides the result, as on Windows (After.SDDL stays empty).
	after, err := c.h.acl(c.tok, a.Path)
	if err != nil {
		after = ops.ACL{Path: before.Path, Exists: true}
	}
	return ops.ACLChange{Before: before, After: after}, nil
}
