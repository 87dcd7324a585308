package sim

import (
	"context"
	"encoding/json"
	"io"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// runHostDir is the simulated twin of ops.HostDirScript: create the folder
// (with the descriptor) or set the descriptor's owner and DACL on it.
func (h *Host) runHostDir(s Session) Program {
	return func(_ context.Context, p *Proc) int {
		var req ops.HostDirRequest
		data, err := io.ReadAll(p.Stdin)
		if err == nil {
			err = json.Unmarshal(data, &req)
		}
		if err != nil || req.Path == "" || req.SDDL == "" {
			writeCLIXMLError(p.Stderr, "msilab: host folder: bad request on stdin")
			return 1
		}
		sd, err := win.ParseSDDL(req.SDDL)
		if err != nil {
			writeCLIXMLError(p.Stderr, "Exception calling \"SetSecurityDescriptorSddlForm\" with \"2\" argument(s): \"The SDDL form of a security descriptor object is invalid.\"")
			return 1
		}
		tok, err := h.token(s)
		if err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		path := cleanPath(req.Path)
		res := ops.HostDirResult{Path: path}
		fs := h.m.FS()
		const what = model.OwnerInfo | model.DACLInfo
		if exists, isDir := h.stat(path); exists && isDir {
			before, err := fs.GetSecurity(tok, path)
			if err != nil {
				writeCLIXMLError(p.Stderr, cmdError(err))
				return 1
			}
			res.Before = ownerAndDACL(before)
		} else {
			// Directory.CreateDirectory(path, security): the folder is
			// created with the descriptor, never with its parent's ACL.
			if err := fs.MkdirAll(tok, path); err != nil {
				writeCLIXMLError(p.Stderr, cmdError(err))
				return 1
			}
			res.Created = true
		}
		if err := fs.SetSecurity(tok, path, sd, what); err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		after, err := fs.GetSecurity(tok, path)
		if err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		res.After = ownerAndDACL(after)
		out, _ := json.Marshal(res)
		p.Stdout.Write(out)
		return 0
	}
}

// ownerAndDACL is sd's owner and DACL as SDDL, as
// GetSecurityDescriptorSddlForm(Owner, Access) gives them.
func ownerAndDACL(sd win.SecurityDescriptor) string {
	sd.Group, sd.SACL = "", ""
	return sd.String()
}
