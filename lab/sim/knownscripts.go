package sim

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// knownScripts are the scripts real clients send for their own plumbing,
// copied verbatim from their sources (%s marks a parameter they format in).
var knownScripts = []knownScript{
	{
		// packer-plugin-sdk v0.6.4 communicator/step_connect_winrm.go
		name: "packer-connect-check",
		re:   scriptPattern(`if (Test-Path variable:global:ProgressPreference){$ProgressPreference='SilentlyContinue'}; echo "WinRM connected."`),
		run: func(*Host, Session, []string) Program {
			return func(_ context.Context, p *Proc) int {
				fmt.Fprint(p.Stdout, "WinRM connected.\r\n")
				return 0
			}
		},
	},
	{
		// packer-plugin-sdk v0.6.4 sdk-internals/communicator/winrm/communicator.go Download
		name: "packer-download",
		re:   scriptPattern(`$file=[System.IO.File]::ReadAllBytes("%s"); Write-Output $([System.Convert]::ToBase64String($file))`),
		run: func(h *Host, s Session, params []string) Program {
			return func(_ context.Context, p *Proc) int {
				data, err := h.readFile(s, params[0])
				if err != nil {
					writeCLIXMLError(p.Stderr, fmt.Sprintf("Exception calling \"ReadAllBytes\" with \"1\" argument(s): \"%s\"", cmdError(err)))
					return 1
				}
				fmt.Fprintf(p.Stdout, "%s\r\n", base64.StdEncoding.EncodeToString(data))
				return 0
			}
		},
	},
	{
		// github.com/packer-community/winrmcp winrmcp/cp.go restoreContent
		name: "winrmcp-restore",
		re: scriptPattern(`
		$tmp_file_path = [System.IO.Path]::GetFullPath("%s")
		$dest_file_path = [System.IO.Path]::GetFullPath("%s".Trim("'"))
		if (Test-Path $dest_file_path) {
			if (Test-Path -Path $dest_file_path -PathType container) {
				Exit 1
			} else {
				rm $dest_file_path
			}
		}
		else {
			$dest_dir = ([System.IO.Path]::GetDirectoryName($dest_file_path))
			New-Item -ItemType directory -Force -ErrorAction SilentlyContinue -Path $dest_dir | Out-Null
		}

		if (Test-Path $tmp_file_path) {
			$reader = [System.IO.File]::OpenText($tmp_file_path)
			$writer = [System.IO.File]::OpenWrite($dest_file_path)
			try {
				for(;;) {
					$base64_line = $reader.ReadLine()
					if ($base64_line -eq $null) { break }
					$bytes = [System.Convert]::FromBase64String($base64_line)
					$writer.write($bytes, 0, $bytes.Length)
				}
			}
			finally {
				$reader.Close()
				$writer.Close()
			}
		} else {
			echo $null > $dest_file_path
		}
	`),
		run: func(h *Host, s Session, params []string) Program {
			return func(_ context.Context, p *Proc) int {
				return h.winrmcpRestore(s, p, params[0], strings.Trim(params[1], "'"))
			}
		},
	},
	{
		// github.com/packer-community/winrmcp winrmcp/cp.go cleanupContent
		name: "winrmcp-cleanup",
		re: scriptPattern(`
		$tmp_file_path = [System.IO.Path]::GetFullPath("%s")
		if (Test-Path $tmp_file_path) {
			Remove-Item $tmp_file_path -ErrorAction SilentlyContinue
		}
	`),
		run: func(h *Host, s Session, params []string) Program {
			return func(context.Context, *Proc) int {
				if exists, isDir := h.stat(params[0]); exists && !isDir {
					_ = h.removePath(s, params[0])
				}
				return 0
			}
		},
	},
}

// winrmcpRestore decodes the base64 lines that winrmcp's echo commands
// appended into tmp, and writes the bytes to dest.
func (h *Host) winrmcpRestore(s Session, p *Proc, tmp, dest string) int {
	if exists, isDir := h.stat(dest); exists && isDir {
		return 1
	} else if !exists {
		_ = h.mkdirAll(s, parentPath(dest))
	}
	var out []byte
	if exists, _ := h.stat(tmp); exists {
		data, err := h.readFile(s, tmp)
		if err != nil {
			writeCLIXMLError(p.Stderr, cmdError(err))
			return 1
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			chunk, err := base64.StdEncoding.DecodeString(stripSpace(sc.Text()))
			if err != nil {
				writeCLIXMLError(p.Stderr, "Exception calling \"FromBase64String\" with \"1\" argument(s): \"The input is not a valid Base-64 string.\"")
				return 1
			}
			out = append(out, chunk...)
		}
	}
	if err := h.writeFile(s, dest, out); err != nil {
		writeCLIXMLError(p.Stderr, cmdError(err))
		return 1
	}
	return 0
}
