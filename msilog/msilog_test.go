package msilog

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
)

// A verbose log in our own words, the shape msiexec /L*v writes.
const verbose = `=== Verbose logging started: 12/3/2026  9:00:00  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\Windows\system32\msiexec.exe ===
MSI (c) (1C:20) [09:00:00:010]: Machine policy value 'DisableMsi' is 0
MSI (c) (1C:20) [09:00:00:020]: Client-side and UI is none or basic: Running entire install on the server.
MSI (s) (44:50) [09:00:00:100]: Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 
Action start 9:00:01: InstallFinalize.
MSI (s) (44:70) [09:00:01:200]: Note: 1: 2205 2:  3: Error 
MSI (s) (44:70) [09:00:01:201]: Note: 1: 2228 2:  3: Error 4: SELECT ` + "`Message` FROM `Error` WHERE `Error` = 1722" + ` 
CustomAction RunTool returned actual error code 5 (note this may not be 100% accurate if translation happened inside sandbox)
Error 1722. There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. Contact your support personnel or package vendor.  Action RunTool, location: C:\Tools\tool.exe, command: --setup now 
DEBUG: Error 2503:  Called RunScript when not marked in progress.
Action ended 9:00:02: InstallFinalize. Return value 3.
Property(S): ALLUSERS = 1
MSI (s) (44:50) [09:00:02:300]: PROPERTY CHANGE: Adding UpdateStarted property. Its value is '1'.
MSI (s) (44:50) [09:00:02:400]: Product: Widget -- Installation failed.
MSI (s) (44:50) [09:00:02:401]: Windows Installer installed the product. Product Name: Widget. Product Version: 1.0. Product Language: 1033. Manufacturer: Acme. Installation success or error status: 1603.
MSI (c) (1C:20) [09:00:02:500]: MainEngineThread is returning 1603
=== Verbose logging stopped: 12/3/2026  9:00:02 ===
`

