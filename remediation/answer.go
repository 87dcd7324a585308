package remediation

import (
	"fmt"
	"slices"

	"github.com/msilab/msilab/msilog"
)

// AnswerThreshold is the confidence a finding needs to be an answer;
// below it a finding is a candidate only (never named as the cause).
const AnswerThreshold = 0.5

// Verdicts of an Answer.
const (
	VerdictCause        = "cause"                 // one cause, its evidence quoted
	VerdictCandidates   = "candidates"            // several causes the input cannot tell apart
	VerdictInsufficient = "insufficient-evidence" // numbers found, no cause supported
	VerdictNoFailure    = "no-failure"            // the input shows a success and no error
	VerdictNotMSI       = "not-msi"               // not a Windows Installer log
	VerdictEmpty        = "empty"
)

// Answer is a diagnosis of one input, for people and for --format json.
type Answer struct {
	Input   InputSummary `json:"input"`
	Verdict string       `json:"verdict"`
	// Findings are at AnswerThreshold or above, highest first.
	Findings []Finding `json:"findings"`
	// Candidates are below it: named with their evidence, not as the cause.
	Candidates []Finding `json:"candidates,omitempty"`
	// Numbers are the message and exit numbers the input shows, with
	// their documented meanings (always given; the whole answer when the
	// verdict is insufficient-evidence).
	Numbers []NumberFound `json:"numbers,omitempty"`
	// Collect says what to collect next.
	Collect []string `json:"collect,omitempty"`
	// Why explains a not-msi or empty verdict.
	Why string `json:"why,omitempty"`
}

// InputSummary is what the input was read as.
type InputSummary struct {
	Form        msilog.Form     `json:"form"`
	Encoding    msilog.Encoding `json:"encoding"`
	CRLF        bool            `json:"crlf"`
	Lines       int             `json:"lines"`
	Parts       int             `json:"parts"`
	NewestFirst bool            `json:"newest_first,omitempty"`
	// Exit is msiexec's exit code as the input states it (-1: it does not)
	// and ExitLine the line that says so (0: none).
	Exit     int `json:"exit"`
	ExitLine int `json:"exit_line,omitempty"`
}

// NumberFound is a number the input shows.
type NumberFound struct {
	// Kind is "message" or "exit".
	Kind    string `json:"kind"`
	Num     int    `json:"num"`
	Meaning string `json:"meaning"`
	Line    int    `json:"line"`
	Text    string `json:"text"`
}

// Explain diagnoses a parsed input (st nil: the input alone; exit < 0:
// the exit code the input states).
func Explain(log *msilog.Log, st *HostState, exit int, context string) Answer {
	in := newInput(log, exit, nil)
	a := Answer{Input: InputSummary{Form: log.Form, Encoding: log.Encoding, CRLF: log.CRLF, Lines: log.Total, Parts: log.Parts,
		NewestFirst: log.NewestFirst, Exit: in.Exit, ExitLine: in.ExitLine.N}, Findings: []Finding{}}
	switch log.Form {
	case msilog.FormNotMSI:
		a.Verdict, a.Why = VerdictNotMSI, log.Why
		if st == nil {
			return a
		}
	case msilog.FormEmpty:
		a.Verdict, a.Why = VerdictEmpty, "the input is empty: a failed install whose verbose log stays empty usually never reached the Windows Installer service (exit 1601)"
		a.Collect = []string{"run msilab diagnose --host with the endpoint flags to read the service's state"}
		if st == nil {
			return a
		}
	}
	if context == "" && st != nil {
		context = st.Target.Context
	}
	all := diagnose(st, in, context)
	for _, f := range all {
		if f.Confidence >= AnswerThreshold {
			a.Findings = append(a.Findings, f)
		} else {
			a.Candidates = append(a.Candidates, f)
		}
	}
	a.Numbers = numbersFound(log, in)
	switch {
	case a.Verdict != "":
	case len(a.Findings) > 1 && a.Findings[0].Confidence-a.Findings[1].Confidence < 0.1:
		a.Verdict = VerdictCandidates
		a.Collect = append(a.Collect, "what tells them apart is listed under each; run msilab diagnose --host with the endpoint flags where it is the host's state")
	case len(a.Findings) > 0:
		a.Verdict = VerdictCause
	case in.ExitIs(0, 3010) && !hasErrors(log):
		a.Verdict = VerdictNoFailure
	default:
		a.Verdict = VerdictInsufficient
		a.Collect = append(a.Collect, collectNext(log, in, st)...)
	}
	return a
}

// hasErrors reports an error message (not a note) in the input.
func hasErrors(log *msilog.Log) bool {
	return slices.ContainsFunc(log.Lines, func(l msilog.Line) bool {
		return l.Kind == msilog.KindMessage || l.Kind == msilog.KindActionEnd && l.Num == 3
	})
}

func numbersFound(log *msilog.Log, in *Input) []NumberFound {
	var out []NumberFound
	seen := map[int]bool{}
	for _, l := range log.Lines {
		if (l.Kind != msilog.KindNote && l.Kind != msilog.KindMessage) || l.Num == 0 || seen[l.Num] {
			continue
		}
		seen[l.Num] = true
		out = append(out, NumberFound{Kind: "message", Num: l.Num, Meaning: msilog.Describe(l), Line: l.N, Text: l.Text})
	}
	if in.Exit >= 0 {
		m := msilog.ExitMeaning(in.Exit)
		if m == "" {
			m = "not in msilab's table: see MsiExec.exe and InstMsi.exe Error Messages"
		}
		out = append(out, NumberFound{Kind: "exit", Num: in.Exit, Meaning: fmt.Sprintf("exit code %d: %s", in.Exit, m), Line: in.ExitLine.N, Text: in.ExitLine.Text})
	}
	return out
}

// collectNext says what would let a cause be named.
func collectNext(log *msilog.Log, in *Input, st *HostState) []string {
	var out []string
	switch {
	case log.Form.Events(), log.Form == msilog.FormDialog:
		out = append(out, "the verbose log of the same install: rerun it with msiexec /i package.msi /L*v install.log (events and dialogs carry the message, not its cause)")
	case log.Form == msilog.FormNonVerbose:
		out = append(out, "a verbose log: rerun with /L*v instead of /L (a non-verbose log leaves out the notes that name a cause)")
	case log.Form == msilog.FormExcerpt || log.Form == msilog.FormExcerpts:
		out = append(out, "the lines above the first 'Return value 3' (the action that failed and its notes), or the whole log")
	}
	if in.Has(ActionEnd("", 3)) {
		out = append(out, "the 20 to 50 lines above the first 'Return value 3': the failing action's own error is there")
	}
	if st == nil {
		out = append(out, "the host's state: msilab diagnose --host with the endpoint flags (and --log)")
	}
	out = append(out, "the MsiInstaller events of the Application log at the time of the failure (Get-WinEvent -ProviderName MsiInstaller -MaxEvents 20)")
	return out
}
