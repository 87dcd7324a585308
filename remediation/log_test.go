package remediation_test

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/msilab/msilab/remediation"
)

// evidenceExcerpt is the 2503/2502 excerpt of docs/evidence.md#E-marker, as a user
// pastes it from a forum thread (actions/runner-images#1704).
const evidenceExcerpt = `Action start 8:32:13: InstallFinalize.
MSI (s) (A0:C8) [08:32:13:152]: Running Script: C:\windows\Installer\MSI879F.tmp
MSI (s) (A0:C8) [08:32:13:153]: PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.
MSI (s) (A0:C8) [08:32:13:154]: Note: 1: 2203 2: C:\windows\Installer\inprogressinstallinfo.ipi 3: -2147287035
MSI (s) (A0:C8) [08:32:13:155]: Note: 1: 2503
DEBUG: Error 2503:  Called RunScript when not marked in progress.
...
MSI (s) (B8:80) ...: Note: 1: 2502
DEBUG: Error 2502:  Called InstallFinalize when no install in progress.
...
Product: X -- Installation failed.
Windows Installer installed the product. ... Installation success or error status: 1603.
MainEngineThread is returning 1603
`

func TestDiagnoseLogEvidenceExcerpt(t *testing.T) {
	fs := remediation.DiagnoseLog(evidenceExcerpt)
	if len(fs) < 2 {
		t.Fatalf("findings %v, want temp-acl then installer-acl", ids(fs))
	}
	first := fs[0]
	if first.ID != remediation.FindingTempACL || first.Scenario == "" {
		t.Fatalf("first finding %s (scenario %q), want temp-acl with its scenario", first.ID, first.Scenario)
	}
	ev := strings.Join(first.Evidence, "\n")
	for _, want := range []string{"-2147287035", "Note: 1: 2503", "Note: 1: 2502", "MainEngineThread is returning 1603", "cannot tell"} {
		if !strings.Contains(ev, want) {
			t.Errorf("temp-acl evidence lacks %q:\n%s", want, ev)
		}
	}
	i := slices.IndexFunc(fs, func(f remediation.Finding) bool { return f.ID == remediation.FindingInstallerACL })
	if i < 0 || fs[i].Confidence >= first.Confidence {
		t.Errorf("installer-acl must follow temp-acl with less confidence: %+v", fs)
	}
	for _, f := range fs {
		if f.Confidence <= 0 || f.Confidence > 1 {
			t.Errorf("%s: confidence %v", f.ID, f.Confidence)
		}
	}
}

// Each excerpt names its cause first (and the exit code when the excerpt has it).
func TestDiagnoseLogExcerpts(t *testing.T) {
	for _, c := range []struct {
		name, log, first string
	}{
		{"1925", "MSI (s) (F0:FC) [09:00:00:040]: MSI_LUA: Elevation prompt disabled for silent installs\r\n" +
			"Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.\r\n" +
			"MSI (c) (F4:FC) [09:00:00:067]: MainEngineThread is returning 1603\r\n", remediation.FindingNotElevated},
		{"1730", "Error 1730. You must be an Administrator to remove this application.\r\nAction ended 9:00:00: InstallInitialize. Return value 3.\r\n",
			remediation.FindingUninstallNotElevated},
		{"disablemsi-2", "MSI (c) (F4:FC) [09:00:00:032]: Machine policy value 'DisableMsi' is 2\nMSI (c) (F4:FC) [09:00:00:033]: MainEngineThread is returning 1625\n",
			remediation.FindingDisableMSIAlways},
		{"rejecting", "MSI (s) (F0:FC) [09:00:00:040]: Rejecting product 'C:\\p.msi': Non-assigned apps are disabled for non-admin users.\n",
			remediation.FindingDisableMSINonAdmin},
		{"2203", "MSI (s) (F0:FC) [09:00:00:061]: Note: 1: 2203 2: C:\\Windows\\Installer\\inprogressinstallinfo.ipi 3: -2147287037\n" +
			"DEBUG: Error 2203:  Database: C:\\Windows\\Installer\\inprogressinstallinfo.ipi. Cannot open database file. System error -2147287037.\n",
			remediation.FindingInstallerMissing},
		// The tail of microsoft/PowerToys#316's log (2755 with error 110).
		{"2755", "The system cannot open the device or file specified.\nThe system cannot open the device or file specified.\n" +
			"The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2755. The arguments are: 110, R:\\PowerToysSetup.msi, \n" +
			"=== Logging stopped: 9/9/2019  9:08:47 ===\n", remediation.FindingInstallerMissing},
		// Puppet's Windows troubleshooting docs (the ProductCode, not the path).
		{"rejecting-puppet", "MSI (s) (7C:D0) [17:24:15:870]: Rejecting product '{D07C45E2-A53E-4D7B-844F-F8F608AFF7C8}': Non-assigned apps are disabled for non-admin users.\n" +
			"MSI (s) (7C:D0) [17:24:15:870]: Note: 1: 1708 \nMSI (s) (7C:D0) [17:24:15:870]: MainEngineThread is returning 1625\n" +
			"Info 1625.This installation is forbidden by system policy. Contact your system administrator.\n", remediation.FindingDisableMSINonAdmin},
		{"mutex", "MSI (c) (F4:FC) [09:00:00:036]: Failed to grab execution mutex. System error 258.\n", remediation.FindingMutexHeld},
		{"1500", "Error 1500. Another installation is in progress. You must complete that installation before continuing this one.\n", remediation.FindingMutexHeld},
		{"1618", "MSI (c) (F4:FC) [09:00:00:037]: MainEngineThread is returning 1618\n", remediation.FindingMutexHeld},
		{"1722", "Error 1722. There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. " +
			"Contact your support personnel or package vendor. Action InstallDriver, location: C:\\Program Files\\X\\drv.exe, command: /install /quiet\n" +
			"Action ended 9:00:00: InstallDriver. Return value 3.\n", remediation.FindingCustomAction},
		{"1632-header-only", "=== Verbose logging started: 12/10/2024  9:00:00  Build type: SHIP UNICODE 5.00.26100.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===\r\n" +
			"=== Verbose logging stopped: 12/10/2024  9:00:00 ===\r\n", remediation.FindingUserTempMissing},
		{"empty", "", remediation.FindingServiceDisabled},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := remediation.DiagnoseLog(c.log)
			if len(fs) == 0 || fs[0].ID != c.first {
				t.Fatalf("findings %v, want %s first", ids(fs), c.first)
			}
		})
	}
	// The custom action's name and command are in the evidence.
	fs := remediation.DiagnoseLog("Error 1722. ... Action InstallDriver, location: C:\\x\\drv.exe, command: /install /quiet\n")
	if ev := strings.Join(fs[0].Evidence, "\n"); !strings.Contains(ev, "InstallDriver") || !strings.Contains(ev, "/install /quiet") {
		t.Errorf("1722 evidence lacks the action and its command:\n%s", ev)
	}
	if len(fs[0].Fixes) != 0 {
		t.Errorf("a failing custom action has no host fix: %v", fs[0].Fixes)
	}
	// A DisableMSI = 1 line names the explicit policy's scenario; none, the Server default's.
	explicit := remediation.DiagnoseLog("Machine policy value 'DisableMsi' is 1\nRejecting product 'p': Non-assigned apps are disabled for non-admin users.\n")
	absent := remediation.DiagnoseLog("Rejecting product 'p': Non-assigned apps are disabled for non-admin users.\n")
	if explicit[0].Scenario != "disable-msi-non-admin" || absent[0].Scenario != "per-user-server-default" {
		t.Errorf("scenarios %q and %q, want disable-msi-non-admin and per-user-server-default", explicit[0].Scenario, absent[0].Scenario)
	}
}

