package lab

import (
	"errors"
	"fmt"

	"github.com/msilab/msilab/internal/textutil"
)

// ErrClosed is returned by a Session used after Close.
var ErrClosed = errors.New("lab: session closed")

// WSManFault is a WS-Management fault returned by the host.
type WSManFault struct {
	HTTPStatus int
	Code       uint32 // f:WSManFault Code, e.g. 2150858793 for a timed-out Receive
	Subcode    string // e.g. "w:TimedOut"
	Reason     string
}

func (e *WSManFault) Error() string {
	return fmt.Sprintf("lab: wsman fault %s (code %d, HTTP %d): %s", e.Subcode, e.Code, e.HTTPStatus, e.Reason)
}

// Fault codes callers act on.
const (
	FaultTimedOut         uint32 = 2150858793
	FaultInvalidSelectors uint32 = 2150858843
	FaultQuotaLimit       uint32 = 2150859173
)

// ExitError is a command that ran and exited non-zero.
type ExitError struct {
	Command string
	Code    int
	Stderr  string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("lab: command %q exited with code %d", textutil.Truncate(e.Command, 80), e.Code)
	if e.Stderr != "" {
		msg += ": " + textutil.Truncate(e.Stderr, 400)
	}
	return msg
}

// AuthError is a host that refused the credentials.
type AuthError struct {
	URL, User string
	Auth      AuthMethod
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("lab: %s refused the credentials of %q (%s auth): wrong user or password, or that auth method is not enabled", e.URL, e.User, e.Auth)
}

// UnreachableError is a host that could not be connected to.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("lab: host %s is unreachable: %v", e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TransportError is any other failure of the HTTP exchange (a dropped
// connection, a TLS failure, an unexpected HTTP status).
type TransportError struct {
	URL        string
	HTTPStatus int // 0 when no response arrived
	Err        error
}

func (e *TransportError) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("lab: %s answered HTTP %d: %v", e.URL, e.HTTPStatus, e.Err)
	}
	return fmt.Sprintf("lab: %s: %v", e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IntegrityError is a transfer whose hash or size did not match.
type IntegrityError struct {
	Path      string
	Want, Got string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("lab: %s: hash mismatch: want %s, got %s", e.Path, e.Want, e.Got)
}
