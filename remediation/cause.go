package remediation

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// A cause is one file, remediation/cause_<id>.go, registered in init with
// RegisterCause: what it is (summary, evidence label and sources), its
// log signature (typed matchers over a parsed log, msilog), the host
// probes it reads and its condition over them, what rules it out, its
// fixes in order, and the built-in scenario that reproduces it (or why
// none does yet). The engine (diagnose.go) knows no cause by name.

// Cause describes one cause of a failed install.
type Cause struct {
	ID      string
	Summary string
	// Label is the evidence label: D (documented by Microsoft), R
	// (publicly reported), G (our inference), or a mix ("R, details G").
	Label string
	// Sources are docs/evidence.md rows and public pages.
	Sources []string
	// Scenario is the built-in scenario that reproduces it; NoScenario
	// says why there is none yet (one of the two is set).
	Scenario, NoScenario string
	// Also are other built-in scenarios whose failure it explains first.
	Also []string
	// Fixes address it, in the order the engine tries them; NoFix says
	// why none on the host applies (when Fixes is empty).
	Fixes []string
	NoFix string
	// RuledOutBy says what rules it out, or tells it from its look-alikes.
	RuledOutBy string
	// Signature lists the log lines it reads, for the guide and
	// `msilab causes`; Log applies them.
	Signature []Sig
	// Log reads a run's evidence: nil when the signature is absent.
	Log func(in *Input) *LogVerdict
	// Probes are the reads Host needs: ProbeOps takes each once, and a
	// read HostState has no field for is decoded with HostState.Value.
	Probes func(t faults.Target) []ops.Op
	// RunProbes are reads that depend on the run's evidence (a folder a
	// message names): the engine takes them once the failed run is read,
	// each once, after ProbeOps, and again with every probe after a fix;
	// Host and the cause's fixes read them back with HostState.RunProbes
	// and HostState.Result.
	RunProbes func(t faults.Target, in *Input) []ops.Op
	// Host reads the probed state (nil: the host cannot show it).
	Host func(h *HostView) HostVerdict
	// Rank orders findings of equal confidence (lower first).
	Rank int
	// Security marks a finding that is not a failure cause.
	Security bool
}

// LogVerdict is what a cause's signature found in a run's evidence.
type LogVerdict struct {
	Confidence float64
	// Lines are the input's lines that carry the signature (quoted with
	// their numbers); Notes are words beside them.
	Lines []msilog.Line
	Notes []string
	// Scenario is a more precise built-in scenario ("" takes the cause's).
	Scenario string
	// NoHost: the host's state cannot confirm or refute this evidence.
	NoHost bool
	// RuledOut are competing causes this evidence rules out, with why.
	RuledOut []string
	// More are further verdicts of the same cause (another signature
	// that holds too): the finding takes the highest confidence.
	More []LogVerdict
}

// HostVerdict is what the probed state says of a cause.
type HostVerdict struct {
	// Run is +1 when the state confirms the run's evidence, -1 when it
	// was read and refutes it, 0 when it cannot tell.
	Run int
	// Holds is true while the cause is there (the engine fixes until it is not).
	Holds bool
	// Alone is the confidence the state gives without a run (0: not reported).
	Alone float64
	// Evidence are the probe values behind it; AloneEvidence those shown
	// when the state alone reports it (nil: Evidence).
	Evidence, AloneEvidence []string
	Scenario                string
}

// HostView is what a cause's Host reads.
type HostView struct {
	St      *HostState
	Sig     *hostSignals
	Context string
	// In is the run's evidence (nil without a run).
	In *Input
}

var causes = map[string]Cause{}

// RegisterCause adds a cause; it panics on a duplicate or incomplete one
// (a programming error, caught by every test run).
func RegisterCause(c Cause) {
	switch {
	case c.ID == "" || c.Summary == "" || c.Label == "" || len(c.Sources) == 0:
		panic("remediation: cause without ID, summary, label or sources: " + c.ID)
	case (c.Scenario == "") == (c.NoScenario == ""):
		panic("remediation: cause " + c.ID + ": exactly one of Scenario and NoScenario")
	case len(c.Fixes) == 0 && c.NoFix == "":
		panic("remediation: cause " + c.ID + ": no fixes and no NoFix reason")
	case c.Log == nil && c.Host == nil:
		panic("remediation: cause " + c.ID + ": neither a log signature nor a host condition")
	}
	if _, dup := causes[c.ID]; dup {
		panic("remediation: cause registered twice: " + c.ID)
	}
	causes[c.ID] = c
}

