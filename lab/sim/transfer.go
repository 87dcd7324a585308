package sim

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// stagingDir is where ops.UploadScript stages an upload: msilab's own
// folder, SYSTEM and Administrators only, never the session's %TEMP%.
const (
	stagingDir  = ops.StagingDir
	stagingSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
)

// runUpload is the simulated twin of ops.UploadScript: header line, base64
// lines, trailer line (the session has checked the host folder just
// before: lab.CheckHostDir). Folders it makes below the host folder get
// ops.HostDirSDDL; one that is a reparse point exits 3. The bytes are
// staged in stagingDir with the session's token;
// only once the trailer's hash matches is a new file created beside the
// destination (CreateNew: a file planted there that is not msilab's exits
// 4, one of msilab's is removed), given an explicit DACL and
// Administrators as owner, and renamed over the destination, and the
// staged copy goes, so a failed upload leaves nothing behind.
func (h *Host) runUpload(s Session) Program {
	return func(_ context.Context, p *Proc) int {
		in := bufio.NewReaderSize(p.Stdin, 1<<20)
		var hdr struct {
			Path string `json:"path"`
		}
		if err := readJSONLine(in, &hdr); err != nil || hdr.Path == "" {
			writeCLIXMLError(p.Stderr, "msilab: upload: bad header line on stdin")
			return 1
		}
		dest := cleanPath(hdr.Path)
		var data []byte
		var trailer *struct {
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		}
		for trailer == nil {
			line, err := in.ReadString('\n')
			if s := stripSpace(line); s != "" {
				if s[0] == '{' {
					if jerr := json.Unmarshal([]byte(s), &trailer); jerr != nil {
						trailer = nil
						break
					}
					continue
				}
				chunk, derr := base64.StdEncoding.DecodeString(s)
				if derr != nil {
					writeCLIXMLError(p.Stderr, "Exception calling \"FromBase64String\" with \"1\" argument(s): \"The input is not a valid Base-64 string.\"")
					return 1
				}
				data = append(data, chunk...)
			}
			if err != nil {
				break
			}
		}
		tok, err := h.token(s)
		if err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		if code, msg := h.mkdirUpload(tok, parentPath(dest)); code != 0 {
			fmt.Fprintf(p.Stderr, "%s\r\n", msg)
			return code
		}
		staged, err := h.stage(s, data)
		if err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		defer h.removePath(s, staged)
		hash := fileHash(data)
		if trailer == nil || !strings.EqualFold(hash, trailer.SHA256) {
			fmt.Fprintf(p.Stderr, "msilab: upload of %s incomplete or corrupt: got SHA-256 %s\r\n", dest, hash)
			return 2
		}
		if code, msg := h.replaceFile(tok, dest, data); code != 0 {
			fmt.Fprintf(p.Stderr, "%s\r\n", msg)
			return code
		}
		out, _ := json.Marshal(map[string]any{"path": dest, "size": len(data), "sha256": hash})
		p.Stdout.Write(out)
		return 0
	}
}

// runDownload is the simulated twin of ops.DownloadScript.
func (h *Host) runDownload(s Session) Program {
	return func(_ context.Context, p *Proc) int {
		var req struct {
			Path string `json:"path"`
		}
		raw, _ := io.ReadAll(p.Stdin)
		if err := json.Unmarshal(raw, &req); err != nil || req.Path == "" {
			writeCLIXMLError(p.Stderr, "msilab: download: bad request on stdin")
			return 1
		}
		data, err := h.readFile(s, req.Path)
		if err != nil {
			writeCLIXMLError(p.Stderr, fmt.Sprintf("Exception calling \"OpenRead\" with \"1\" argument(s): \"%s\"", cmdError(err)))
			return 1
		}
		hdr, _ := json.Marshal(map[string]any{"size": len(data), "sha256": fileHash(data)})
		fmt.Fprintf(p.Stdout, "%s\r\n", hdr)
		const chunk = 196608 // the script's buffer size
		for off := 0; off < len(data); off += chunk {
			end := min(off+chunk, len(data))
			fmt.Fprintf(p.Stdout, "%s\r\n", base64.StdEncoding.EncodeToString(data[off:end]))
		}
		return 0
	}
}

