package remediation

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/msilab/msilab/lab/ops"
)

// DecodeLog decodes a verbose log as msiexec or a user's editor wrote it:
// UTF-16LE with its byte order mark (FF FE, what /L*v writes), UTF-16BE
// with FE FF, UTF-16LE without a mark (told by its NUL bytes: ASCII text
// has a zero high byte in every other byte), UTF-8 with or without its
// mark, and otherwise Windows-1252, the ANSI code page of the logs that
// western Windows writes with /L (without *) and of pastes saved by
// Notepad. Line ends are kept.
func DecodeLog(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return decodeUTF16(b[2:], binary.LittleEndian)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return decodeUTF16(b[2:], binary.BigEndian)
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:])
	case looksUTF16LE(b):
		return decodeUTF16(b, binary.LittleEndian)
	case utf8.Valid(b):
		return string(b)
	}
	return decode1252(b)
}

// looksUTF16LE reports text whose odd bytes are mostly NUL and even bytes
// mostly not: UTF-16LE of mostly ASCII text, as a log is.
func looksUTF16LE(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	n := len(b) / 2
	if n > 4096 {
		n = 4096
	}
	zeroHigh, zeroLow := 0, 0
	for i := 0; i < n; i++ {
		if b[2*i+1] == 0 {
			zeroHigh++
		}
		if b[2*i] == 0 {
			zeroLow++
		}
	}
	return zeroHigh*10 >= n*6 && zeroLow*10 < n*2
}

func decodeUTF16(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// cp1252 maps Windows-1252's 0x80-0x9F; the other bytes are Latin-1 (D:
// the code page's table; undefined positions become U+FFFD).
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func decode1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c < 0x80:
			sb.WriteByte(c)
		case c < 0xA0:
			sb.WriteRune(cp1252[c-0x80])
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// messagePattern finds Windows Installer message numbers in a verbose
// log: "Note: 1: 2503", "DEBUG: Error 2503:", "Error 1925." (the pattern
// of scenarios/runner's Messages, which this package cannot import).
var messagePattern = regexp.MustCompile(`Note: 1: (\d{4})\b|\bError (\d{4})[.:]`)

// Messages lists the message numbers a log shows, in order, each
// occurrence once per line.
func Messages(log string) []int {
	var out []int
	for _, m := range messagePattern.FindAllStringSubmatch(log, -1) {
		s := m[1]
		if s == "" {
			s = m[2]
		}
		n, _ := strconv.Atoi(s)
		out = append(out, n)
	}
	return out
}

// Log signatures (docs/evidence.md and the simulated engine's rules).
var (
	exitPattern       = regexp.MustCompile(`MainEngineThread is returning (\d+)`)
	statusPattern     = regexp.MustCompile(`(?:Installation|Removal) success or error status: (\d+)`)
	ipiDeniedPattern  = regexp.MustCompile(`\.ipi 3: -2147287035\b`)
	ipiMissingPattern = regexp.MustCompile(`\.ipi 3: -2147287037\b`)
	stagePattern      = regexp.MustCompile(`Server returned unexpected error 110 attempting to install package|Note: 1: 2755 2: 110 |error code is 2755\. The arguments are: 110,`)
	disableMSIPattern = regexp.MustCompile(`Machine policy value 'DisableMsi' is (\d+)`)
	caErrorPattern    = regexp.MustCompile(`Error 1722\..*Action ([^,]+), location: (.*?), command: (.*)$`)
	caNotePattern     = regexp.MustCompile(`Note: 1: 1722 2: (\S+) 3: (.*?) 4: (.*)$`)
	caFailedPattern   = regexp.MustCompile(`Action ended [^:]+:\d\d: (\S+)\. Return value 3\.`)
	headerPattern     = regexp.MustCompile(`^=== (Verbose )?[Ll]ogging (started|stopped)`)
)

// evidence is what a failed install shows: its log, exit code and events.
type evidence struct {
	log      string
	exit     int // -1: unknown
	exitFrom string
	messages []int
	events   []ops.Event
	// uninstall is true for a removal (msi.uninstall's run, or a log whose
	// status line is "Removal success or error status").
	uninstall bool
	// empty: no log at all; headerOnly: only the logging started/stopped lines.
	empty, headerOnly bool
}

// newEvidence reads a run's evidence; exit is -1 when unknown (a log
// alone gives it only when it has "MainEngineThread is returning N").
func newEvidence(log string, exit int, events []ops.Event) *evidence {
	ev := &evidence{log: log, exit: exit, messages: Messages(log), events: events}
	if exit >= 0 {
		ev.exitFrom = "exit code " + strconv.Itoa(exit)
	} else if m := exitPattern.FindAllStringSubmatch(log, -1); len(m) > 0 {
		// The client's line is last: its code is what msiexec exits with.
		ev.exit, _ = strconv.Atoi(m[len(m)-1][1])
		ev.exitFrom = "log: " + strings.TrimSpace(m[len(m)-1][0])
	} else if m := statusPattern.FindStringSubmatch(log); m != nil {
		ev.exit, _ = strconv.Atoi(m[1])
		ev.exitFrom = "log: " + m[0]
	}
	content := 0
	for _, l := range strings.Split(log, "\n") {
		if l = strings.TrimSpace(l); l != "" && !headerPattern.MatchString(l) {
			content++
		}
	}
	// The property dump's REMOVE=ALL is the engine's own line, not a
	// localised message (G), so it tells a removal in any language.
	ev.uninstall = strings.Contains(log, "Removal success or error status") || strings.Contains(log, "Error 1730.") ||
		strings.Contains(log, "Property(S): REMOVE = ALL")
	ev.empty = strings.TrimSpace(log) == ""
	ev.headerOnly = !ev.empty && content == 0
	return ev
}

// line returns the first log line matching re, trimmed ("" if none).
func (ev *evidence) line(re *regexp.Regexp) string {
	loc := re.FindStringIndex(ev.log)
	if loc == nil {
		return ""
	}
	return lineAt(ev.log, loc[0])
}

// lineWith returns the first log line containing s ("" if none).
func (ev *evidence) lineWith(s string) string {
	i := strings.Index(ev.log, s)
	if i < 0 {
		return ""
	}
	return lineAt(ev.log, i)
}

func lineAt(s string, i int) string {
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		end = len(s) - i
	}
	return "log: " + strings.TrimSpace(s[start:i+end])
}

