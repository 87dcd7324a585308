package sim

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
)

func runLine(t *testing.T, h *Host, line, stdin string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := h.Program(line, Session{User: "msilab"})(context.Background(), &Proc{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), code
}

func uploadCommandLine() string { return ops.EncodedCommand(ops.UploadScript) }

func TestCmdSubset(t *testing.T) {
	h, err := NewHost(Options{Hostname: "lab1", User: "msilab"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		line, out, errOut string
		code              int
	}{
		{"hostname", "LAB1\r\n", "", 0},
		{"whoami", "lab1\\msilab\r\n", "", 0},
		{"echo hello world", "hello world\r\n", "", 0},
		{"echo", "ECHO is on.\r\n", "", 0},
		{"echo %COMPUTERNAME% %NOPE%", "LAB1 %NOPE%\r\n", "", 0},
		{"cmd /c exit /b 5", "", "", 5},
		{"cmd.exe /C \"hostname\"", "LAB1\r\n", "", 0},
		{"exit 3010", "", "", 3010},
		{"exit /b -1", "", "", -1},
		{"type C:\\nope\\x.txt", "", "The system cannot find the path specified.\r\n", 1},
		{"type C:\\Windows\\nope.txt", "", "The system cannot find the file specified.\r\n", 1},
	}
	for _, c := range cases {
		out, errOut, code := runLine(t, h, c.line, "")
		if out != c.out || errOut != c.errOut || code != c.code {
			t.Errorf("%s: got %q %q %d, want %q %q %d", c.line, out, errOut, code, c.out, c.errOut, c.code)
		}
	}
	// winrmcp's chunk command: cmd keeps the space before >>.
	if _, _, code := runLine(t, h, `echo QUJD >> "%TEMP%\winrmcp-1.tmp"`, ""); code != 0 {
		t.Fatal("append failed")
	}
	runLine(t, h, `echo REVG >> "%TEMP%\winrmcp-1.tmp"`, "")
	out, _, _ := runLine(t, h, `type %TEMP%\winrmcp-1.tmp`, "")
	if out != "QUJD \r\nREVG \r\n" {
		t.Fatalf("appended file: %q", out)
	}
	// Redirection into a missing folder fails as cmd does.
	if _, errOut, code := runLine(t, h, `echo x > C:\missing\f.txt`, ""); code != 1 || errOut != "The system cannot find the path specified.\r\n" {
		t.Fatalf("redirect to missing dir: %q %d", errOut, code)
	}
	// Anything else says what is supported.
	for _, line := range []string{"net user", "powershell -Command Get-Process", "powershell -EncodedCommand " + ops.EncodeUTF16("Get-Process")} {
		_, errOut, code := runLine(t, h, line, "")
		if code != 1 || !strings.Contains(errOut, "simulated host runs") {
			t.Errorf("%s: %q %d", line, errOut, code)
		}
	}
}

func TestUploadRejectsCorruptStream(t *testing.T) {
	h, _ := NewHost(Options{})
	dest := `C:\Windows\Temp\u.bin`
	stdin := `{"path":"` + strings.ReplaceAll(dest, `\`, `\\`) + `"}` + "\nQUJD\n" + `{"size":3,"sha256":"0000"}` + "\n"
	_, errOut, code := runLine(t, h, uploadCommandLine(), stdin)
	if code != 2 || !strings.Contains(errOut, "incomplete or corrupt") {
		t.Fatalf("corrupt upload: %q %d", errOut, code)
	}
	if exists, _ := h.stat(dest); exists {
		t.Fatal("a corrupt upload left a file behind")
	}
	// No trailer at all (the client died): nothing written either.
	_, _, code = runLine(t, h, uploadCommandLine(), `{"path":"C:\\Windows\\Temp\\u.bin"}`+"\nQUJD\n")
	if exists, _ := h.stat(dest); code != 2 || exists {
		t.Fatalf("truncated upload: code %d, file left %v", code, exists)
	}
}

func TestScriptPatternCaptures(t *testing.T) {
	re := scriptPattern(`$file=[System.IO.File]::ReadAllBytes("%s"); Write-Output $([System.Convert]::ToBase64String($file))`)
	m := re.FindStringSubmatch(`$file=[System.IO.File]::ReadAllBytes("C:\Program Files\a b.txt");   Write-Output $([System.Convert]::ToBase64String($file))`)
	if m == nil || m[1] != `C:\Program Files\a b.txt` {
		t.Fatalf("capture: %q", m)
	}
	if re.MatchString(`$file=[System.IO.File]::ReadAllBytes("x"); Remove-Item C:\ -Recurse`) {
		t.Fatal("a different script matched")
	}
}

// TestStdinRedirection: `command < file` feeds the file to the command's
// stdin, as cmd.exe does. It is how an op batch runs through a WinRM client
// that sends no stdin: Packer's communicator drops RemoteCmd.Stdin.
func TestStdinRedirection(t *testing.T) {
	h, err := NewHost(Options{Hostname: "lab1", User: "msilab"})
	if err != nil {
		t.Fatal(err)
	}
	const reqPath = `C:\Users\msilab\AppData\Local\Temp\req.json`
	req := `{"v":1,"module_sha256":"` + ops.ModuleSHA256 + `","ops":[{"op":"host.info"}]}`
	if err := h.writeFile(Session{User: "msilab"}, reqPath, []byte(req)); err != nil {
		t.Fatal(err)
	}
	// No module on the host yet: the batch read its request from the file.
	out, errOut, code := runLine(t, h, ops.EncodedCommand(ops.BatchScript)+` < "%TEMP%\req.json"`, "")
	if code != 0 || errOut != "" || out != `{"v":1,"module":"missing"}` {
		t.Fatalf("batch < file: %q %q %d", out, errOut, code)
	}
	// Inside cmd /c, and with the redirection before the arguments.
	if out, _, code := runLine(t, h, `cmd /c type < %TEMP%\req.json `+reqPath, ""); code != 0 || out != req {
		t.Fatalf("cmd /c type < file args: %q %d", out, code)
	}
	// A missing file fails as in cmd, and the command does not run.
	_, errOut, code = runLine(t, h, `exit /b 7 < C:\Windows\Temp\nope.json`, "")
	if code != 1 || errOut != "The system cannot find the file specified.\r\n" {
		t.Fatalf("< missing file: %q %d", errOut, code)
	}
	// A quoted < is text.
	if out, _, _ := runLine(t, h, `echo "a < b"`, ""); out != "\"a < b\"\r\n" {
		t.Fatalf("quoted <: %q", out)
	}
}
