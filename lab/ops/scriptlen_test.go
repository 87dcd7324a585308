package ops

import "testing"

// Every script's command line fits cmd.exe's 8191 characters: the WinRM
// shell runs commands through cmd.exe ("The command line is too long").
func TestScriptCommandLinesFit(t *testing.T) {
	for name, script := range map[string]string{"batch": BatchScript, "upload": UploadScript, "download": DownloadScript, "host folder": HostDirScript} {
		if n := len(EncodedCommand(script)); n > 8191 {
			t.Errorf("the %s command line is %d characters, over cmd.exe's 8191", name, n)
		} else {
			t.Logf("%s: %d characters", name, n)
		}
	}
}