// has reports message n in the log.
func (ev *evidence) has(n int) bool {
	for _, m := range ev.messages {
		if m == n {
			return true
		}
	}
	return false
}

// event returns the evidence of the first event with id (and, for 10005,
// the internal error code), "" if none.
func (ev *evidence) event(id int, code int) string {
	for _, e := range ev.events {
		if e.EventID != id {
			continue
		}
		if code != 0 {
			// From the event's data, in any language (docs/evidence.md#E-localized-events).
			if got, ok := e.InternalError(); !ok || got != code {
				continue
			}
		}
		return "event " + strconv.Itoa(id) + ": " + e.Message
	}
	return ""
}

// customAction is the failing custom action of a 1722.
type customAction struct{ Name, Location, Command string }

func (ev *evidence) customAction() (customAction, string) {
	for _, l := range strings.Split(ev.log, "\n") {
		l = strings.TrimRight(l, "\r")
		if m := caErrorPattern.FindStringSubmatch(l); m != nil {
			return customAction{m[1], m[2], m[3]}, "log: " + strings.TrimSpace(l)
		}
	}
	for _, l := range strings.Split(ev.log, "\n") {
		l = strings.TrimRight(l, "\r")
		if m := caNotePattern.FindStringSubmatch(l); m != nil {
			return customAction{m[1], m[2], m[3]}, "log: " + strings.TrimSpace(l)
		}
	}
	if m := caFailedPattern.FindStringSubmatch(ev.log); m != nil {
		return customAction{Name: m[1]}, ev.line(caFailedPattern)
	}
	return customAction{}, ""
}

// elevated reports what the log says about elevation: +1 the server ran
// elevated, -1 it did not, 0 unknown.
func (ev *evidence) elevated() int {
	switch {
	case strings.Contains(ev.log, "MSI_LUA: Elevation prompt disabled"):
		return -1
	case strings.Contains(ev.log, "Product installation will be elevated"),
		strings.Contains(ev.log, "with elevated privileges"),
		strings.Contains(ev.log, "Property(S): Privileged = 1"):
		return 1
	}
	return 0
}
