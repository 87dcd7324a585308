package sim

import (
	"errors"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

// opError turns a model error into the catalog's typed error, keeping its
// Win32 code, as the PowerShell module does with Windows' exceptions.
func opError(err error) error {
	if err == nil {
		return nil
	}
	var oe *ops.Error
	if errors.As(err, &oe) {
		return err
	}
	code := ops.CodeInternal
	switch {
	case errors.Is(err, model.ErrAccessDenied):
		code = ops.CodeAccessDenied
	case errors.Is(err, model.ErrNotFound), errors.Is(err, model.ErrPathNotFound),
		errors.Is(err, model.ErrServiceMissing), errors.Is(err, model.ErrUnknownUser),
		errors.Is(err, model.ErrUnknownSnapshot):
		code = ops.CodeNotFound
	case errors.Is(err, model.ErrExists), errors.Is(err, model.ErrNotEmpty),
		errors.Is(err, model.ErrIsDirectory), errors.Is(err, model.ErrNotDirectory),
		errors.Is(err, model.ErrServiceState), errors.Is(err, model.ErrServiceDisabled),
		errors.Is(err, model.ErrServiceExists), errors.Is(err, model.ErrServiceDependent),
		errors.Is(err, model.ErrMutexHeld), errors.Is(err, model.ErrTokenKind):
		code = ops.CodeConflict
	case errors.Is(err, model.ErrInvalidName), errors.Is(err, model.ErrPasswordPolicy):
		code = ops.CodeInvalidArgs
	}
	return &ops.Error{Code: code, Message: err.Error(), Win32: int(model.Code(err))}
}

// required checks that string arguments are present.
func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return &ops.Error{Code: ops.CodeInvalidArgs, Message: "missing argument " + fields[i]}
		}
	}
	return nil
}

func invalidArgs(msg string) error { return &ops.Error{Code: ops.CodeInvalidArgs, Message: msg} }
