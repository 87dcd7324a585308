package installer

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

// The logs of a success, a 2503 and a 1625 cell follow the real shape line
// by line where public logs give the line (docs/evidence.md#E-log): each
// segment below is a run of consecutive lines of a real log, with the
// times, ids and dates masked, and the segments come in this order.

var (
	maskPrefix = regexp.MustCompile(`^MSI \((c|s)\) \([0-9A-F]{2}([:!])[0-9A-F]{2}\) \[\d\d:\d\d:\d\d:\d\d\d\]: `)
	maskAction = regexp.MustCompile(`^Action (start|ended) \d+:\d\d:\d\d: `)
	maskDate   = regexp.MustCompile(`\d+/\d+/\d{4}  \d+:\d\d:\d\d`)
	maskTmp    = regexp.MustCompile(`\\MSI[0-9A-F]{4}\.tmp`)
	maskCache  = regexp.MustCompile(`\\Installer\\[0-9a-f]{8}\.msi`)
)

// masked splits a log into lines with the volatile parts masked.
func masked(log string) []string {
	lines := strings.Split(strings.TrimSuffix(log, "\r\n"), "\r\n")
	for i, l := range lines {
		l = maskPrefix.ReplaceAllString(l, "MSI ($1) (PP${2}TT) [T]: ")
		l = maskAction.ReplaceAllString(l, "Action $1 T: ")
		l = maskDate.ReplaceAllString(l, "D")
		l = maskTmp.ReplaceAllString(l, `\MSIxxxx.tmp`)
		lines[i] = maskCache.ReplaceAllString(l, `\Installer\<hex>.msi`)
	}
	return lines
}

// shape checks that each segment is a run of consecutive lines of the log,
// the segments in order; a segment line ending in "…" matches a prefix.
func shape(t *testing.T, log string, segments [][]string) {
	t.Helper()
	lines := masked(log)
	from := 0
	for si, seg := range segments {
		found := -1
		for i := from; i+len(seg) <= len(lines) && found < 0; i++ {
			ok := true
			for j, want := range seg {
				if !lineMatches(lines[i+j], want) {
					ok = false
					break
				}
			}
			if ok {
				found = i
			}
		}
		if found < 0 {
			t.Errorf("segment %d not found (in order) from line %d:\n  %s\nlog:\n%s", si, from+1, strings.Join(seg, "\n  "), strings.Join(lines, "\n"))
			return
		}
		from = found + len(seg)
	}
}

func lineMatches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "…"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

const (
	c = "MSI (c) (PP:TT) [T]: "
	s = "MSI (s) (PP:TT) [T]: "
)

// start is the header, the client's start and the service's (R: the
// Windows 10 log of pastebin zSMSrUnK; lithnet/access-manager#223 for the
// build type; prometheus-community/windows_exporter#333 for the marker's note).
func start(pkg string) [][]string {
	runEngine := func(side string) []string {
		return []string{side + "******* RunEngine:", "           ******* Product: " + pkg, "           ******* Action: ", "           ******* CommandLine: **********"}
	}
	head := []string{"=== Verbose logging started: D  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===",
		c + "Resetting cached policy values", c + "Machine policy value 'Debug' is 0"}
	head = append(head, runEngine(c)...)
	head = append(head, c+"Client-side and UI is none or basic: Running entire install on the server.",
		c+"Grabbed execution mutex.", c+"Cloaking enabled.", c+"Attempting to enable all disabled privileges before calling Install on Server",
		c+"Incrementing counter to disable shutdown. Counter after increment: 0",
		s+"Running installation inside multi-package transaction "+pkg, s+"Grabbed execution mutex.",
		s+"Resetting cached policy values", s+"Machine policy value 'Debug' is 0")
	head = append(head, runEngine(s)...)
	head = append(head, s+"Machine policy value 'DisableUserInstalls' is 0",
		s+`Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 `)
	return [][]string{head}
}

// initialize is InstallInitialize (R: intel/haxm#163, line by line).
func initialize(code string) []string {
	return []string{s + "Doing action: InstallInitialize", "Action ended T: InstallValidate. Return value 1.",
		s + "Machine policy value 'AlwaysInstallElevated' is 0", s + "User policy value 'AlwaysInstallElevated' is 0",
		s + "BeginTransaction: Locking Server", s + `Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 `,
		s + "SRSetRestorePoint skipped for this transaction.", s + `Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 `,
		s + "Server not locked: locking for product " + code, "Action start T: InstallInitialize."}
}

