// Package msilog turns what people have of a failed Windows Installer
// run into a structured log: a verbose log (/L*v) whole or in excerpts,
// a non-verbose log, MsiInstaller events as Event Viewer, Get-WinEvent or
// wevtutil print them, or the text of an error dialog. Each line keeps its
// number in the input and is read into a kind (note, message, action
// start and end, property, policy value, custom action, status line,
// event field, fact) with its side ((c) client, (s) service), process and
// thread ids, time and arguments, so that diagnosis matches typed fields
// and never raw text. The input is read as a stream: only the lines that
// carry something are kept.
package msilog

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is what a line is.
type Kind string

// Kinds of lines.
const (
	KindHeader       Kind = "header"        // === Verbose logging started / Logging stopped ===
	KindNote         Kind = "note"          // Note: 1: N 2: … (Num N, Args 2:, 3:, …)
	KindMessage      Kind = "message"       // Error N. / Info N. / DEBUG: Error N: / a dialog's text (Num N)
	KindActionStart  Kind = "action-start"  // Action start T: Name. (Name)
	KindActionEnd    Kind = "action-end"    // Action ended T: Name. Return value N. (Name, Args [N])
	KindDoing        Kind = "doing"         // Doing action: Name
	KindProperty     Kind = "property"      // Property(S): NAME = v, PROPERTY CHANGE (Name, Args [v])
	KindPolicy       Kind = "policy"        // Machine policy value 'X' is N (Name, Args [N, machine|user])
	KindCustomAction Kind = "custom-action" // CustomAction X returned actual error code N, WixQuietExec, …
	KindStatus       Kind = "status"        // MainEngineThread is returning N, success or error status: N (Num N)
	KindEvent        Kind = "event"         // an event's header field (Event ID, Source, Level…)
	KindFact         Kind = "fact"          // a known line without a number (Fact names it)
	KindSeparator    Kind = "separator"     // "...", "[snip]": where a paste left lines out
)

// Line is one line of the input that carries something.
type Line struct {
	// N is the line's number in the input, from 1.
	N    int    `json:"n"`
	Text string `json:"text"`
	Kind Kind   `json:"kind"`
	// Side is "c" (msiexec, the client) or "s" (the service), "" when the
	// line has no MSI (x) prefix.
	Side string `json:"side,omitempty"`
	// PID and TID are the prefix's ids (hex, low byte as logged).
	PID  string `json:"pid,omitempty"`
	TID  string `json:"tid,omitempty"`
	Time string `json:"time,omitempty"`
	// Num is the message or note number, or a status line's code (0: none).
	Num int `json:"num,omitempty"`
	// Name is an action's, property's, policy's or custom action's name.
	Name string `json:"name,omitempty"`
	// Args are the arguments: a note's 2:, 3:, … in order; a message's
	// [2], [3], … where its text has them; a value.
	Args []string `json:"args,omitempty"`
	// Fact names a fact or a sub-form (see the Fact* constants).
	Fact string `json:"fact,omitempty"`
	// Event is the event the line belongs to (its ID), 0 outside events.
	Event int `json:"event,omitempty"`
}

// Arg returns argument i ("" when absent).
func (l Line) Arg(i int) string {
	if i < 0 || i >= len(l.Args) {
		return ""
	}
	return l.Args[i]
}

// Quote is the line as evidence: its number and its text.
func (l Line) Quote() string { return fmt.Sprintf("line %d: %s", l.N, strings.TrimSpace(l.Text)) }

// Form is what the input is.
type Form string

// Forms of input.
const (
	FormVerbose     Form = "verbose"      // a whole verbose log
	FormExcerpt     Form = "excerpt"      // part of a verbose log
	FormExcerpts    Form = "excerpts"     // several parts of one log pasted together
	FormNonVerbose  Form = "non-verbose"  // a log without MSI (x) prefixes (/L without v)
	FormEventViewer Form = "event-viewer" // events as Event Viewer shows or copies them
	FormGetWinEvent Form = "get-winevent" // Get-WinEvent's table or list
	FormWevtutil    Form = "wevtutil"     // wevtutil qe /f:text
	FormDialog      Form = "dialog"       // the text of an error message box
	FormEmpty       Form = "empty"
	FormNotMSI      Form = "not-msi" // none of the above
)

// Events reports an input made of event records.
func (f Form) Events() bool { return f == FormEventViewer || f == FormGetWinEvent || f == FormWevtutil }

// Log is a parsed input.
type Log struct {
	Form     Form     `json:"form"`
	Encoding Encoding `json:"encoding"`
	CRLF     bool     `json:"crlf"`
	// Lines are the lines that carry something, in input order.
	Lines []Line `json:"lines"`
	// Total is the number of lines read; Parts the number of pieces a
	// paste is made of (1 for a whole log or one excerpt).
	Total int `json:"total"`
	Parts int `json:"parts"`
	// Other counts the non-blank lines that carry nothing known (not kept).
	Other int `json:"other"`
	// NewestFirst is true for events pasted newest first.
	NewestFirst bool `json:"newest_first,omitempty"`
	// Why says why the input is not a Windows Installer log (FormNotMSI).
	Why string `json:"why,omitempty"`
}

