package model

import (
	"fmt"
	"github.com/msilab/msilab/win"
	"slices"
	"strings"
	"time"
)

// The Application event log. Records get a monotonic RecordID and the
// model clock's time when written.

// Level is an event level (System/Level values of the Windows event
// schema, D).
type Level uint8

// Event levels.
const (
	LevelError       Level = 2
	LevelWarning     Level = 3
	LevelInformation Level = 4
)

func (l Level) String() string {
	switch l {
	case LevelError:
		return "Error"
	case LevelWarning:
		return "Warning"
	case LevelInformation:
		return "Information"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Event is one Application log record.
type Event struct {
	RecordID     uint64
	TimeCreated  time.Time
	ProviderName string // the source, e.g. MsiInstaller
	EventID      uint32
	Level        Level
	UserSID      win.SID
	Message      string
	Data         []string
}

func (e Event) clone() Event {
	e.Data = slices.Clone(e.Data)
	return e
}

// EventLog is the Application log.
type EventLog struct{ m *Machine }

// EventLog returns the Application log.
func (m *Machine) EventLog() EventLog { return EventLog{m} }

// Write appends e, assigning RecordID and TimeCreated, and returns the
// stored record.
func (l EventLog) Write(e Event) Event {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	st := l.m.st
	e = e.clone()
	e.RecordID = uint64(len(st.events)) + 1
	if n := len(st.events); n > 0 {
		e.RecordID = st.events[n-1].RecordID + 1
	}
	e.TimeCreated = l.m.now()
	st.events = append(st.events, e)
	return e.clone()
}

// Bookmark is the RecordID of the newest record, 0 when the log is empty.
func (l EventLog) Bookmark() uint64 {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if n := len(l.m.st.events); n > 0 {
		return l.m.st.events[n-1].RecordID
	}
	return 0
}

// Query returns the records newer than bookmark, oldest first, from
// provider (case-insensitive; "" for all).
func (l EventLog) Query(bookmark uint64, provider string) []Event {
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	var out []Event
	for _, e := range l.m.st.events {
		if e.RecordID > bookmark && (provider == "" || strings.EqualFold(provider, e.ProviderName)) {
			out = append(out, e.clone())
		}
	}
	return out
}

func eventLines(out *[]string, st *state) {
	for _, e := range st.events {
		*out = append(*out, fmt.Sprintf("event %020d %s %s id=%d level=%s user=%s msg=%q data=%q",
			e.RecordID, stamp(e.TimeCreated), e.ProviderName, e.EventID, e.Level, e.UserSID, e.Message, e.Data))
	}
}
