package sim

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	name := func(a ops.ServiceArgs) error { return required("name", a.Name) }
	registerOp(ops.OpServiceGet, typed(name, func(c opCall, a ops.ServiceArgs) (any, error) { return c.h.service(a.Name) }))
	registerOp(ops.OpServiceSetStart, typed(func(a ops.ServiceSetStartArgs) error { return required("name", a.Name, "start_type", a.StartType) },
		func(c opCall, a ops.ServiceSetStartArgs) (any, error) {
			for i, st := range ops.StartTypes {
				if strings.EqualFold(st, a.StartType) {
					return c.serviceChange(a.Name, func() error { return c.h.m.Services().SetStartType(c.tok, a.Name, win.StartType(i)) })
				}
			}
			return nil, invalidArgs("start_type must be one of " + strings.Join(ops.StartTypes, ", ") + ", not " + a.StartType)
		}))
	registerOp(ops.OpServiceConfigure, typed(func(a ops.ServiceConfigureArgs) error {
		return required("name", a.Name, "start_type", a.StartType, "display_name", a.DisplayName, "image_path", a.ImagePath, "object_name", a.ObjectName)
	}, serviceConfigure))
	// As the module's Start-Service and Stop-Service, starting a running
	// service or stopping a stopped one changes nothing and is no error
	// (D: the cmdlets check the status first; the SCM's 1056/1062 stay in the model).
	registerOp(ops.OpServiceStart, typed(name, func(c opCall, a ops.ServiceArgs) (any, error) {
		return c.serviceChange(a.Name, func() error {
			return ignoreState(c.h.m.Services().Start(c.tok, a.Name), model.ErrorServiceAlreadyRunning)
		})
	}))
	registerOp(ops.OpServiceStop, typed(name, func(c opCall, a ops.ServiceArgs) (any, error) {
		return c.serviceChange(a.Name, func() error {
			return ignoreState(c.h.m.Services().Stop(c.tok, a.Name), model.ErrorServiceNotActive)
		})
	}))
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
		Description: st.Config.Description, FailureActions: st.Config.FailureActions,
	}
	if int(st.Config.Start) < len(ops.StartTypes) {
		svc.StartType = ops.StartTypes[st.Config.Start]
	}
	return svc, nil
}

// serviceChange runs change between reading the service before and after.
func (c opCall) serviceChange(name string, change func() error) (any, error) {
	before, err := c.h.service(name)
	if err != nil {
		return nil, err
	}
	if err := change(); err != nil {
		return nil, opError(err)
	}
	after, err := c.h.service(name)
	return ops.ServiceChange{Before: before, After: after}, err
}

// ignoreState drops the error that says the service is already in the
// state asked for.
func ignoreState(err error, code model.Errno) error {
	if err != nil && model.Code(err) == code {
		return nil
	}
	return err
}

// serviceConfigure writes a service's whole configuration, as the
// module's ChangeServiceConfigW and ChangeServiceConfig2W calls do.
func serviceConfigure(c opCall, a ops.ServiceConfigureArgs) (any, error) {
	start := -1
	for i, st := range ops.StartTypes {
		if st == a.StartType {
			start = i
		}
	}
	if start < 0 {
		return nil, invalidArgs("start_type must be one of " + strings.Join(ops.StartTypes, ", ") + ", not " + a.StartType)
	}
	if n := len(a.FailureActions); n > 0 && (n < 20 || n < 20+8*int(binary.LittleEndian.Uint32(a.FailureActions[12:]))) {
		return nil, invalidArgs("failure_actions holds fewer actions than its header counts")
	}
	cfg := win.ServiceConfig{Start: win.StartType(start), ImagePath: a.ImagePath, ObjectName: a.ObjectName, DisplayName: a.DisplayName,
		DependOnService: a.Dependencies, Description: a.Description, FailureActions: a.FailureActions}
	return c.serviceChange(a.Name, func() error { return c.h.m.Services().Configure(c.tok, a.Name, cfg) })
}
