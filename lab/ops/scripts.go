package ops

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
)

// Module is the msilab PowerShell module, installed on every host at
// ModulePath (the Packer image bakes it in; a session uploads it when the
// host's copy differs).
//
//go:embed powershell/MsiLab.psm1
var Module []byte

// ModulePath is where the module lives on a host.
const ModulePath = `C:\ProgramData\msilab\MsiLab.psm1`

// ModuleSHA256 is the uppercase hex SHA-256 of Module, as Get-FileHash prints it.
var ModuleSHA256 = func() string {
	sum := sha256.Sum256(Module)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}()

// The scripts below are constant text: each reads its request as JSON from
// stdin. The simulated host recognises them by exact text.

// BatchScript runs a batch: stdin is a Request, stdout a Response. It
// imports the very bytes whose hash it checked, and the module checks the
// host folder before any op (a Response with HostDir set). It is sent
// compacted, as UploadScript is.
var BatchScript = compactScript(batchScript)

//go:embed powershell/batch.ps1
var batchScript string

// UploadScript writes a file: stdin is a JSON header line {"path"}, base64
// lines, then a JSON trailer line {"size","sha256"}. The bytes are staged in
// StagingDir (never the WinRM account's %TEMP%, which the user-temp fault
// breaks), checked against the trailer, then written to a new file
// (CreateNew, an explicit DACL, owned by Administrators) that is renamed
// over the destination, so a failed upload leaves nothing behind and a
// file planted beside the destination is never opened (exit
// UploadExitPlanted). Folders it makes below HostDir get HostDirSDDL; one
// that is a reparse point is refused (exit UploadExitHostDir). A session
// checks the host folder before each upload (CheckHostDir). stdout is
// {"path","size","sha256"}. It is sent compacted (compactScript), to fit
// cmd.exe's 8191-character command line once encoded.
var UploadScript = compactScript(uploadScript)

//go:embed powershell/upload.ps1
var uploadScript string

// compactScript drops a script's comment lines, blank lines and
// indentation (it must hold no here-string).
func compactScript(script string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(t)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Exit codes of UploadScript besides 0, 1 (an exception) and 2 (a
// corrupt or incomplete upload).
const (
	UploadExitHostDir = 3 // a folder below HostDir is a reparse point: HostDirError
	UploadExitPlanted = 4 // <dest>.msilab-upload exists and is not msilab's
)

// StagingDir is msilab's scratch folder on a host, SYSTEM and
// Administrators only, which no fault touches: uploads are staged there,
// and the module compiles its C# helpers there.
const StagingDir = `C:\ProgramData\msilab\staging`

// DownloadScript reads a file: stdin is {"path"}; stdout is a JSON header
// line {"size","sha256"} then base64 lines.
//
//go:embed powershell/download.ps1
var DownloadScript string

// EncodedCommand is the command line that runs script in a fresh
// powershell.exe: one WinRM command, one process start.
func EncodedCommand(script string) string {
	return "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + EncodeUTF16(script)
}

// EncodeUTF16 encodes s as -EncodedCommand expects: base64 of UTF-16LE.
func EncodeUTF16(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i] = byte(c)
		b[2*i+1] = byte(c >> 8)
	}
	return base64.StdEncoding.EncodeToString(b)
}
