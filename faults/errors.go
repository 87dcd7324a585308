package faults

import (
	"errors"
	"fmt"
)

// ErrParam is matched by *ParamError.
var ErrParam = errors.New("faults: invalid parameter")

// ParamError is a parameter value that Validate refuses, with what it takes.
type ParamError struct {
	Param string // the JSON key
	Value string
	Want  string // e.g. "one of a, b, c" or "from 1 to 86400"
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("parameter %s: %s is not allowed (want %s)", e.Param, e.Value, e.Want)
}

func (e *ParamError) Unwrap() error { return ErrParam }

// ErrContext is matched by *ContextError.
var ErrContext = errors.New("faults: fault does not apply to the install context")

// ContextError is a fault that cannot be injected for the cell's context.
type ContextError struct {
	Fault   string
	Context string
	Reason  string
}

func (e *ContextError) Error() string {
	return fmt.Sprintf("faults: %s does not apply to the %s context: %s", e.Fault, e.Context, e.Reason)
}

func (e *ContextError) Unwrap() error { return ErrContext }

// ErrHostState is wrapped when the host is not in a state the fault can
// be injected into (what it would hide is already missing, a leftover of an
// earlier run is in the way, another process holds the mutex...).
var ErrHostState = errors.New("faults: host state does not allow the fault")

func hostState(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHostState}, args...)...)
}
