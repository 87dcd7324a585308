package images_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/pscheck"
	"github.com/msilab/msilab/win"
)

// TestAnswerFilesPowerShell51 checks the PowerShell an image runs before
// msilab can reach it, as Packer renders it: the answer files' first logon
// command lines (their -Command text) and the scripts on the answer CD,
// for a client and a server OS, with and without VMware Tools, against the
// cmdlets of Windows PowerShell 5.1 (tools/psparse, one run). Each command
// line calls a CD script by its name, so the script's own parameters are
// checked too.
func TestAnswerFilesPowerShell51(t *testing.T) {
	root := pscheck.ModuleRoot(t)
	scripts := map[string]string{}
	commands := 0
	for _, family := range []win.Edition{win.EditionClient, win.EditionServer} {
		osName := ""
		for _, name := range imageOSes {
			if p, err := win.LookupProfile(name); err == nil && p.Edition == family && osName == "" {
				osName = name
			}
		}
		if osName == "" {
			t.Fatalf("no image OS of the %s family", family)
		}
		e := evaluate(t, osName)
		for variant, cd := range map[string]map[string]string{"cd": e.AnswerCD, "cd-vsphere": e.AnswerCDVMW} {
			for name, text := range cd {
				if strings.HasSuffix(name, ".ps1") {
					if old, ok := scripts[name]; ok && old != text {
						t.Fatalf("two answer CDs have different %s", name)
					}
					scripts[name] = text
				}
			}
			v, err := xmlValues(cd["autounattend.xml"])
			if err != nil {
				t.Fatalf("%s %s answer file: %v", osName, variant, err)
			}
			for i, line := range v["unattend/settings/component/FirstLogonCommands/SynchronousCommand/CommandLine"] {
				text, err := powerShellCommand(line)
				if err != nil {
					t.Errorf("%s %s first logon command %d: %v", osName, variant, i+1, err)
					continue
				}
				scripts[fmt.Sprintf("%s-%s-logon-%d.ps1", family, variant, i+1)] = text + "\n"
				commands++
			}
		}
	}
	if commands == 0 {
		t.Fatal("no first logon command runs PowerShell")
	}
	files := pscheck.WriteScripts(t, scripts)
	out, code := pscheck.Check(t, root, files...)
	n, ok := pscheck.ParseCounts(out)
	if code != 0 || !ok || n.Errors != 0 || n.Files != len(files) || n.Scripts != commands {
		t.Fatalf("check.js exited %d on %d files (%d command lines, each calling a CD script):\n%s", code, len(files), commands, out)
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	t.Logf("%d first logon command lines and CD scripts (%s), %d commands: %d cmdlets, %d script calls",
		len(files), strings.Join(names, ", "), n.Commands, n.Cmdlets, n.Scripts)
}

// psCommandLine is `powershell.exe [options] -Command "<text>"`.
var psCommandLine = regexp.MustCompile(`(?i)^powershell(\.exe)?\s(?:.*\s)?-Command\s+"(.*)"$`)

// powerShellCommand returns the PowerShell text of a command line that
// runs powershell.exe -Command "<text>".
func powerShellCommand(line string) (string, error) {
	m := psCommandLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return "", fmt.Errorf("not `powershell.exe ... -Command \"...\"`, which is what this check reads: %q", line)
	}
	if strings.Contains(m[2], `"`) {
		return "", fmt.Errorf("a double quote inside the -Command text: %q", line)
	}
	return m[2], nil
}
