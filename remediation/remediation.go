// Package remediation diagnoses and fixes a Windows host the way a careful
// administrator would: probes read the host through ops, findings name
// causes with their evidence and a confidence, and an ordered plan of
// fixes (least invasive first, one file each, registered by name) is
// applied one at a time until verification passes; each fix can be rolled
// back. It never opens a host up: no Everyone:F, the OS profile's default
// ACLs instead.
//
// The flow: ProbeOps → ReadState (a HostState) → Diagnose (or DiagnoseLog
// for a log alone) → Plan → Remediate, which applies the plan, one batch
// per fix (its changes and the probes), and returns a Report.
//
// A fix is one file, remediation/<name>.go: a struct implementing Fix
// (Applies, Ops, Undo and UndoOps, Verify), optionally RunAser, Waiter or Noter,
// registered in init with its Info (name, summary, risk and why, the
// finding IDs it addresses), and named in those causes' Fixes in the
// order the engine tries them.
//
// A cause is one file too, remediation/cause_<name>.go (see cause.go and
// CREATING_FAULTS.md): its log signature as typed matchers over a parsed
// input (package msilog), its host condition, what rules it out, its
// fixes and its reproducing scenario. Explain turns a parsed input into
// an Answer: the cause, or "insufficient evidence" with what to collect. Its ops come from the probed state
// and the OS profile (lab/sim/model's profiles: the default ACLs, the
// service's configuration), never from a fixed "open it up" value.
package remediation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/msilab/msilab/lab/ops"
)

// Finding is a cause the engine found.
type Finding struct {
	// ID names the cause, e.g. "temp-acl", "service-disabled" (see Findings).
	ID      string `json:"id"`
	Summary string `json:"summary"`
	// Evidence lists what supports it: log lines, event IDs, probe values.
	Evidence []string `json:"evidence"`
	// Confidence is from 0 to 1.
	Confidence float64 `json:"confidence"`
	// Scenario is the built-in scenario that reproduces it ("" if none).
	Scenario string `json:"scenario,omitempty"`
	// NoScenario says why no built-in scenario reproduces it yet.
	NoScenario string `json:"no_scenario,omitempty"`
	// Fixes are the fixes that address it, in the order the engine tries
	// them (least invasive first); NoFix says why none on the host applies.
	Fixes []string `json:"fixes,omitempty"`
	NoFix string   `json:"no_fix,omitempty"`
	// Lines are the input's lines quoted as evidence, with their numbers.
	Lines []QuotedLine `json:"lines,omitempty"`
	// RuledOut says why competing causes were ruled out, or what would
	// tell them apart.
	RuledOut []string `json:"ruled_out,omitempty"`
	// Label is the cause's evidence label (D, R, G) and Sources its sources.
	Label   string   `json:"label,omitempty"`
	Sources []string `json:"sources,omitempty"`
	// fromRun: the run's evidence shows it (not the host's state alone).
	fromRun bool
}

// QuotedLine is a line of the input quoted as evidence.
type QuotedLine struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// Applied is a fix as it was applied.
type Applied struct {
	Fix string `json:"fix"`
	// Finding is the finding it was applied for.
	Finding string `json:"finding"`
	Risk    Risk   `json:"risk"`
	// Ops are the exact changes sent; PowerShell is what they run on a real host.
	Ops        []ops.Op `json:"ops"`
	PowerShell string   `json:"powershell"`
	// Results are the changes' results (each changing op returns the state
	// it changed).
	Results []ops.Result `json:"results,omitempty"`
	// Rollback are the changes that undo it, saved before it was sent.
	Rollback []ops.Op `json:"rollback,omitempty"`
	// Verified is true when the fix's verification passed afterwards.
	Verified bool `json:"verified"`
	// RolledBack is true when it did not verify and Rollback was sent.
	RolledBack bool `json:"rolled_back,omitempty"`
	// Error is why it did not verify (a failed op, the state after).
	Error string `json:"error,omitempty"`
	Note  string `json:"note,omitempty"`
	// RunAs is set by fixes that change how the install is run, not the
	// machine (e.g. "admin-elevated").
	RunAs string `json:"run_as,omitempty"`
}

// Errors.
var (
	// ErrUnknown is matched by *UnknownError.
	ErrUnknown = errors.New("remediation: unknown fix")
	// ErrProbe is wrapped when probe results do not fit the probes.
	ErrProbe = errors.New("remediation: unexpected probe result")
	// ErrNotVerified is matched by *VerifyError.
	ErrNotVerified = errors.New("remediation: fix not verified")
)

// UnknownError names a fix that is not registered and lists the known ones.
type UnknownError struct {
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("remediation: unknown fix %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownError) Unwrap() error { return ErrUnknown }