func utf16LE(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

// Logs as files: UTF-16LE with and without its mark (msiexec /L*v writes
// the mark), UTF-8 with its mark, and ANSI (Windows-1252).
func TestDecodeLog(t *testing.T) {
	text := strings.ReplaceAll(evidenceExcerpt, "\n", "\r\n") + "Property(S): Manufacturer = Müller ‘GmbH’ – 5 €\r\n"
	ansi := []byte(strings.ReplaceAll(evidenceExcerpt, "\n", "\r\n") + "Property(S): Manufacturer = M\xfcller \x91GmbH\x92 \x96 5 \x80\r\n")
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"utf16le-bom", utf16LE(text, true)},
		{"utf16le-no-bom", utf16LE(text, false)},
		{"utf8-bom", append([]byte{0xEF, 0xBB, 0xBF}, text...)},
		{"utf8", []byte(text)},
		{"ansi-1252", ansi},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := remediation.DecodeLog(c.data)
			if got != text {
				t.Fatalf("decoded text differs:\n%q\nwant\n%q", got[max(0, len(got)-80):], text[len(text)-80:])
			}
			fs := remediation.DiagnoseLog(got)
			if len(fs) == 0 || fs[0].ID != remediation.FindingTempACL {
				t.Errorf("findings %v, want temp-acl first", ids(fs))
			}
		})
	}
}

func TestMessages(t *testing.T) {
	got := remediation.Messages(evidenceExcerpt)
	if want := []int{2203, 2503, 2503, 2502, 2502}; !slices.Equal(got, want) {
		t.Errorf("Messages = %v, want %v", got, want)
	}
}

// A removal's log is told by its engine line REMOVE = ALL too, whatever
// the language of its status line (docs/evidence.md#E-localized-events):
// a non-elevated silent removal is named as such, not as an install.
func TestLocalisedRemovalLog(t *testing.T) {
	log := func(props string) string {
		return "MSI (s) (F4:10) [09:00:00:100]: MSI_LUA: Elevation prompt disabled for silent installs\r\n" +
			"MSI (s) (F4:10) [09:00:00:245]: Property(S): " + props + "\r\n" +
			"MSI (s) (F4:10) [09:00:00:248]: Windows Installer hat das Produkt entfernt. Erfolg- bzw. Fehlerstatus der Entfernung: 1603.\r\n" +
			"MSI (c) (F8:00) [09:00:00:300]: MainEngineThread is returning 1603\r\n"
	}
	ids := func(fs []remediation.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	if got := ids(remediation.DiagnoseLog(log("REMOVE = ALL"))); !slices.Contains(got, remediation.FindingUninstallNotElevated) ||
		slices.Contains(got, remediation.FindingNotElevated) {
		t.Errorf("German removal log: findings %v, want %s alone of the two", got, remediation.FindingUninstallNotElevated)
	}
	if got := ids(remediation.DiagnoseLog(log("UILevel = 2"))); slices.Contains(got, remediation.FindingUninstallNotElevated) {
		t.Errorf("install log: findings %v, not %s", got, remediation.FindingUninstallNotElevated)
	}
}
