// Package faults is msilab's catalog of ways to break a Windows host so
// that Windows Installer fails. One file per fault: a struct whose exported
// fields are its parameters, registered by name in init. Faults act only
// through ops (lab/ops), so they work the same on real and simulated hosts.
//
// The lifecycle is probe → journal → inject → … → revert:
//   - Probe lists reads; their results are the undo data (journaled before
//     any change) and what Detect looks at;
//   - Inject turns the probe into changes;
//   - Revert turns the journaled probe back into changes that restore it;
//     they are safe to send twice (a NotFound result means "already so").
package faults

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Target is what a fault needs to know about the host and the cell.
type Target struct {
	// AdminUser is the WinRM account (an administrator).
	AdminUser string
	// StandardUser is the lab's non-admin account.
	StandardUser string
	// Context is the cell's install context (ops.Context*).
	Context string
}

// ContextUser is the account whose profile the context uses: the standard
// user, the admin, or "" for system.
func (t Target) ContextUser() string {
	switch t.Context {
	case ops.ContextStandardUser:
		return t.StandardUser
	case ops.ContextSystem:
		return ""
	}
	return t.AdminUser
}

// Probe is the results of a fault's Probe ops, in order.
type Probe []ops.Result

// Fault is one way of breaking a host.
type Fault interface {
	// Probe lists the reads that capture what Inject will change.
	Probe(t Target) []ops.Op
	// Inject returns the changes that make the fault present, from the probe.
	Inject(t Target, p Probe) ([]ops.Op, error)
	// Revert returns the changes that restore what the probe saw.
	Revert(t Target, undo Probe) ([]ops.Op, error)
	// Detect reports whether the fault is present, from a probe taken now.
	Detect(t Target, now Probe) (Detection, error)
}

// Validator is implemented by faults whose parameters need checking.
type Validator interface {
	Validate() error
}

// Detection is Detect's answer, with what it saw.
type Detection struct {
	Present  bool   `json:"present"`
	Evidence string `json:"evidence"`
}

// Info describes a registered fault for `msilab faults list|show`.
type Info struct {
	Name    string
	Summary string
	// Evidence: the docs/evidence.md row(s) the fault reproduces, cited as
	// docs/evidence.md#E-…, with their label(s) (D, R, G).
	Evidence string
	// Inject and Revert say in words what the fault changes and restores.
	Inject, Revert string
	// NegativeControl marks a "fault" that is a healthy host's normal
	// state (a stopped demand-start msiserver): installs still succeed, and
	// a clean-host check must not count it as present.
	NegativeControl bool
	// New returns a fault with its default parameters.
	New func() Fault
}

var registry = map[string]Info{}

// Register adds a fault to the catalog; it panics on a repeated name.
func Register(info Info) {
	if _, dup := registry[info.Name]; dup || info.New == nil {
		panic("faults: bad or repeated registration: " + info.Name)
	}
	registry[info.Name] = info
}

// Names lists the registered faults, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns a registered fault's Info.
func Lookup(name string) (Info, error) {
	info, ok := registry[name]
	if !ok {
		return Info{}, &UnknownError{Name: name, Known: Names()}
	}
	return info, nil
}

// ErrUnknown is matched by *UnknownError.
var ErrUnknown = errors.New("faults: unknown fault")

// UnknownError names a fault that is not registered and lists the known ones.
type UnknownError struct {
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("faults: unknown fault %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownError) Unwrap() error { return ErrUnknown }

// ErrProbe is wrapped when a probe's results do not fit the fault.
var ErrProbe = errors.New("faults: unexpected probe result")