func utf16le(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func parse(t *testing.T, b []byte) *Log {
	t.Helper()
	l, err := Parse(context.Background(), bytes.NewReader(b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func find(l *Log, kind Kind, num int) *Line {
	for i := range l.Lines {
		if l.Lines[i].Kind == kind && (num == 0 || l.Lines[i].Num == num) {
			return &l.Lines[i]
		}
	}
	return nil
}

// Every encoding and line end gives the same structured lines.
func TestParseEncodings(t *testing.T) {
	crlf := strings.ReplaceAll(verbose, "\n", "\r\n")
	want := ParseString(verbose)
	for _, c := range []struct {
		name string
		b    []byte
		enc  Encoding
		crlf bool
	}{
		{"utf16-bom-crlf", utf16le(crlf, true), UTF16LEBOM, true},
		{"utf16-nobom-crlf", utf16le(crlf, false), UTF16LE, true},
		{"utf16-bom-lf", utf16le(verbose, true), UTF16LEBOM, false},
		{"utf8-lf", []byte(verbose), UTF8, false},
		{"utf8-bom-crlf", append([]byte{0xEF, 0xBB, 0xBF}, crlf...), UTF8BOM, true},
		{"ansi-crlf", []byte(crlf + "Property(S): Manufacturer = M\xfcller\r\n"), ANSI, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := parse(t, c.b)
			if l.Encoding != c.enc || l.CRLF != c.crlf {
				t.Errorf("encoding %s crlf %v, want %s %v", l.Encoding, l.CRLF, c.enc, c.crlf)
			}
			if l.Form != FormVerbose && c.enc != ANSI {
				t.Errorf("form %s, want verbose", l.Form)
			}
			for i, w := range want.Lines {
				if i >= len(l.Lines) || l.Lines[i].Text != w.Text || l.Lines[i].Kind != w.Kind || l.Lines[i].N != w.N {
					t.Fatalf("line %d: %+v, want %+v", i, l.Lines[i], w)
				}
			}
			if c.enc == ANSI {
				last := l.Lines[len(l.Lines)-1]
				if last.Name != "Manufacturer" || last.Arg(0) != "Müller" {
					t.Errorf("ANSI property: %+v", last)
				}
			}
		})
	}
}

// The structure of each kind of line.
func TestParseKinds(t *testing.T) {
	l := ParseString(verbose)
	if l.Form != FormVerbose || l.Parts != 1 {
		t.Fatalf("form %s parts %d", l.Form, l.Parts)
	}
	n := find(l, KindNote, 2203)
	if n == nil || n.Side != "s" || n.PID != "44" || n.TID != "50" || n.Time != "09:00:00:100" || n.N != 4 ||
		n.Arg(0) != `C:\Windows\Installer\inprogressinstallinfo.ipi` || n.Arg(1) != "-2147287038" {
		t.Errorf("note 2203: %+v", n)
	}
	if n := find(l, KindNote, 2205); n == nil || len(n.Args) != 2 || n.Arg(0) != "" || n.Arg(1) != "Error" {
		t.Errorf("note 2205 (an empty argument): %+v", n)
	}
	if m := find(l, KindMessage, 1722); m == nil || m.Fact != FactError || m.Arg(0) != "RunTool" || m.Arg(1) != `C:\Tools\tool.exe` || m.Arg(2) != "--setup now" {
		t.Errorf("message 1722: %+v", m)
	}
	if m := find(l, KindMessage, 2503); m == nil || m.Fact != FactDebug {
		t.Errorf("DEBUG 2503: %+v", m)
	}
	if ca := find(l, KindCustomAction, 5); ca == nil || ca.Name != "RunTool" || ca.Fact != FactCAReturned {
		t.Errorf("custom action: %+v", ca)
	}
	if a := find(l, KindActionEnd, 3); a == nil || a.Name != "InstallFinalize" {
		t.Errorf("action end: %+v", a)
	}
	if p := find(l, KindPolicy, 0); p == nil || p.Name != "DisableMsi" || p.Arg(0) != "0" || p.Arg(1) != "machine" || p.Side != "c" {
		t.Errorf("policy: %+v", p)
	}
	if p := find(l, KindProperty, 0); p == nil || p.Name != "ALLUSERS" || p.Arg(0) != "1" {
		t.Errorf("property: %+v", p)
	}
	code, line, ok := l.Exit()
	if !ok || code != 1603 || line.Side != "c" {
		t.Errorf("exit %d %+v %v", code, line, ok)
	}
	if nums := l.Numbers(); len(nums) != 5 || nums[0] != 2203 {
		t.Errorf("numbers %v", nums)
	}
}

// Each input form is told by content.
func TestParseForms(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		form Form
		// num is a message number the form must carry, exit its exit code (0: none).
		num, exit, parts int
	}{
		{"verbose", verbose, FormVerbose, 2503, 1603, 1},
		{"excerpt", "MSI (s) (44:50) [09:00:00:100]: Note: 1: 2503 \nDEBUG: Error 2503:  Called RunScript when not marked in progress.\n", FormExcerpt, 2503, 0, 1},
		{"excerpts-separator", "MSI (s) (44:50) [09:00:00:100]: Note: 1: 2503 \n...\nMSI (c) (1C:20) [09:00:05:000]: MainEngineThread is returning 1603\n", FormExcerpts, 2503, 1603, 2},
		{"excerpts-time", "MSI (s) (44:50) [09:10:00:100]: Note: 1: 2502 \nMSI (s) (44:50) [09:00:00:100]: Note: 1: 2503 \n", FormExcerpts, 2502, 0, 2},
		{"excerpt-ellipsis-prefix", "MSI (s) (B8:80) ...: Note: 1: 2502\n", FormExcerpt, 2502, 0, 1},
		{"quoted", "> MSI (s) (44:50) [09:00:00:100]: Note: 1: 2755 2: 110 3: C:\\p.msi \n", FormExcerpt, 2755, 0, 1},
		{"non-verbose", "=== Logging started: 12/3/2026  9:00:00 ===\nAction start 9:00:00: INSTALL.\nError 1925. You do not have sufficient privileges to complete this installation for all users of the machine.  Log on as administrator and then retry this installation.\nAction ended 9:00:00: INSTALL. Return value 3.\n=== Logging stopped: 12/3/2026  9:00:00 ===\n", FormNonVerbose, 1925, 0, 1},
		{"event-viewer-general", "Product: Widget -- Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.\n", FormEventViewer, 1925, 0, 1},
		{"event-viewer-details", "Log Name:      Application\nSource:        MsiInstaller\nDate:          12/3/2026 9:00:02 AM\nEvent ID:      1033\nLevel:         Information\nDescription:\nWindows Installer installed the product. Product Name: Widget. Product Version: 1.0. Product Language: 1033. Manufacturer: Acme. Installation success or error status: 1603.\n\nLog Name:      Application\nSource:        MsiInstaller\nDate:          12/3/2026 9:00:01 AM\nEvent ID:      10005\nLevel:         Error\nDescription:\nProduct: Widget -- The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2755. The arguments are: 110, C:\\p.msi, \n", FormEventViewer, 2755, 1603, 2},
		{"wevtutil", "Event[0]:\n  Log Name: Application\n  Source: MsiInstaller\n  Date: 2026-12-03T09:00:01.000\n  Event ID: 11708\n  Level: Information\n  Description: \nProduct: Widget -- Installation failed.\n\nEvent[1]:\n  Log Name: Application\n  Source: MsiInstaller\n  Date: 2026-12-03T09:00:00.000\n  Event ID: 11722\n  Level: Error\n  Description: \nProduct: Widget -- Error 1722. There is a problem with this Windows Installer package. A program run as part of the setup did not finish as expected. Contact your support personnel or package vendor.  Action RunTool, location: C:\\t.exe, command: -x \n", FormWevtutil, 1722, 0, 2},
		{"get-winevent-table", "   ProviderName: MsiInstaller\n\nTimeCreated                     Id LevelDisplayName Message\n-----------                     -- ---------------- -------\n12/3/2026 9:00:02 AM         11708 Information      Product: Widget -- Installation failed.\n12/3/2026 9:00:01 AM         11925 Error            Product: Widget -- Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.\n", FormGetWinEvent, 1925, 0, 2},
		{"get-winevent-list", "TimeCreated  : 12/3/2026 9:00:01 AM\nProviderName : MsiInstaller\nId           : 11730\nMessage      : Product: Widget -- Error 1730. You must be an Administrator to remove this application.\n", FormGetWinEvent, 1730, 0, 1},
		{"dialog-internal", "Windows Installer\n\nThe installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2503.\n\nOK\n", FormDialog, 2503, 0, 1},
		{"dialog-text", "The Windows Installer Service could not be accessed. This can occur if the Windows Installer is not correctly installed. Contact your support personnel for assistance.\n", FormDialog, 1719, 0, 1},
		{"dialog-authored", "Error 1303. The installer has insufficient privileges to access this directory: C:\\Program Files\\Widget.  The installation cannot continue.  Log on as administrator or contact your system administrator.\n", FormDialog, 1303, 0, 1},
		{"not-msi", "hello world\nthis is a readme\n", FormNotMSI, 0, 0, 1},
		{"empty", "\n\n", FormEmpty, 0, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := ParseString(c.in)
			if l.Form != c.form {
				t.Fatalf("form %s, want %s\n%+v", l.Form, c.form, l.Lines)
			}
			if c.num != 0 && find(l, KindMessage, c.num) == nil && find(l, KindNote, c.num) == nil {
				t.Errorf("no message %d in %+v", c.num, l.Lines)
			}
			if code, _, ok := l.Exit(); c.exit != 0 && (!ok || code != c.exit) {
				t.Errorf("exit %d %v, want %d", code, ok, c.exit)
			}
			if l.Parts != c.parts {
				t.Errorf("parts %d, want %d", l.Parts, c.parts)
			}
			if c.form == FormNotMSI && l.Why == "" {
				t.Error("no reason given")
			}
		})
	}
	// Events pasted newest first are told apart from oldest first.
	ev := ParseString("Log Name: Application\nSource: MsiInstaller\nDate: 12/3/2026 9:00:02 AM\nEvent ID: 1033\nDescription:\nx\nLog Name: Application\nSource: MsiInstaller\nDate: 12/3/2026 9:00:01 AM\nEvent ID: 11708\nDescription:\nProduct: W -- Installation failed.\n")
	if !ev.NewestFirst {
		t.Error("events newest first not seen")
	}
	// The message of an event carries its ID.
	if m := find(ev, KindStatus, 0); m == nil || m.Event != 11708 {
		t.Errorf("event message: %+v", m)
	}
}

// Binary inputs and oversized ones are refused with a reason.
func TestParseRefuses(t *testing.T) {
	var nl *NotLogError
	if _, err := Parse(context.Background(), bytes.NewReader([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest")), Options{}); !errors.As(err, &nl) {
		t.Errorf("an .msi: %v", err)
	}
	if _, err := Parse(context.Background(), bytes.NewReader(bytes.Repeat([]byte{1, 2, 3, 0xff}, 100)), Options{}); !errors.As(err, &nl) {
		t.Errorf("binary: %v", err)
	}
	big := strings.Repeat("MSI (s) (44:50) [09:00:00:100]: Note: 1: 2205 2:  3: Error \n", 1000)
	if _, err := Parse(context.Background(), strings.NewReader(big), Options{MaxBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the cap: %v", err)
	}
	if _, err := Parse(context.Background(), strings.NewReader(big), Options{MaxBytes: int64(len(big))}); err != nil {
		t.Errorf("at the cap: %v", err)
	}
}

// Only lines that carry something are kept: a stream of unknown text
// costs no memory per line.
func TestParseKeepsOnlyKnownLines(t *testing.T) {
	in := strings.Repeat("some unrelated text\n", 5000) + "MSI (c) (1C:20) [09:00:00:000]: MainEngineThread is returning 1618\n"
	l := ParseString(in)
	if len(l.Lines) != 1 || l.Other != 5000 || l.Total != 5001 || l.Lines[0].N != 5001 {
		t.Errorf("lines %d other %d total %d", len(l.Lines), l.Other, l.Total)
	}
}

// A tool's time stamp before pasted lines is not part of them.
func TestParsePastePrefix(t *testing.T) {
	l := ParseString("> 6:35:20 PM: CustomAction Setup returned actual error code 1 (note this may not be 100% accurate if translation happened inside sandbox)\n" +
		"> 6:35:20 PM: MSI (s) (BC:CC) [18:35:18:952]: Note: 1: 2205 2:  3: Error \n")
	if ca := find(l, KindCustomAction, 1); ca == nil || ca.Name != "Setup" {
		t.Errorf("custom action: %+v", l.Lines)
	}
	if n := find(l, KindNote, 2205); n == nil || n.Side != "s" || n.Time != "18:35:18:952" {
		t.Errorf("note: %+v", n)
	}
}

// BenchmarkParse reads a verbose log of about 1 MB.
func BenchmarkParse(b *testing.B) {
	in := strings.Repeat(strings.ReplaceAll(verbose, "\n", "\r\n"), 600)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		ParseString(in)
	}
}

// BenchmarkParseSimLog reads the simulator's log of a failing custom
// action (the corpus's), repeated to about 1 MB.
func BenchmarkParseSimLog(b *testing.B) {
	one, err := os.ReadFile("../remediation/testdata/corpus/sim/custom-action-fails__win11-24h2__admin-elevated.log")
	if err != nil {
		b.Skip(err)
	}
	in := strings.Repeat(string(one), 1<<20/len(one)+1)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		ParseString(in)
	}
}
