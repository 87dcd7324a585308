package ops

import "time"

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
