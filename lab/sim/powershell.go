package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/msilab/msilab/lab/ops"
)

// progressPrefix is what masterzen/winrm's Powershell() puts before every script.
const progressPrefix = "$ProgressPreference = 'SilentlyContinue';"

// powershell runs `powershell.exe ... -EncodedCommand <base64>` when the
// script is one the host knows; anything else exits 1 saying what is supported.
func (h *Host) powershell(args string, s Session) Program {
	script, ok := encodedScript(args)
	if !ok {
		return fail("msilab simulated host: powershell runs only with -EncodedCommand and a known script; " + supported)
	}
	script = strings.TrimPrefix(strings.TrimSpace(script), progressPrefix)
	switch normalizeScript(script) {
	case normalizeScript(ops.BatchScript):
		return h.runBatch(s)
	case normalizeScript(ops.UploadScript):
		return h.runUpload(s)
	case normalizeScript(ops.DownloadScript):
		return h.runDownload(s)
	case normalizeScript(ops.HostDirScript):
		return h.runHostDir(s)
	}
	for _, k := range knownScripts {
		if m := k.re.FindStringSubmatch(script); m != nil {
			for i := range m[1:] {
				m[i+1] = expandPSEnv(m[i+1], h.env(s))
			}
			return k.run(h, s, m[1:])
		}
	}
	return psFail("msilab simulated host: this PowerShell script is not one it knows; " + supported)
}

// encodedScript finds -EncodedCommand (or an abbreviation: -enc, -e, -ec)
// among powershell.exe's arguments and decodes its UTF-16LE text.
func encodedScript(args string) (string, bool) {
	for rest := args; rest != ""; {
		var w string
		w, rest = splitWord(rest)
		lw := strings.ToLower(w)
		if len(lw) < 2 || (lw[0] != '-' && lw[0] != '/') {
			continue
		}
		if flag := lw[1:]; flag == "ec" || strings.HasPrefix("encodedcommand", flag) {
			val, _ := splitWord(rest)
			raw, err := base64.StdEncoding.DecodeString(unquote(val))
			if err != nil || len(raw)%2 != 0 {
				return "", false
			}
			u := make([]uint16, len(raw)/2)
			for i := range u {
				u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
			}
			return string(utf16.Decode(u)), true
		}
	}
	return "", false
}

func normalizeScript(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// psFail writes an error the way powershell.exe does under -EncodedCommand
// (CLIXML on stderr) and exits 1.
func psFail(msg string) Program {
	return func(_ context.Context, p *Proc) int {
		writeCLIXMLError(p.Stderr, msg)
		return 1
	}
}

func writeCLIXMLError(w io.Writer, msg string) {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(msg+"\r\n"))
	text := strings.NewReplacer("\r", "_x000D_", "\n", "_x000A_").Replace(esc.String())
	fmt.Fprintf(w, "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">%s</S></Objs>", text)
}

// knownScript is a third-party script with %s slots for its parameters.
type knownScript struct {
	name string
	re   *regexp.Regexp
	run  func(h *Host, s Session, params []string) Program
}

// scriptPattern turns a fmt template into a regexp: literal text with
// flexible whitespace, each %s captured.
func scriptPattern(template string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^\s*`)
	for i, piece := range strings.Split(template, "%s") {
		if i > 0 {
			b.WriteString(`(.*?)`)
		}
		if strings.TrimLeft(piece, " \t\r\n") != piece {
			b.WriteString(`\s*`)
		}
		for j, f := range strings.Fields(piece) {
			if j > 0 {
				b.WriteString(`\s+`)
			}
			b.WriteString(regexp.QuoteMeta(f))
		}
		if strings.TrimRight(piece, " \t\r\n") != piece {
			b.WriteString(`\s*`)
		}
	}
	b.WriteString(`\s*$`)
	return regexp.MustCompile(b.String())
}

// fileHash is the uppercase hex SHA-256, as Get-FileHash prints it.
func fileHash(data []byte) string {
	sum := sha256.Sum256(data)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// readJSONLine reads one line of stdin as JSON into v.
func readJSONLine(r *bufio.Reader, v any) error {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return fmt.Errorf("no request on stdin")
	}
	return json.Unmarshal([]byte(strings.TrimSpace(line)), v)
}
