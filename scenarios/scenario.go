// Package scenarios is what a QA engineer or researcher writes and runs:
// the scenario file format (YAML, strict, errors with file:line), the
// built-in catalog, and the matrix of cells (scenario × host × context).
// The runner (scenarios/runner), results (scenarios/results), reports
// (scenarios/report) and evidence bundles (scenarios/evidence) build on it.
package scenarios

import "encoding/json"

// Scenario is one reproducible failure (or control) and what it must produce.
type Scenario struct {
	Name    string `yaml:"name" json:"name"`
	Summary string `yaml:"summary" json:"summary"`
	// References are public reports a researcher can follow.
	References []string `yaml:"references,omitempty" json:"references,omitempty"`
	// Evidence is the evidence label of the behaviour (D, R, G...; see
	// docs/evidence.md).
	Evidence string `yaml:"evidence,omitempty" json:"evidence,omitempty"`
	// Package is a built-in test package name (testpkgs) or a local .msi path,
	// relative to the scenario file.
	Package string `yaml:"package" json:"package"`
	// Action is "install" (default) or "uninstall": an uninstall cell first
	// installs the package elevated, before any fault, then removes it in
	// the context.
	Action string `yaml:"action,omitempty" json:"action,omitempty"`
	// Contexts are the install contexts to run in (default admin-elevated).
	Contexts []string `yaml:"contexts,omitempty" json:"contexts,omitempty"`
	// UI is "none" (default) or "full" (simulated hosts only).
	UI string `yaml:"ui,omitempty" json:"ui,omitempty"`
	// Logon is how every context's token is obtained: one of
	// ops.ContextLogons of each context ("" is each context's default).
	// A scheduled task's S4U logon (s4u-task) reproduces what Windows
	// Installer does with a batch logon (docs/evidence.md#E-service-access).
	Logon string `yaml:"logon,omitempty" json:"logon,omitempty"`
	// Properties are public properties for msiexec.
	Properties map[string]string `yaml:"properties,omitempty" json:"properties,omitempty"`
	// Faults are injected in order and reverted in reverse.
	Faults []FaultSpec `yaml:"faults,omitempty" json:"faults,omitempty"`
	// OS lists the OS profiles the scenario applies to (empty: all).
	OS     []string    `yaml:"os,omitempty" json:"os,omitempty"`
	Expect Expectation `yaml:"expect" json:"expect"`
	// Overrides replace parts of Expect for some OS profiles and/or contexts.
	Overrides []Override `yaml:"overrides,omitempty" json:"overrides,omitempty"`

	// File is where the scenario was read ("builtin:<name>.yaml" for the catalog).
	File string `yaml:"-" json:"file"`
	// SHA256 is the hash of the file's bytes.
	SHA256 string `yaml:"-" json:"sha256"`
}

// FaultSpec is one fault with its parameters (see `msilab faults show`).
type FaultSpec struct {
	Type   string          `yaml:"type" json:"type"`
	Params json.RawMessage `yaml:"-" json:"params,omitempty"`
	// Line is the spec's line in its file, for messages.
	Line int `yaml:"-" json:"-"`
}

// Expectation is the outcome checked three ways: exit code, verbose-log
// signature and event IDs (plus the internal messages, read from the log).
type Expectation struct {
	ExitCode int `yaml:"exit_code" json:"exit_code"`
	// Messages are Windows Installer message numbers that must appear in the
	// log (Note: 1: N / Error N), in this order.
	Messages []int `yaml:"messages,omitempty" json:"messages,omitempty"`
	// Log lines (substrings) that must appear in the verbose log, in order.
	Log []string `yaml:"log,omitempty" json:"log,omitempty"`
	// NotLog substrings must not appear in the log.
	NotLog []string `yaml:"not_log,omitempty" json:"not_log,omitempty"`
	// Events are MsiInstaller event IDs that must all be written (a multiset).
	Events []int `yaml:"events,omitempty" json:"events,omitempty"`
	// NoEvents requires that no MsiInstaller event is written.
	NoEvents bool `yaml:"no_events,omitempty" json:"no_events,omitempty"`
}

// Override applies to cells whose OS is in OS (or any, if empty) and whose
// context is in Contexts (or any, if empty). Set fields replace Expect's.
type Override struct {
	OS       []string  `yaml:"os,omitempty" json:"os,omitempty"`
	Contexts []string  `yaml:"contexts,omitempty" json:"contexts,omitempty"`
	ExitCode *int      `yaml:"exit_code,omitempty" json:"exit_code,omitempty"`
	Messages *[]int    `yaml:"messages,omitempty" json:"messages,omitempty"`
	Log      *[]string `yaml:"log,omitempty" json:"log,omitempty"`
	NotLog   *[]string `yaml:"not_log,omitempty" json:"not_log,omitempty"`
	Events   *[]int    `yaml:"events,omitempty" json:"events,omitempty"`
	NoEvents *bool     `yaml:"no_events,omitempty" json:"no_events,omitempty"`
	// Reason says why this OS or context differs (shown in explain and reports).
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
}
