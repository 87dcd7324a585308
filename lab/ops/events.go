package ops

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Application event log ops.
const (
	OpEventBookmark = "eventlog.bookmark"
	OpEventQuery    = "eventlog.query"
)

// EventBookmark is the newest record id (0 for an empty log).
type EventBookmark struct {
	RecordID uint64 `json:"record_id"`
}

// EventQueryArgs asks for records after RecordID, from Source ("" for all).
type EventQueryArgs struct {
	After  uint64 `json:"after"`
	Source string `json:"source,omitempty"`
}

// Event is one Application log record.
type Event struct {
	RecordID uint64    `json:"record_id"`
	Time     time.Time `json:"time"`
	Source   string    `json:"source"`
	EventID  int       `json:"event_id"`
	Level    string    `json:"level"` // Error, Warning, Information
	UserSID  string    `json:"user_sid,omitempty"`
	Message  string    `json:"message"`
	Data     []string  `json:"data,omitempty"`
}

// EventList is what eventlog.query returns, with the bookmark to pass next.
type EventList struct {
	Events   []Event `json:"events"`
	Bookmark uint64  `json:"bookmark"`
}

// MsiInstaller event IDs msilab reads (D: Windows Installer event logging).
const (
	EventInstalled     = 1033  // the install ended, with its status
	EventRemoved       = 1034  // the removal ended, with its status
	EventReconfigured  = 1035  // the reconfiguration ended, with its status
	EventInternalError = 10005 // an internal 2xxx error
)

// Status is the success or error status of a 1033, 1034 or 1035 event,
// read from its data (the fourth insertion string; D: the message
// "... Product Language: %3. Manufacturer: %5. Installation success or
// error status: %4."), never from the message text, which is in the
// host's display language (docs/evidence.md#E-localized-events). ok is
// false for another event, or one whose data has no number there.
func (e Event) Status() (status int, ok bool) {
	if e.EventID != EventInstalled && e.EventID != EventRemoved && e.EventID != EventReconfigured || len(e.Data) < 4 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(e.Data[3]))
	return n, err == nil
}

// internalCode is the first internal error number (2xxx) of a 10005
// event's text after its "<product> -- ".
var internalCode = regexp.MustCompile(`\b(2\d{3})\b`)

// InternalError is the internal error (2xxx) a 10005 event reports. Its
// only data string is the localised text ("Product: X -- ... The error
// code is 2503. The arguments are: , , "): the number is the first
// 2000-2999 after the " -- " that ends the product's name, in any language
// (G: the product line's shape, "Product: [name] -- [text]", is the same
// in each; the code comes before the arguments).
func (e Event) InternalError() (int, bool) {
	if e.EventID != EventInternalError {
		return 0, false
	}
	text := e.Message
	if len(e.Data) > 0 {
		text = e.Data[0]
	}
	if i := strings.Index(text, " -- "); i >= 0 {
		text = text[i+len(" -- "):]
	}
	m := internalCode.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, true
}