// Options configure Parse.
type Options struct {
	// MaxBytes stops reading past it with ErrTooLarge (0: no limit).
	MaxBytes int64
}

// NotLogError is returned for an input that is binary (an .msi, an
// archive): no line of it can be read.
type NotLogError struct{ Why string }

func (e *NotLogError) Error() string { return "not a Windows Installer log: " + e.Why }

// ParseString parses text already in memory.
func ParseString(text string) *Log {
	l, _ := Parse(context.Background(), strings.NewReader(text), Options{})
	return l
}

// Parse reads r to its end (or ctx's) and parses it.
func Parse(ctx context.Context, r io.Reader, opt Options) (*Log, error) {
	lr, head, err := newLineReader(r, opt.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("msilog: read: %w", err)
	}
	if why := binaryWhy(head, lr.enc); why != "" {
		return nil, &NotLogError{Why: why}
	}
	p := &parser{log: &Log{Encoding: lr.enc, Parts: 1}}
	for n := 1; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("msilog: line %d: %w", n, err)
		}
		p.log.Total = n
		p.line(n, s)
	}
	p.log.CRLF = lr.crlf
	p.log.Other = p.other
	p.finish()
	return p.log, nil
}

// binaryWhy says why the input's head is not text ("" when it is).
func binaryWhy(head []byte, enc Encoding) string {
	if len(head) >= 8 && string(head[:8]) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" {
		return "it is an OLE compound file (an .msi, .mst or .msp?): give the log msiexec /L*v wrote"
	}
	if len(head) >= 4 && string(head[:4]) == "PK\x03\x04" {
		return "it is a ZIP archive: unpack it and give the log inside"
	}
	var text string
	switch enc {
	case UTF16LE, UTF16LEBOM, UTF16BE:
		return "" // decoded line by line; NULs there are the encoding's
	case ANSI:
		text = decode1252(head)
	default:
		text = string(head)
	}
	bad, total := 0, 0
	for _, r := range text {
		total++
		if r == '\uFFFD' || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7F {
			bad++
		}
	}
	if total > 0 && bad*100 > total {
		return fmt.Sprintf("%d of its first %d characters are control characters or undecodable (binary data, or an encoding msilab does not know)", bad, total)
	}
	return ""
}

// Exit is msiexec's exit code as the input states it and the line that
// states it: the last client "MainEngineThread is returning N" (the
// client's is what msiexec exits with), else the last such line, else the
// last "success or error status: N" (a status line or event 1033/1034).
// ok is false when the input does not say.
func (l *Log) Exit() (code int, line Line, ok bool) {
	var engine, engineC, status *Line
	for i := range l.Lines {
		x := &l.Lines[i]
		if x.Kind != KindStatus {
			continue
		}
		switch x.Fact {
		case FactExit:
			engine = x
			if x.Side == "c" {
				engineC = x
			}
		case FactStatus:
			if status == nil || !l.NewestFirst {
				status = x // events pasted newest first: the first is the latest
			}
		}
	}
	for _, x := range []*Line{engineC, engine, status} {
		if x != nil {
			return x.Num, *x, true
		}
	}
	return -1, Line{}, false
}

// Numbers lists the message and note numbers the input shows, each once,
// in order of first appearance.
func (l *Log) Numbers() []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range l.Lines {
		if (x.Kind == KindNote || x.Kind == KindMessage) && x.Num > 0 && !seen[x.Num] {
			seen[x.Num] = true
			out = append(out, x.Num)
		}
	}
	return out
}

// Uninstall reports a removal: a "Removal success or error status" line,
// event 1034, 11724/11725, or message 1730.
func (l *Log) Uninstall() bool {
	for _, x := range l.Lines {
		if x.Fact == FactRemoval || x.Event == 1034 || x.Event == 11724 || x.Event == 11725 || x.Kind == KindMessage && x.Num == 1730 ||
			// The property dump's REMOVE = ALL is the engine's own line, in
			// any display language (docs/evidence.md#E-localized-events).
			x.Kind == KindProperty && strings.EqualFold(x.Name, "REMOVE") && strings.EqualFold(x.Arg(0), "ALL") {
			return true
		}
	}
	return false
}

// Content reports whether the input has any line besides logging
// started/stopped headers.
func (l *Log) Content() bool {
	if l.Other > 0 {
		return true
	}
	for _, x := range l.Lines {
		if x.Kind != KindHeader {
			return true
		}
	}
	return false
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}
