package sim

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

func init() {
	registerOp(ops.OpServiceGet, serviceGet)
	registerOp(ops.OpServiceSetStart, serviceChange(func(a ops.ServiceSetStartArgs) string { return a.Name }, func(h *Host, tok *model.Token, a ops.ServiceSetStartArgs) error {
		for i, name := range ops.StartTypes {
			if strings.EqualFold(name, a.StartType) {
				return h.m.Services().SetStartType(tok, a.Name, model.StartType(i))
			}
		}
		return invalidArgs("start_type must be one of " + strings.Join(ops.StartTypes, ", ") + ", not " + a.StartType)
	}))
	name := func(a ops.ServiceArgs) string { return a.Name }
	registerOp(ops.OpServiceStart, serviceChange(name, func(h *Host, tok *model.Token, a ops.ServiceArgs) error {
		return h.m.Services().Start(tok, a.Name)
	}))
	registerOp(ops.OpServiceStop, serviceChange(name, func(h *Host, tok *model.Token, a ops.ServiceArgs) error {
		return h.m.Services().Stop(tok, a.Name)
	}))
}

func serviceGet(_ context.Context, h *Host, _ Session, args json.RawMessage) (any, error) {
	var a ops.ServiceArgs
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := required("name", a.Name); err != nil {
		return nil, err
	}
	return h.service(a.Name)
}

// service reads a service as service.get reports it.
func (h *Host) service(name string) (ops.Service, error) {
	st, err := h.m.Services().Query(name)
	if errors.Is(err, model.ErrServiceMissing) {
		return ops.Service{Name: name}, nil
	}
	if err != nil {
		return ops.Service{}, opError(err)
	}
	svc := ops.Service{
		Name: st.Name, Exists: true, DisplayName: st.Config.DisplayName,
		Start: int(st.Config.Start), State: st.State.String(), PID: int(st.PID),
		ImagePath: st.Config.ImagePath, ObjectName: st.Config.ObjectName, Dependencies: st.Config.DependOnService,
	}
	if int(st.Config.Start) < len(ops.StartTypes) {
		svc.StartType = ops.StartTypes[st.Config.Start]
	}
	return svc, nil
}

// serviceChange wraps a service change with its before and after states.
func serviceChange[A any](nameOf func(A) string, change func(*Host, *model.Token, A) error) simOp {
	return func(_ context.Context, h *Host, s Session, args json.RawMessage) (any, error) {
		var a A
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		name := nameOf(a)
		if err := required("name", name); err != nil {
			return nil, err
		}
		tok, err := h.token(s)
		if err != nil {
			return nil, opError(err)
		}
		before, err := h.service(name)
		if err != nil {
			return nil, err
		}
		if err := change(h, tok, a); err != nil {
			return nil, opError(err)
		}
		after, err := h.service(name)
		return ops.ServiceChange{Before: before, After: after}, err
	}
}