// Causes lists the registered causes by rank.
func Causes() []Cause {
	out := make([]Cause, 0, len(causes))
	for _, c := range causes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rank != out[j].Rank {
			return out[i].Rank < out[j].Rank
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// LookupCause returns a registered cause.
func LookupCause(id string) (Cause, bool) {
	c, ok := causes[id]
	return c, ok
}

// FindingInfo describes a finding ID (a cause).
type FindingInfo struct {
	ID      string
	Summary string
	// Scenario is the built-in scenario that reproduces it ("" if none).
	Scenario string
	Fixes    []string
	Also     []string
}

// LookupFinding returns a finding ID's description.
func LookupFinding(id string) (FindingInfo, bool) {
	c, ok := causes[id]
	if !ok {
		return FindingInfo{}, false
	}
	return c.info(), true
}

// Findings lists the finding IDs the engine knows, by rank.
func Findings() []FindingInfo {
	var out []FindingInfo
	for _, c := range Causes() {
		out = append(out, c.info())
	}
	return out
}

func (c Cause) info() FindingInfo {
	return FindingInfo{ID: c.ID, Summary: c.Summary, Scenario: c.Scenario, Fixes: slices.Clone(c.Fixes), Also: slices.Clone(c.Also)}
}

func findingRank(id string) int {
	if c, ok := causes[id]; ok {
		return c.Rank
	}
	return 1 << 20
}

// Input is a run's evidence as causes read it.
type Input struct {
	Log *msilog.Log
	// Exit is msiexec's exit code (-1: unknown); ExitLine the line that
	// states it (N 0 when it came with the run, not from its log).
	Exit     int
	ExitLine msilog.Line
	exitFrom string
	// Uninstall is true for a removal.
	Uninstall bool
	Context   string
	// State is the host's state (nil without the host).
	State *HostState
	// Empty: no log at all; HeaderOnly: only logging started/stopped lines.
	Empty, HeaderOnly bool
	// eventLines are the run's events (ops.Event) as lines (N 0).
	eventLines []msilog.Line
}

// newInput reads a run's evidence: exit < 0 when unknown (the log's own
// exit line then says it).
func newInput(log *msilog.Log, exit int, events []ops.Event) *Input {
	in := &Input{Log: log, Exit: exit}
	if exit >= 0 {
		in.exitFrom = fmt.Sprintf("exit code %d", exit)
		in.ExitLine = msilog.Line{Kind: msilog.KindStatus, Fact: msilog.FactExit, Num: exit, Text: in.exitFrom}
	} else if code, line, ok := log.Exit(); ok {
		in.Exit, in.ExitLine = code, line
		in.exitFrom = quote(line)
	}
	in.Uninstall = log.Uninstall()
	in.Empty = log.Form == msilog.FormEmpty
	in.HeaderOnly = !in.Empty && !log.Content()
	for _, e := range events {
		var status, internal bool
		for _, l := range msilog.ParseString(e.Message).Lines {
			l.N, l.Event = 0, e.EventID
			l.Text = fmt.Sprintf("event %d: %s", e.EventID, l.Text)
			in.eventLines = append(in.eventLines, l)
			status = status || l.Kind == msilog.KindStatus
			internal = internal || l.Kind == msilog.KindMessage && l.Num >= 2000 && l.Num < 3000
		}
		in.eventLines = append(in.eventLines, eventDataLines(e, status, internal)...)
	}
	return in
}

// eventDataLines are what an event's structured data says when its
// message text, localised on a non-English host, did not parse
// (docs/evidence.md#E-localized-events): 1033/1034's status and 10005's
// internal error.
func eventDataLines(e ops.Event, status, internal bool) []msilog.Line {
	var out []msilog.Line
	if n, ok := e.Status(); ok && !status {
		fact := msilog.FactStatus
		if e.EventID == ops.EventRemoved {
			fact = msilog.FactRemoval
		}
		out = append(out, msilog.Line{Kind: msilog.KindStatus, Fact: fact, Num: n, Event: e.EventID,
			Text: fmt.Sprintf("event %d: status %d (the event's data)", e.EventID, n)})
	}
	if n, ok := e.InternalError(); ok && !internal {
		out = append(out, msilog.Line{Kind: msilog.KindMessage, Num: n, Event: e.EventID,
			Text: fmt.Sprintf("event %d: internal error %d (the event's data)", e.EventID, n)})
	}
	return out
}

// quote is a line as evidence: "line N: text", or an event's or the
// run's own words (N 0).
func quote(l msilog.Line) string {
	if l.N == 0 {
		return l.Text
	}
	return l.Quote()
}

// lines are the log's lines then the run's events.
func (in *Input) lines() []msilog.Line {
	if len(in.eventLines) == 0 {
		return in.Log.Lines
	}
	return append(slices.Clone(in.Log.Lines), in.eventLines...)
}

// All returns the lines s matches, in order.
func (in *Input) All(s Sig) []msilog.Line {
	var out []msilog.Line
	for _, l := range in.lines() {
		if s.Match(l) {
			out = append(out, l)
		}
	}
	return out
}

// First returns the first line s matches.
func (in *Input) First(s Sig) (msilog.Line, bool) {
	for _, l := range in.lines() {
		if s.Match(l) {
			return l, true
		}
	}
	return msilog.Line{}, false
}

// Has reports a line s matches.
func (in *Input) Has(s Sig) bool { _, ok := in.First(s); return ok }

// Firsts returns the first line of each signature that matches.
func (in *Input) Firsts(sigs ...Sig) []msilog.Line {
	var out []msilog.Line
	for _, s := range sigs {
		if l, ok := in.First(s); ok {
			out = append(out, l)
		}
	}
	return out
}

// ExitIs reports a known exit code among codes.
func (in *Input) ExitIs(codes ...int) bool { return in.Exit >= 0 && slices.Contains(codes, in.Exit) }

// exitLines is the exit line when the exit code is known.
func (in *Input) exitLines() []msilog.Line {
	if in.Exit < 0 {
		return nil
	}
	return []msilog.Line{in.ExitLine}
}

// Sig is a typed matcher over a parsed line.
type Sig struct {
	Desc  string
	match func(msilog.Line) bool
}

// Match reports whether the line matches.
func (s Sig) Match(l msilog.Line) bool { return s.match(l) }

func (s Sig) String() string { return s.Desc }

// Arg tests argument i of a line.
type Arg struct {
	i    int
	desc string
	test func(string) bool
}

// ArgIs: argument i (0 is a note's "2:") equals v (case-insensitive).
func ArgIs(i int, v string) Arg {
	return Arg{i, fmt.Sprintf("%d: %s", i+2, v), func(a string) bool { return strings.EqualFold(a, v) }}
}

// ArgIn: argument i is one of vs.
func ArgIn(i int, vs ...string) Arg {
	return Arg{i, fmt.Sprintf("%d: one of %s", i+2, strings.Join(vs, ", ")), func(a string) bool {
		return slices.ContainsFunc(vs, func(v string) bool { return strings.EqualFold(a, v) })
	}}
}

// ArgPath: argument i is a Windows path under one of the folders
// (%WINDIR% and the profile forms accepted: see underFolder).
func ArgPath(i int, folder pathClass) Arg {
	return Arg{i, fmt.Sprintf("%d: a path under %s", i+2, folder.desc), func(a string) bool { return folder.test(a) }}
}

// ArgHas: argument i contains s (case-insensitive), e.g. a file name.
func ArgHas(i int, s string) Arg {
	return Arg{i, fmt.Sprintf("%d: contains %q", i+2, s), func(a string) bool { return strings.Contains(strings.ToLower(a), strings.ToLower(s)) }}
}

// ArgNot negates an argument test.
func ArgNot(a Arg) Arg {
	return Arg{a.i, "not " + a.desc, func(v string) bool { return !a.test(v) }}
}

func argsMatch(l msilog.Line, args []Arg) bool {
	for _, a := range args {
		if !a.test(l.Arg(a.i)) {
			return false
		}
	}
	return true
}

func argsDesc(args []Arg) string {
	if len(args) == 0 {
		return ""
	}
	var parts []string
	for _, a := range args {
		parts = append(parts, a.desc)
	}
	return " with " + strings.Join(parts, ", ")
}

// Note matches "Note: 1: num 2: …" with its arguments.
func Note(num int, args ...Arg) Sig {
	return Sig{fmt.Sprintf("Note: 1: %d%s", num, argsDesc(args)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindNote && l.Num == num && argsMatch(l, args)
	}}
}

// Msg matches message num however it is shown: "Error N.", "DEBUG: Error
// N:", an event's "Product: X -- Error N.", a dialog's text or "The error
// code is N." (args as the message's own: see msilog's messageArgs).
func Msg(num int, args ...Arg) Sig {
	return Sig{fmt.Sprintf("message %d%s", num, argsDesc(args)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindMessage && l.Num == num && argsMatch(l, args)
	}}
}

// Fact matches a known line without a number (msilog.Fact*).
func Fact(fact string, args ...Arg) Sig {
	return Sig{fmt.Sprintf("%s line%s", fact, argsDesc(args)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindFact && l.Fact == fact && argsMatch(l, args)
	}}
}

// CustomAction matches a custom action line of a kind (msilog.FactCA*).
func CustomAction(fact string, args ...Arg) Sig {
	return Sig{fmt.Sprintf("custom action %s line%s", fact, argsDesc(args)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindCustomAction && l.Fact == fact && argsMatch(l, args)
	}}
}

// Policy matches "Machine policy value 'name' is v" (v "" any).
func Policy(name, v string) Sig {
	return Sig{fmt.Sprintf("policy value %s is %s", name, orAny(v)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindPolicy && strings.EqualFold(l.Name, name) && (v == "" || l.Arg(0) == v)
	}}
}

// Property matches a property line (v "" any).
func Property(name, v string) Sig {
	return Sig{fmt.Sprintf("property %s = %s", name, orAny(v)), func(l msilog.Line) bool {
		return l.Kind == msilog.KindProperty && strings.EqualFold(l.Name, name) && (v == "" || l.Arg(0) == v)
	}}
}

// ActionEnd matches "Action ended T: name. Return value rv." (name "" any).
func ActionEnd(name string, rv int) Sig {
	return Sig{fmt.Sprintf("Action ended %s. Return value %d", orAny(name), rv), func(l msilog.Line) bool {
		return l.Kind == msilog.KindActionEnd && l.Num == rv && (name == "" || strings.EqualFold(l.Name, name))
	}}
}

// Exit matches a "MainEngineThread is returning code" line.
func Exit(code int) Sig {
	return Sig{fmt.Sprintf("MainEngineThread is returning %d", code), func(l msilog.Line) bool {
		return l.Kind == msilog.KindStatus && l.Fact == msilog.FactExit && l.Num == code
	}}
}

// Event matches a line of MsiInstaller event id.
func Event(id int) Sig {
	return Sig{fmt.Sprintf("event %d", id), func(l msilog.Line) bool { return l.Event == id && l.Kind != msilog.KindEvent }}
}

// anyLine matches every line.
var anyLine = Sig{"any line", func(msilog.Line) bool { return true }}

// Client and Server narrow a signature to one side of the log.
func Client(s Sig) Sig { return side("c", s) }
func Server(s Sig) Sig { return side("s", s) }

func side(sd string, s Sig) Sig {
	return Sig{fmt.Sprintf("(%s) %s", sd, s.Desc), func(l msilog.Line) bool { return l.Side == sd && s.match(l) }}
}

// AnyOf matches a line any of sigs match.
func AnyOf(sigs ...Sig) Sig {
	var ds []string
	for _, s := range sigs {
		ds = append(ds, s.Desc)
	}
	return Sig{strings.Join(ds, " or "), func(l msilog.Line) bool {
		return slices.ContainsFunc(sigs, func(s Sig) bool { return s.match(l) })
	}}
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}

// pathClass is a class of Windows paths a signature tells apart.
type pathClass struct {
	desc string
	test func(string) bool
}

// normPath lowercases a path and turns %WINDIR%/%SystemRoot% into C:\windows.
func normPath(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	for _, v := range []string{"%windir%", "%systemroot%"} {
		if strings.HasPrefix(p, v) {
			p = `c:\windows` + p[len(v):]
		}
	}
	return strings.ReplaceAll(p, "/", `\`)
}

// Path classes. A system drive other than C: is accepted (\Windows\ at the root).
var (
	InstallerFolder = pathClass{`%WINDIR%\Installer`, func(p string) bool {
		p = normPath(p)
		return len(p) > 2 && p[1] == ':' && (p[2:] == `\windows\installer` || strings.HasPrefix(p[2:], `\windows\installer\`))
	}}
	WindowsTemp = pathClass{`%WINDIR%\Temp`, func(p string) bool {
		p = normPath(p)
		return len(p) > 2 && p[1] == ':' && (p[2:] == `\windows\temp` || strings.HasPrefix(p[2:], `\windows\temp\`))
	}}
	UserTemp = pathClass{`a user's %TEMP% (…\AppData\Local\Temp)`, func(p string) bool {
		p = normPath(p)
		return strings.Contains(p, `\appdata\local\temp`) || strings.HasPrefix(p, `%temp%`) || strings.HasPrefix(p, `%tmp%`)
	}}
	ConfigMsi = pathClass{`a drive's Config.Msi`, func(p string) bool {
		p = normPath(p)
		return len(p) > 3 && p[1] == ':' && strings.HasPrefix(p[2:], `\config.msi`)
	}}
)
