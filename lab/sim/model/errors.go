package model

import (
	"errors"
	"fmt"
	"github.com/msilab/msilab/win"
)

// Errno is a Win32 error code, as GetLastError and the SCM return it.
// Codes and names: Microsoft "System Error Codes (0-499)" and "(1000-1299)" (D).
type Errno uint32

// Win32 error codes used by the model.
const (
	ErrorFileNotFound             Errno = 2
	ErrorPathNotFound             Errno = 3
	ErrorAccessDenied             Errno = 5
	ErrorFileExists               Errno = 80
	ErrorInvalidParameter         Errno = 87
	ErrorInvalidName              Errno = 123
	ErrorDirNotEmpty              Errno = 145
	ErrorAlreadyExists            Errno = 183
	ErrorDirectory                Errno = 267
	ErrorDependentServicesRunning Errno = 1051
	ErrorInvalidServiceControl    Errno = 1052
	ErrorServiceAlreadyRunning    Errno = 1056
	ErrorServiceDisabled          Errno = 1058
	ErrorCircularDependency       Errno = 1059
	ErrorServiceDoesNotExist      Errno = 1060
	ErrorServiceCannotAcceptCtrl  Errno = 1061
	ErrorServiceNotActive         Errno = 1062
	ErrorServiceDependencyFail    Errno = 1068
	ErrorServiceMarkedForDelete   Errno = 1072
	ErrorServiceExists            Errno = 1073
	ErrorServiceDependencyDeleted Errno = 1075
)

var errnoText = map[Errno]string{
	ErrorFileNotFound:             "The system cannot find the file specified.",
	ErrorPathNotFound:             "The system cannot find the path specified.",
	ErrorAccessDenied:             "Access is denied.",
	ErrorFileExists:               "The file exists.",
	ErrorInvalidParameter:         "The parameter is incorrect.",
	ErrorInvalidName:              "The filename, directory name, or volume label syntax is incorrect.",
	ErrorDirNotEmpty:              "The directory is not empty.",
	ErrorAlreadyExists:            "Cannot create a file when that file already exists.",
	ErrorDirectory:                "The directory name is invalid.",
	ErrorDependentServicesRunning: "A stop control has been sent to a service that other running services are dependent on.",
	ErrorInvalidServiceControl:    "The requested control is not valid for this service.",
	ErrorServiceAlreadyRunning:    "An instance of the service is already running.",
	ErrorServiceDisabled:          "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
	ErrorCircularDependency:       "Circular service dependency was specified.",
	ErrorServiceDoesNotExist:      "The specified service does not exist as an installed service.",
	ErrorServiceNotActive:         "The service has not been started.",
	ErrorServiceDependencyFail:    "The dependency service or group failed to start.",
	ErrorServiceMarkedForDelete:   "The specified service has been marked for deletion.",
	ErrorServiceExists:            "The specified service already exists.",
	ErrorServiceDependencyDeleted: "The dependency service does not exist or has been marked for deletion.",
}

func (e Errno) Error() string {
	if s, ok := errnoText[e]; ok {
		return s
	}
	return fmt.Sprintf("win32 error %d", uint32(e))
}

// Sentinels; match them with errors.Is.
var (
	ErrNotFound         = errors.New("model: file not found")
	ErrPathNotFound     = errors.New("model: path not found")
	ErrAccessDenied     = errors.New("model: access denied")
	ErrExists           = errors.New("model: already exists")
	ErrNotEmpty         = errors.New("model: directory not empty")
	ErrIsDirectory      = errors.New("model: is a directory")
	ErrNotDirectory     = errors.New("model: not a directory")
	ErrInvalidName      = errors.New("model: invalid name")
	ErrUnknownUser      = errors.New("model: unknown user")
	ErrTokenKind        = errors.New("model: token kind does not fit the account")
	ErrUnknownSnapshot  = errors.New("model: unknown snapshot")
	ErrMutexHeld        = errors.New("model: mutex held by another owner")
	ErrServiceState     = errors.New("model: service state does not allow this")
	ErrServiceMissing   = errors.New("model: service does not exist")
	ErrServiceDisabled  = errors.New("model: service disabled")
	ErrServiceExists    = errors.New("model: service exists")
	ErrServiceDependent = errors.New("model: service dependency failed")
)

// PathError is a failed operation on a file, directory or registry key.
type PathError struct {
	Op   string
	Path string
	Code Errno
	Err  error
}

func (e *PathError) Error() string {
	return fmt.Sprintf("%s %s: %v (win32 %d)", e.Op, e.Path, e.Err, uint32(e.Code))
}

func (e *PathError) Unwrap() error { return e.Err }

// AccessDeniedError says which access a token lacked on an object.
type AccessDeniedError struct {
	Path  string
	Want  win.AccessMask
	Token win.TokenKind
}

func (e *AccessDeniedError) Error() string {
	return fmt.Sprintf("access denied: %s wants %#x on %s", e.Token, uint32(e.Want), e.Path)
}

// Is makes errors.Is(err, ErrAccessDenied) true.
func (e *AccessDeniedError) Is(target error) bool { return target == ErrAccessDenied }

// ServiceError is a failed SCM operation.
type ServiceError struct {
	Op   string
	Name string
	Code Errno
	Err  error
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("%s %s: %v (win32 %d)", e.Op, e.Name, e.Code, uint32(e.Code))
}

func (e *ServiceError) Unwrap() error { return e.Err }

// Code returns the Win32 code carried by a model error, or 0.
func Code(err error) Errno {
	var pe *PathError
	if errors.As(err, &pe) {
		return pe.Code
	}
	var se *ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	var le *LogonError
	if errors.As(err, &le) {
		return le.Code
	}
	var no Errno
	if errors.As(err, &no) {
		return no
	}
	if errors.Is(err, ErrAccessDenied) {
		return ErrorAccessDenied
	}
	return 0
}

func pathErr(op, path string, code Errno, err error) error {
	return &PathError{Op: op, Path: path, Code: code, Err: err}
}

func deniedErr(op, path string, want win.AccessMask, tok *win.Token) error {
	return &PathError{Op: op, Path: path, Code: ErrorAccessDenied,
		Err: &AccessDeniedError{Path: path, Want: want, Token: kindOf(tok)}}
}

func kindOf(tok *win.Token) win.TokenKind {
	if tok == nil {
		return ""
	}
	return tok.Kind
}
