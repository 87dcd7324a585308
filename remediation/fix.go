package remediation

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// Fix is one way of repairing a host: one file per fix, registered by
// name in init. Its ops are computed from the probed state (an ACL from
// the OS profile's default, never a grant to Everyone), it says how to put
// back what it changes, and it checks the state probed in the same batch
// as its change.
type Fix interface {
	// Applies reports whether the fix can address the finding on this
	// host: the state shows what it repairs, and what it needs is known
	// (the OS profile's default ACL, the user's SID...).
	Applies(st *HostState, f Finding) bool
	// Ops are the changes, from the state. None for a fix that changes
	// how the install is run (RunAser) or only waits (Waiter).
	Ops(st *HostState, f Finding) ([]ops.Op, error)
	// Undo is the data that puts back what Ops changes, taken from the
	// state before them (nil: nothing to undo); a run journals it before
	// the change is sent.
	Undo(before *HostState) (json.RawMessage, error)
	// UndoOps rebuilds the changes that put it back from Undo's data,
	// which it checks as input (ErrUndo): only what the fix itself changes.
	UndoOps(t faults.Target, data json.RawMessage) ([]ops.Op, error)
	// Verify checks the state probed right after the change.
	Verify(after *HostState) error
}

// RunAser is a fix that changes how the install is run, not the host:
// the install context to rerun it in.
type RunAser interface {
	RunAs(st *HostState, f Finding) string
}

// Waiter is a fix that waits for the host to change by itself (another
// install to finish): the engine probes again every PollEvery until
// Verify passes or Options.MutexWait is over.
type Waiter interface {
	PollEvery() time.Duration
}

// Noter is a fix with something to say about this host: a policy that a
// GPO would write back, what it chose not to do.
type Noter interface {
	Note(st *HostState, f Finding) string
}

// Risk is how much a fix can hurt if it is wrong for the host.
type Risk string

// Risks, least first.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// Info describes a registered fix for `msilab remediate` and reports.
type Info struct {
	Name    string
	Summary string
	Risk    Risk
	// RiskReason says why the risk is what it is.
	RiskReason string
	// Addresses lists the finding IDs it repairs.
	Addresses []string
	// New returns the fix.
	New func() Fix
}

var registry = map[string]Info{}

// Register adds a fix to the catalog; it panics on a repeated name.
func Register(info Info) {
	if _, dup := registry[info.Name]; dup || info.New == nil || info.Risk == "" {
		panic("remediation: bad or repeated registration: " + info.Name)
	}
	registry[info.Name] = info
}

// Names lists the registered fixes, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns a registered fix's Info.
func Lookup(name string) (Info, error) {
	info, ok := registry[name]
	if !ok {
		return Info{}, &UnknownError{Name: name, Known: Names()}
	}
	return info, nil
}

// VerifyError is a fix whose verification failed: what the state shows.
type VerifyError struct {
	Fix    string
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("remediation: %s did not verify: %s", e.Fix, e.Reason)
}

func (e *VerifyError) Unwrap() error { return ErrNotVerified }

func notVerified(fix, format string, args ...any) error {
	return &VerifyError{Fix: fix, Reason: fmt.Sprintf(format, args...)}
}

// aclOp sets sections of a folder's security descriptor from SDDL.
func aclSetOp(path, sddl string, sections ...string) ops.Op {
	return ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: path, SDDL: sddl, Sections: sections})
}

// restoreACLOps sets a folder's owner (when it differs) and DACL to the
// default descriptor def.
func restoreACLOps(f Folder, def string) ([]ops.Op, error) {
	want, err := win.ParseSDDL(def)
	if err != nil {
		return nil, fmt.Errorf("remediation: default SDDL of %s: %w", f.Path, err)
	}
	sections := []string{"dacl"}
	if want.Owner != "" && ownerOf(f.ACL.SDDL) != want.Owner {
		sections = []string{"owner", "dacl"}
	}
	return []ops.Op{aclSetOp(f.Path, def, sections...)}, nil
}

// verifyDefaultACL checks that a folder has its default descriptor (what
// is needed of it, when the default is our inference: deviation) and
// opens nothing to broad groups.
func verifyDefaultACL(fix string, f Folder) error {
	switch {
	case !f.Exists():
		return notVerified(fix, "%s does not exist", f.Path)
	case f.ACL.SDDL == "":
		return notVerified(fix, "%s: its ACL cannot be read (%s)", f.Path, f.ACLError)
	case f.Default == "":
		return notVerified(fix, "%s: no default ACL to compare with", f.Path)
	}
	if off, why := deviation(f, f.ACL.SDDL); off {
		return notVerified(fix, "%s: %s", f.Path, why)
	}
	if broad := overBroad(f.ACL.SDDL, f.Default); len(broad) > 0 {
		return notVerified(fix, "%s: %s", f.Path, strings.Join(broad, "; "))
	}
	return nil
}

// aclDeviates reports a folder whose descriptor differs from its default
// (which must be known); for a default of our inference, one that lacks
// what is needed of it or gives broad groups more than the default.
func aclDeviates(f Folder) bool {
	if !f.Exists() || f.Default == "" {
		return false
	}
	if f.ACL.SDDL == "" {
		return f.ACLError != ""
	}
	off, _ := deviation(f, f.ACL.SDDL)
	return off || f.DefaultGuessed && len(overBroad(f.ACL.SDDL, f.Default)) > 0
}
