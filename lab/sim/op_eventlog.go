package sim

import (
	"context"
	"encoding/json"

	"github.com/msilab/msilab/lab/ops"
)

func init() {
	registerOp(ops.OpEventBookmark, eventBookmark)
	registerOp(ops.OpEventQuery, eventQuery)
}

func eventBookmark(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	return ops.EventBookmark{RecordID: h.m.EventLog().Bookmark()}, nil
}

func eventQuery(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.EventQueryArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	log := h.m.EventLog()
	out := ops.EventList{Events: []ops.Event{}, Bookmark: a.After}
	for _, e := range log.Query(a.After, a.Source) {
		out.Events = append(out.Events, ops.Event{
			RecordID: e.RecordID, Time: e.TimeCreated, Source: e.ProviderName, EventID: int(e.EventID),
			Level: e.Level.String(), UserSID: string(e.UserSID), Message: e.Message, Data: e.Data,
		})
		out.Bookmark = max(out.Bookmark, e.RecordID)
	}
	return out, nil
}
