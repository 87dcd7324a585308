package scenarios

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every *FileError: a scenario file
// that cannot be read or does not validate.
var ErrInvalid = errors.New("scenarios: invalid scenario file")

// FileError is one problem in a scenario file, at a position (1-based;
// Line 0 when the problem is the whole file). It prints as
// "file:line:col: message", as compilers do, so editors can jump to it.
type FileError struct {
	File   string
	Line   int
	Column int
	Msg    string
	// Err is the error behind Msg, when there is one (for example a
	// *faults.UnknownError or the error of faults.Decode).
	Err error
}

func (e *FileError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap returns the error behind the message, if any.
func (e *FileError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FileError) Is(target error) bool { return target == ErrInvalid }

// FileErrors is every problem found in one or more files, in file order
// then position order. Loading returns it whenever something is wrong, so
// errors.As(err, &fileErrors) gives the whole list and errors.As(err,
// &fileError) the first problem.
type FileErrors []*FileError

func (es FileErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As see each error.
func (es FileErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
