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
)

// stagingDir is where ops.UploadScript stages an upload: msilab's own
// folder, SYSTEM and Administrators only, never the session's %TEMP%.
const (
	stagingDir  = ops.StagingDir
	stagingSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
)

// runUpload is the simulated twin of ops.UploadScript: header line, base64
// lines, trailer line. The bytes are staged in stagingDir with the
// session's token; only once the trailer's hash matches is the file
// written at its destination (a new file there: it inherits that folder's
// ACL), and the staged copy goes, so a failed upload leaves nothing behind.
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
		if err := h.mkdirAll(s, parentPath(dest)); err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
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
		if err := h.writeFile(s, dest, data); err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
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
