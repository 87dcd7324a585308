package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// runHostDir is the simulated twin of ops.HostDirScript: create the folder
// (with the descriptor) or set the descriptor's owner and DACL on it
// (with CreateOnly, report what it has). A reparse point exits
// ops.HostDirExitReparse.
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
		if fi, err := fs.Stat(path); err == nil && fi.Attrs&model.AttrReparsePoint != 0 {
			fmt.Fprintf(p.Stderr, "msilab: host folder: %s is a reparse point (a junction or a symbolic link), not a folder of its own\r\n", path)
			return ops.HostDirExitReparse
		}
		const what = model.OwnerInfo | model.DACLInfo
		if exists, isDir := h.stat(path); exists && isDir {
			before, err := fs.GetSecurity(tok, path)
			if err != nil {
				writeCLIXMLError(p.Stderr, cmdError(err))
				return 1
			}
			res.Before = ownerAndDACL(before)
			if req.CreateOnly {
				res.After = res.Before
				out, _ := json.Marshal(res)
				p.Stdout.Write(out)
				return 0
			}
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

// hostDirProblem is the twin of the scripts' $MsiLabHostDirProblem: "" when
// ops.HostDir is right, "missing" when absent, else what is wrong: not a
// folder, a reparse point, or an owner and DACL that do not grant what
// ops.HostDirSDDL grants (win.SameRights: by meaning, not entry by entry).
// It reads the descriptor with SYSTEM's token, as an administrator can.
func (h *Host) hostDirProblem() string {
	fs := h.m.FS()
	fi, err := fs.Stat(ops.HostDir)
	switch {
	case err != nil:
		return "missing"
	case !fi.Dir:
		return ops.HostDir + " is a file, not a folder"
	case fi.Attrs&model.AttrReparsePoint != 0:
		return ops.HostDir + " is a reparse point (a junction or a symbolic link), not a folder of its own"
	}
	have, err := fs.GetSecurity(win.SystemToken(), ops.HostDir)
	if err != nil {
		return err.Error()
	}
	want, err := win.ParseSDDL(ops.HostDirSDDL)
	if err != nil {
		return err.Error()
	}
	if ok, why := win.SameRights(have, want, win.FileMapping); !ok {
		return fmt.Sprintf("%s: %s (it has %s)", ops.HostDir, why, ownerAndDACL(have))
	}
	return ""
}

// mkdirSecure creates one folder with ops.HostDirSDDL's owner and DACL.
func (h *Host) mkdirSecure(tok *win.Token, path string) error {
	fs := h.m.FS()
	if err := fs.Mkdir(tok, path); err != nil {
		return err
	}
	return fs.SetSDDL(tok, path, ops.HostDirSDDL)
}
