package sim

import (
	"context"
	"encoding/json"
	"time"

	"github.com/msilab/msilab/lab/ops"
)

func init() {
	registerOp(ops.OpMutexHold, mutexHold)
	registerOp(ops.OpMutexRelease, mutexRelease)
	registerOp(ops.OpMutexGet, mutexGet)
}

func (h *Host) mutex(name string) ops.Mutex {
	owner, held := h.m.Mutexes().Holder(name)
	m := ops.Mutex{Name: name, Held: held}
	if held {
		m.Holder = owner
	}
	return m
}

func mutexHold(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.MutexHoldArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	if a.Seconds < 1 || a.Seconds > 86400 {
		return nil, invalidArgs("seconds must be from 1 to 86400")
	}
	before := h.mutex(a.Name)
	// The hold lasts in model time, which advances with every event; the
	// simulated engine sees it held until then or until mutex.release.
	until := h.m.Now().Add(time.Duration(a.Seconds) * time.Second)
	if err := h.m.Mutexes().Acquire(a.Name, ops.MutexHolder, until); err != nil {
		return nil, opError(err)
	}
	return ops.MutexChange{Before: before, After: h.mutex(a.Name)}, nil
}

func mutexRelease(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.MutexArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	before := h.mutex(a.Name)
	if before.Held && before.Holder != ops.MutexHolder {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Name + " is held by " + before.Holder + ", not by msilab"}
	}
	h.m.Mutexes().Release(a.Name)
	return ops.MutexChange{Before: before, After: h.mutex(a.Name)}, nil
}

func mutexGet(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.MutexArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	return h.mutex(a.Name), nil
}
