// Package results is the record of a run: one CellResult per cell,
// appended to results.jsonl as each cell ends, so a crash loses nothing
// already finished and --resume can skip finished cells.
package results

import (
	"encoding/json"
	"time"

	"github.com/msilab/msilab/lab/ops"
)

// Status of a cell.
const (
	StatusPass  = "pass"        // the expected outcome was reproduced
	StatusFail  = "fail"        // the host answered, the outcome differs from the expectation
	StatusInfra = "infra-error" // the host could not be reached or dropped: not a product result
	StatusSkip  = "skipped"     // the cell cannot run on this host (e.g. full UI on a real host)
)

// CellResult is everything known about one cell.
type CellResult struct {
	// ID is "<scenario>/<os>/<context>"; cells are unique by ID within a run.
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	OS       string `json:"os"`
	Host     string `json:"host"`
	Context  string `json:"context"`
	Status   string `json:"status"`
	// Reason explains a fail, infra-error or skip in one line.
	Reason string `json:"reason,omitempty"`

	Expected Expected    `json:"expected"`
	Observed Observed    `json:"observed"`
	Checks   []Check     `json:"checks"`
	Faults   []FaultNote `json:"faults,omitempty"`

	// Commands is how many WinRM commands the cell sent (snapshot revert aside).
	Commands int `json:"commands"`
	Attempts int `json:"attempts"`
	// Resends is how many batch sends, over all attempts, were resends
	// of a batch whose answer was lost or cut (same batch ID, new shell
	// and connection); Replayed how many answers were the host's record
	// of a batch that had already run. TransportErrors are the transport
	// errors met, over all attempts: what each retry answered.
	Resends int `json:"resends,omitempty"`
	// Sends is how many batches the cell's attempts sent in all, resends,
	// reconciliations and remediation included.
	Sends           int      `json:"sends,omitempty"`
	Replayed        int      `json:"replayed,omitempty"`
	TransportErrors []string `json:"transport_errors,omitempty"`
	// Reconciled says how the host was brought back after an
	// infrastructure error (the journal's undo read back, reverted and
	// compared with the baseline), or why it was quarantined.
	Reconciled []string `json:"reconciled,omitempty"`

	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`

	// StateBefore and StateAfter are what the faults touch, before the
	// faults and after the revert (sorted "key = value" lines).
	StateBefore []string `json:"state_before,omitempty"`
	StateAfter  []string `json:"state_after,omitempty"`
	// BackToBaseline is false when the revert left a difference.
	BackToBaseline bool `json:"back_to_baseline"`

	// Revert is how the host was returned to its clean state around this
	// cell: by the journal's undo, or by its snapshot, why, and how long
	// the snapshot revert took.
	Revert *RevertNote `json:"revert,omitempty"`

	// Remediation is lifecycle steps 6 and 7 (nil when they did not run:
	// a control cell, or a failure that was not reproduced).
	Remediation *Remediation `json:"remediation,omitempty"`

	Record Record `json:"record"`
	// Evidence is the cell's evidence bundle directory, relative to the output directory.
	Evidence string `json:"evidence,omitempty"`
}

// Expected is the expectation after overrides, as checked.
type Expected struct {
	ExitCode int      `json:"exit_code"`
	Messages []int    `json:"messages,omitempty"`
	Log      []string `json:"log,omitempty"`
	NotLog   []string `json:"not_log,omitempty"`
	Events   []int    `json:"events,omitempty"`
	NoEvents bool     `json:"no_events,omitempty"`
	Override string   `json:"override,omitempty"` // the override's reason, when one applied
}

// Observed is what the install produced.
type Observed struct {
	ExitCode int    `json:"exit_code"`
	Messages []int  `json:"messages,omitempty"` // message numbers read from the log, in order
	Events   []int  `json:"events,omitempty"`   // MsiInstaller event IDs, in order
	Log      string `json:"-"`                  // in the evidence bundle (msiexec.log), not in results.jsonl
	// LogLines are the log lines that matched the expectation's signature.
	LogLines []string `json:"log_lines,omitempty"`
	// RebootRequired is true when the run succeeded and a restart is due
	// (exit 3010 or 1641; msiexec ran with /norestart, so none was made).
	RebootRequired bool        `json:"reboot_required,omitempty"`
	Run            *ops.MsiRun `json:"-"`
}

// Check is one of the independent signals.
type Check struct {
	Name string `json:"name"` // exit_code, messages, log, not_log, events
	OK   bool   `json:"ok"`
	Want string `json:"want"`
	Got  string `json:"got"`
}

// FaultNote is a fault as injected in the cell.
type FaultNote struct {
	Type   string `json:"type"`
	Params string `json:"params"`
}

// Record is what the cell needs to be repeated.
type Record struct {
	ScenarioFile   string `json:"scenario_file"`
	ScenarioSHA256 string `json:"scenario_sha256"`
	Package        string `json:"package"`
	PackageSHA256  string `json:"package_sha256"`
	ProductCode    string `json:"product_code"`
	OSBuild        string `json:"os_build"`
	MsiVersion     string `json:"msi_version"`
	Snapshot       string `json:"snapshot"`
	ToolVersion    string `json:"tool_version"`
	// ModuleSHA256 is the hash of the op module (MsiLab.psm1) the cell used.
	ModuleSHA256 string `json:"module_sha256"`
	// Batches are the exact op batches sent, in order.
	Batches [][]ops.Op `json:"batches"`
}

// Remediation is what diagnosing and fixing the host did, and the proof of
// recovery: the install rerun, and the host back to its baseline apart
// from the installed product.
type Remediation struct {
	Findings []Finding `json:"findings"`
	Fixes    []Fix     `json:"fixes"`
	// RunAs is the context the install was rerun in when a fix changed how
	// the install runs (e.g. admin-elevated), "" otherwise.
	RunAs string `json:"run_as,omitempty"`
	// NotApplicable says why no host fix applies (a package problem, such
	// as a failing custom action); the cell is not failed for it, and it
	// is not recovered either: nothing was fixed and nothing rerun.
	NotApplicable string `json:"not_applicable,omitempty"`
	// Rerun is the install after the fixes.
	Rerun *Observed `json:"rerun,omitempty"`
	// Recovered is true when the rerun succeeded and the host is back to its
	// baseline apart from the product, with no right broader than the default.
	// It is never true when NotApplicable is set. Outcome sums it up with
	// NotApplicable and OverBroad, and is what reports read.
	Recovered bool   `json:"recovered"`
	Reason    string `json:"reason,omitempty"`
	// StateBefore is the host before the fault; StateAfter after the fixes
	// and the rerun (what the remediation engine reads, sorted lines).
	StateBefore []string `json:"state_before,omitempty"`
	StateAfter  []string `json:"state_after,omitempty"`
	// OverBroad lists rights broader than the OS profile's defaults.
	OverBroad []string `json:"over_broad,omitempty"`
	Commands  int      `json:"commands"`
}

// Remediation outcomes: what a remediation came to, one of four. Every
// report (results.jsonl's "outcome", JUnit, Markdown, HTML) names a
// remediation by Remediation.Outcome.
const (
	// OutcomeRecovered: the fixes verified, the rerun succeeded and the host
	// is back to its baseline apart from the product.
	OutcomeRecovered = "recovered"
	// OutcomeNotApplicable: no host fix applies (the package itself fails,
	// the logon is refused, the source is gone): the cause says why. Not
	// recovered, and not a failure of the cell.
	OutcomeNotApplicable = "not-applicable"
	// OutcomeOverBroad: a fix left a right broader than the OS default.
	OutcomeOverBroad = "over-broad"
	// OutcomeNotRecovered: a fix or the rerun failed.
	OutcomeNotRecovered = "not-recovered"
)

// Outcome is what the remediation came to ("" for none). A package
// failure no host fix addresses is OutcomeNotApplicable whatever Recovered
// says (results.jsonl files written before Recovered was kept false for it
// say "recovered": true).
func (r *Remediation) Outcome() string {
	switch {
	case r == nil:
		return ""
	case r.NotApplicable != "":
		return OutcomeNotApplicable
	case r.Recovered:
		return OutcomeRecovered
	case len(r.OverBroad) > 0:
		return OutcomeOverBroad
	}
	return OutcomeNotRecovered
}

// MarshalJSON writes the remediation with its Outcome as "outcome" (read
// back, it is ignored: Outcome derives it again).
func (r Remediation) MarshalJSON() ([]byte, error) {
	type plain Remediation // without this method
	return json.Marshal(struct {
		Outcome string `json:"outcome"`
		plain
	}{r.Outcome(), plain(r)})
}

// Finding is a cause the remediation engine found.
type Finding struct {
	ID         string   `json:"id"`
	Summary    string   `json:"summary"`
	Confidence float64  `json:"confidence"`
	Evidence   []string `json:"evidence,omitempty"`
	Scenario   string   `json:"scenario,omitempty"`
}

// Fix is a fix as applied.
type Fix struct {
	Name       string `json:"name"`
	Finding    string `json:"finding"`
	Risk       string `json:"risk"`
	Verified   bool   `json:"verified"`
	RolledBack bool   `json:"rolled_back,omitempty"`
	// PowerShell is exactly what the fix runs on a real host.
	PowerShell string `json:"powershell"`
	Note       string `json:"note,omitempty"`
	RunAs      string `json:"run_as,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Ways a host was returned to its clean state (RevertNote.How).
const (
	RevertJournal  = "journal"
	RevertSnapshot = "snapshot"
)

// RevertNote records how a cell's host was reverted.
type RevertNote struct {
	// Policy is the run's --revert policy (journal, snapshot or auto).
	Policy string `json:"policy"`
	// How is journal (the undo batch, checked by the baseline) or
	// snapshot (the host's snapshot driver).
	How string `json:"how"`
	// Why says what made a snapshot revert happen (or why it could not).
	Why string `json:"why,omitempty"`
	// Snapshot is driver:name; Took is the revert's whole duration
	// (revert, power on, WinRM ready), Detail its parts.
	Snapshot string        `json:"snapshot,omitempty"`
	Took     time.Duration `json:"took_ns,omitempty"`
	Detail   string        `json:"detail,omitempty"`
	// Error is a snapshot revert that failed.
	Error string `json:"error,omitempty"`
}