// end is the end sequence after the property dump (R: microsoft/winget-cli#433
// for the product and status lines; Particular/ServiceControl#339,
// prometheus-community/windows_exporter#147 and #1845 for the rest).
func end(note, outcome, status string, code int) []string {
	return []string{s + "Note: 1: " + note + " ", s + "Product: MsiLab PerMachine -- " + outcome, "",
		s + "Windows Installer installed the product. Product Name: MsiLab PerMachine. Product Version: 1.0.0. Product Language: 1033. Manufacturer: MsiLab Testing. Installation success or error status: " + status + ".", "",
		s + "Deferring clean up of packages/files, if any exist", s + fmt.Sprintf("MainEngineThread is returning %d", code),
		s + "RESTART MANAGER: Session closed.", s + "No System Restore sequence number for this installation.",
		"=== Logging stopped: D ===",
		s + "User policy value 'DisableRollback' is 0", s + "Machine policy value 'DisableRollback' is 0",
		s + "Incrementing counter to disable shutdown. Counter after increment: 0",
		s + `Note: 1: 1402 2: HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Installer\Rollback\Scripts 3: 2 `,
		s + `Note: 1: 1402 2: HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Installer\Rollback\Scripts 3: 2 `,
		s + "Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1",
		s + "Restoring environment variables", s + "Destroying RemoteAPI object.", s + "Custom Action Manager thread ending.",
		c + "Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1",
		c + fmt.Sprintf("MainEngineThread is returning %d", code), "=== Verbose logging stopped: D ==="}
}

func TestLogShapeSuccess(t *testing.T) {
	l := newLab(t, "")
	info, _ := testpkgs.Lookup("permachine")
	pkg := pkgDir + `\permachine.msi`
	res := l.install("permachine", win.KindAdminElevated, UINone)
	segs := start(pkg)
	segs = append(segs,
		[]string{s + "Original package ==> " + pkg, s + `Package we're running from ==> C:\Windows\Installer\<hex>.msi`},
		// R: ovn-kubernetes/ovn-kubernetes#409.
		[]string{s + "Machine policy value 'DisableMsi' is 0", s + "Machine policy value 'AlwaysInstallElevated' is 0",
			s + "User policy value 'AlwaysInstallElevated' is 0",
			s + "Product installation will be elevated because user is admin and product is being installed per-machine.",
			s + "Running product '" + info.ProductCode + "' with elevated privileges: Product is assigned."},
		[]string{s + "Doing action: INSTALL", "Action start T: INSTALL."},
		initialize(info.ProductCode),
		[]string{"Action ended T: InstallFinalize. Return value 1.", "Action ended T: INSTALL. Return value 1.", "Property(S): …"},
		end("1707", "Installation completed successfully.", "0", 0))
	shape(t, res.Log, segs)
	if last := masked(res.Log); last[len(last)-1] != "=== Verbose logging stopped: D ===" {
		t.Errorf("last line %q", last[len(last)-1])
	}
	threads(t, res.Log)
}

// TestLogShape2503 is the temp-acl-system-read-only cell: its 2503 and
// 2502 lines as actions/runner-images#1704 and lithnet/ad-password-protection#43
// show them (the test package has an Error table: no 2205/2228 notes).
func TestLogShape2503(t *testing.T) {
	l := newLab(t, "")
	l.setSDDL(tempPath, tempDenySystemWrite)
	info, _ := testpkgs.Lookup("permachine")
	res := l.install("permachine", win.KindAdminElevated, UINone)
	ipi := `C:\Windows\Installer\inprogressinstallinfo.ipi`
	internal := func(n int) string {
		return fmt.Sprintf("The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is %d. The arguments are: , , ", n)
	}
	segs := start(pkgDir + `\permachine.msi`)
	segs = append(segs, initialize(info.ProductCode),
		[]string{s + "Doing action: InstallFinalize", "Action ended T: PublishProduct. Return value 1.", "Action start T: InstallFinalize.",
			s + `Running Script: C:\Windows\Installer\MSIxxxx.tmp`,
			s + "PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.",
			s + "Note: 1: 2203 2: " + ipi + " 3: -2147287035 ",
			s + "Note: 1: 2503 ",
			"DEBUG: Error 2503:  Called RunScript when not marked in progress.", internal(2503),
			s + "Product: MsiLab PerMachine -- " + internal(2503), "",
			s + "Note: 1: 2203 2: " + ipi + " 3: -2147287035 ",
			s + "Note: 1: 2502 ",
			"DEBUG: Error 2502:  Called InstallFinalize when no install in progress.", internal(2502),
			s + "Product: MsiLab PerMachine -- " + internal(2502), "",
			"Action ended T: InstallFinalize. Return value 3.", "Action ended T: INSTALL. Return value 3.", "Property(S): …"},
		end("1708", "Installation failed.", "1603", 1603))
	shape(t, res.Log, segs)
	threads(t, res.Log)
	// 10005's text ends with the arguments (R: microsoft/PowerToys#8123),
	// at level Error; 11708 is at level Information (R: lithnet/ad-password-protection#137).
	for _, e := range res.Events {
		switch e.EventID {
		case EventInternalError:
			if !strings.HasSuffix(e.Message, "The arguments are: , , ") || e.Level != model.LevelError {
				t.Errorf("10005: %s %q", e.Level, e.Message)
			}
		case EventInstallFailed:
			if e.Level != model.LevelInformation {
				t.Errorf("11708 at level %s", e.Level)
			}
		}
	}
}

