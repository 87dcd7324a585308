package sim

import (
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpEventBookmark, typed(nil, func(c opCall, _ noArgs) (any, error) {
		return ops.EventBookmark{RecordID: c.h.m.EventLog().Bookmark()}, nil
	}))
	registerOp(ops.OpEventQuery, typed(nil, func(c opCall, a ops.EventQueryArgs) (any, error) {
		out := ops.EventList{Events: []ops.Event{}, Bookmark: a.After}
		for _, e := range c.h.m.EventLog().Query(a.After, a.Source) {
			out.Events = append(out.Events, eventOf(e))
			out.Bookmark = max(out.Bookmark, e.RecordID)
		}
		return out, nil
	}))
}

// eventOf is an Application log record as the event ops return it.
func eventOf(e model.Event) ops.Event {
	return ops.Event{RecordID: e.RecordID, Time: e.TimeCreated, Source: e.ProviderName, EventID: int(e.EventID),
		Level: e.Level.String(), UserSID: string(e.UserSID), Message: e.Message, Data: e.Data}
}
