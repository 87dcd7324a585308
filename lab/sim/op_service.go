package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
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
	// As the module, starting a running service or stopping a stopped one
	// changes nothing and is no error (it checks the status first; the
	// SCM's 1056/1062 stay in the model).
	// The module waits a bounded time for Running or Stopped; a service
	// left pending is Conflict naming its state, ERROR_SERVICE_REQUEST_TIMEOUT.
	registerOp(ops.OpServiceStart, typed(name, func(c opCall, a ops.ServiceArgs) (any, error) {
		return c.serviceChange(a.Name, func() error {
			err := c.h.m.Services().Start(c.tok, a.Name)
			if model.Code(err) == model.ErrorServiceAlreadyRunning {
				err = nil
			}
			return c.waitFor(a.Name, err, model.ServiceRunning)
		})
	}))
	registerOp(ops.OpServiceStop, typed(name, func(c opCall, a ops.ServiceArgs) (any, error) {
		return c.serviceChange(a.Name, func() error {
			err := c.h.m.Services().Stop(c.tok, a.Name)
			if code := model.Code(err); code == model.ErrorServiceNotActive || code == model.ErrorServiceCannotAcceptCtrl {
				err = nil // stopped, or pending: wait as the module does
			}
			return c.waitFor(a.Name, err, model.ServiceStopped)
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

// ServiceWait is how long service.start and service.stop wait for the
// service to reach Running or Stopped (the module's
// $script:MsiLabServiceWaitSeconds).
const ServiceWait = 60

// waitFor is the module's bounded wait after a start or stop: a service
// that is not in state want (it hangs pending) is Conflict naming its state.
func (c opCall) waitFor(name string, err error, want model.ServiceState) error {
	if err != nil {
		return err
	}
	st, qerr := c.h.m.Services().Query(name)
	if qerr != nil || st.State == want || want == model.ServiceStopped && errors.Is(qerr, model.ErrServiceMissing) {
		return nil
	}
	return &ops.Error{Code: ops.CodeConflict, Win32: 1053, // ERROR_SERVICE_REQUEST_TIMEOUT
		Message: fmt.Sprintf("service %s did not reach %s within %d s: it is %s", name, want, ServiceWait, st.State)}
}