// TestLogShape1625 is the per-user-server-default cell on Server: the
// rejection as Puppet's Windows troubleshooting docs quote it, the value
// applied printed though absent (R: elastic/windows-installers#304).
func TestLogShape1625(t *testing.T) {
	l := newLab(t, "server2022")
	info, _ := testpkgs.Lookup("peruser")
	res := l.install("peruser", win.KindStandardUser, UINone)
	segs := start(pkgDir + `\peruser.msi`)
	segs = append(segs,
		[]string{s + "Machine policy value 'DisableMsi' is 1"},
		[]string{s + "Rejecting product '" + info.ProductCode + "': Non-assigned apps are disabled for non-admin users.",
			s + "Note: 1: 1708 ", s + "Product: MsiLab PerUser -- Installation failed.",
			s + "Windows Installer installed the product. Product Name: MsiLab PerUser. Product Version: 1.0.0. Product Language: 1033. Manufacturer: MsiLab Testing. Installation success or error status: 1625.",
			s + "MainEngineThread is returning 1625", s + "No System Restore sequence number for this installation.",
			"Info 1625.This installation is forbidden by system policy. Contact your system administrator."},
		[]string{c + "MainEngineThread is returning 1625", "=== Verbose logging stopped: D ==="})
	shape(t, res.Log, segs)
	if res.ExitCode != ExitPackageRejected {
		t.Fatalf("exit %v", res.ExitCode)
	}
	var got []string
	for _, e := range res.Events {
		got = append(got, fmt.Sprintf("%d %s", e.EventID, e.Level))
	}
	if want := []string{"11708 Information", "1033 Information"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v (Puppet's docs; 11708 at Information: lithnet/ad-password-protection#137)", got, want)
	}
}

// threads checks the ids: one client process, one service process whose
// thread that takes the install, engine thread and custom action manager
// differ (R: the logs of docs/evidence.md#E-log), and every Note line ends
// with a space.
func threads(t *testing.T, log string) {
	t.Helper()
	ids := regexp.MustCompile(`(?m)^MSI \((c|s)\) \(([0-9A-F]{2}):([0-9A-F]{2})\) \[[^\]]+\]: (.*?)\r?$`)
	tid := map[string]string{}
	pids := map[string]map[string]bool{"c": {}, "s": {}}
	for _, m := range ids.FindAllStringSubmatch(log, -1) {
		pids[m[1]][m[2]] = true
		switch m[4] {
		case "Grabbed execution mutex.", "Resetting cached policy values", "Custom Action Manager thread ending.":
			tid[m[1]+m[4]] = m[3]
		}
		if strings.HasPrefix(m[4], "Note: ") && !strings.HasSuffix(m[4], " ") {
			t.Errorf("a Note line without its final space: %q", m[4])
		}
	}
	if len(pids["c"]) != 1 || len(pids["s"]) != 1 {
		t.Errorf("process ids %v, want one client and one service", pids)
	}
	mutex, engine, ca := tid["sGrabbed execution mutex."], tid["sResetting cached policy values"], tid["sCustom Action Manager thread ending."]
	if mutex == "" || mutex == engine || engine == ca || ca == mutex {
		t.Errorf("service threads: takes the install %q, engine %q, custom action manager %q", mutex, engine, ca)
	}
}

// A package without an Error table: each message's lookup adds its 2205
// and 2228 notes, its product line's as 1709 (R: lithnet/ad-password-protection#43,
// microsoft/winget-pkgs#373544). With one, none.
func TestErrorTableNotes(t *testing.T) {
	for _, withTable := range []bool{false, true} {
		l := newLab(t, "")
		r := &run{m: l.m, res: &Result{}, props: map[string]string{"ProductName": "X"}, pkg: &pkg{errorTable: withTable}}
		r.log = newVerboseLog(l.m, 0x10, 0x20)
		r.ev = &events{m: l.m}
		r.raise(MsgRunScriptNotMarked)
		got := masked(r.log.String())
		want := []string{
			s + "Note: 1: 2205 2:  3: Error ",
			s + "Note: 1: 2228 2:  3: Error 4: SELECT `Message` FROM `Error` WHERE `Error` = 2503 ",
			"DEBUG: Error 2503:  Called RunScript when not marked in progress.",
			"The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2503. The arguments are: , , ",
			s + "Note: 1: 2205 2:  3: Error ",
			s + "Note: 1: 2228 2:  3: Error 4: SELECT `Message` FROM `Error` WHERE `Error` = 1709 ",
			s + "Product: X -- The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2503. The arguments are: , , ",
			""}
		if withTable {
			want = []string{want[2], want[3], want[6], want[7]}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Error table %v:\n%s\nwant\n%s", withTable, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
