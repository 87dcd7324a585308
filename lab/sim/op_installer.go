package sim

import (
	"errors"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	registerOp(ops.OpInstallerUnregister, typed(nil, func(c opCall, _ noArgs) (any, error) {
		return c.installerChange(func() error { return c.h.m.Services().Delete(c.tok, ops.InstallerService) })
	}))
	registerOp(ops.OpInstallerRegister, typed(nil, installerRegister))
}

// installerRegister is `msiexec /regserver`: it creates the msiserver
// service with its own configuration (regserverConfig), not the one the OS
// installed. A registered service is
// left as it is (before == after); one marked for deletion (unregistered
// while running) cannot be registered until it stops: Conflict,
// ERROR_SERVICE_MARKED_FOR_DELETE (1072), as CreateService gives (D).
func installerRegister(c opCall, _ noArgs) (any, error) {
	svcs := c.h.m.Services()
	if st, err := svcs.Query(ops.InstallerService); err == nil && st.MarkedForDelete {
		return nil, opError(&model.ServiceError{Op: "CreateService", Name: ops.InstallerService,
			Code: model.ErrorServiceMarkedForDelete, Err: model.ErrServiceState})
	}
	return c.installerChange(func() error {
		err := svcs.Create(c.tok, ops.InstallerService, regserverConfig(c.h.Profile().Msiserver))
		if errors.Is(err, model.ErrServiceExists) {
			return nil
		}
		return err
	})
}

// installerChange runs change between reading msiserver before and after.
// installer.unregister is the model's Services().Delete, as `msiexec
// /unregister` does: a missing service is NotFound, a running one is
// marked for deletion and goes when it stops.
func (c opCall) installerChange(change func() error) (any, error) {
	before, err := c.h.service(ops.InstallerService)
	if err != nil {
		return nil, err
	}
	if err := change(); err != nil {
		return nil, opError(err)
	}
	after, err := c.h.service(ops.InstallerService)
	return ops.InstallerServiceChange{Before: before, After: after}, err
}

// regserverConfig is the configuration `msiexec /regserver` writes: the
// OS's start type, account and dependencies, but the image path expanded
// (C:\WINDOWS\system32\msiexec.exe /V, the same program), no description
// and no failure actions (G: msiexec creates the service itself and sets
// no ChangeServiceConfig2 data; docs/evidence.md#E-regserver-config). A
// revert must write the recorded configuration back.
func regserverConfig(os win.ServiceConfig) win.ServiceConfig {
	c := os
	c.ImagePath = `C:\WINDOWS\system32\msiexec.exe /V`
	c.Description, c.FailureActions = "", nil
	c.DependOnService = append([]string(nil), os.DependOnService...)
	return c
}
