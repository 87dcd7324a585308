package results

// Calibration is one cell run on a lab host and on a simulated host of the
// same OS profile (msilab run --calibrate): whether they agree on the exit
// code, the message sequence, the log's signature lines and the events,
// and the simulated engine's rules that decided the simulated outcome.
type Calibration struct {
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	OS       string `json:"os"`
	Context  string `json:"context"`
	// Host is the lab host, SimHost the simulated one.
	Host    string `json:"host"`
	SimHost string `json:"sim_host"`
	// Compared is false when a side has no outcome to compare (an
	// infrastructure error, a skipped cell): Note says why.
	Compared bool   `json:"compared"`
	Agree    bool   `json:"agree"`
	Note     string `json:"note,omitempty"`
	// Differences are the signals the two disagree on.
	Differences []Difference `json:"differences,omitempty"`
	// Rules are the simulated engine's rules that decided the simulated
	// cell's install, with their evidence labels. HostRules are the lab
	// host's, when it is itself a simulated host (none from real Windows).
	Rules     []RuleRef `json:"rules,omitempty"`
	HostRules []RuleRef `json:"host_rules,omitempty"`
}

// Calibration signals (Difference.Signal).
const (
	SignalExitCode = "exit_code"
	SignalMessages = "messages"
	SignalLog      = "log"
	SignalEvents   = "events"
)

// Difference is one signal the lab host and the simulator disagree on.
type Difference struct {
	Signal string `json:"signal"`
	Host   string `json:"host"`
	Sim    string `json:"sim"`
}

// RuleRef is a rule of the simulated Windows Installer, with its evidence
// label (D, R, G) and its row of docs/evidence.md.
type RuleRef struct {
	ID      string `json:"id"`
	Label   string `json:"label"`
	Sources string `json:"sources,omitempty"`
}