// stage writes an upload's bytes to a new file in stagingDir (created with
// its protected ACL when missing), as the session's token.
func (h *Host) stage(s Session, data []byte) (string, error) {
	tok, err := h.token(s)
	if err != nil {
		return "", err
	}
	fs := h.m.FS()
	if !fs.Exists(stagingDir) {
		if err := fs.MkdirAll(tok, stagingDir); err != nil {
			return "", err
		}
		if err := fs.SetSDDL(tok, stagingDir, stagingSDDL); err != nil {
			return "", err
		}
	}
	path := fmt.Sprintf(`%s\%s.upload`, stagingDir, strings.ToLower(fileHash(data)[:16]))
	return path, fs.WriteFile(tok, path, data)
}

// mkdirUpload makes an upload's destination folder: below the host folder
// each missing folder gets ops.HostDirSDDL, and none may be a reparse
// point (exit 3); elsewhere, New-Item's folders inherit.
func (h *Host) mkdirUpload(tok *win.Token, dir string) (int, string) {
	fs := h.m.FS()
	rest, ok := cutFold(dir, ops.HostDir+`\`)
	if !ok {
		if err := fs.MkdirAll(tok, dir); err != nil {
			return 1, cmdError(err)
		}
		return 0, ""
	}
	sub := ops.HostDir
	for _, part := range strings.Split(rest, `\`) {
		sub += `\` + part
		if !fs.Exists(sub) {
			if err := h.mkdirSecure(tok, sub); err != nil {
				return 1, cmdError(err)
			}
		}
		if fi, err := fs.Stat(sub); err == nil && fi.Attrs&model.AttrReparsePoint != 0 {
			return ops.UploadExitHostDir, "msilab: host folder: " + sub + " is a reparse point"
		}
	}
	return 0, ""
}

// uploadFileSDDL is the explicit DACL of an uploaded file (its folder's
// inheritable ACEs are added to it), owned by Administrators.
const uploadFileSDDL = "O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)"

// replaceFile writes data at dest as the upload script does
// (docs/evidence.md#E-create-existing-file): a new file
// <dest>.msilab-upload (CreateNew), with uploadFileSDDL, renamed over
// dest. A <dest>.msilab-upload that is there already is removed when
// Administrators or SYSTEM own it (an upload of msilab's cut short), else
// the upload fails (exit 4) without opening it.
func (h *Host) replaceFile(tok *win.Token, dest string, data []byte) (int, string) {
	fs := h.m.FS()
	tmp := dest + ".msilab-upload"
	if fi, err := fs.Stat(tmp); err == nil {
		if fi.Owner != win.SIDAdministrators && fi.Owner != win.SIDSystem {
			return ops.UploadExitPlanted, fmt.Sprintf("msilab: upload: %s exists, owned by %s", tmp, fi.Owner)
		}
		if err := fs.Remove(tok, tmp); err != nil {
			return 1, cmdError(err)
		}
	}
	sd, err := win.ParseSDDL(uploadFileSDDL)
	if err != nil {
		return 1, err.Error()
	}
	if err := fs.CreateFile(tok, tmp, data); err != nil {
		return 1, cmdError(err)
	}
	if err := fs.SetSecurity(tok, tmp, sd, model.OwnerInfo|model.DACLInfo); err != nil {
		_ = fs.Remove(tok, tmp)
		return 1, cmdError(err)
	}
	// Move-Item -Force: the file there, if any, is replaced.
	if fs.Exists(dest) {
		if err := fs.Remove(tok, dest); err != nil {
			_ = fs.Remove(tok, tmp)
			return 1, cmdError(err)
		}
	}
	if err := fs.Move(tok, tmp, dest); err != nil {
		return 1, cmdError(err)
	}
	return 0, ""
}

// cutFold is strings.CutPrefix, case-insensitive.
func cutFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
