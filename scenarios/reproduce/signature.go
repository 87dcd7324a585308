package reproduce

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// SigLine is a line of a log's signature: what is compared between the
// input and the reproduction. Args are normalised (see Normaliser).
type SigLine struct {
	N    int      `json:"n,omitempty"`
	Side string   `json:"side,omitempty"`
	Kind string   `json:"kind"`
	What string   `json:"what"` // the message or note number, fact or action
	Args []string `json:"args,omitempty"`
	Text string   `json:"text"`
	// Event is the MsiInstaller event the line came from (0: the log).
	Event int `json:"event,omitempty"`
}

// key is what two lines must share to match.
func (s SigLine) key() string { return s.base() + "(" + strings.Join(s.Args, " | ") + ")" }

// base is the line's kind and number (or fact, or action) without arguments.
func (s SigLine) base() string { return s.Kind + " " + s.What }

// Words is the line as the comparison prints it.
func (s SigLine) Words() string {
	side := ""
	if s.Side != "" {
		side = "(" + s.Side + ") "
	}
	if len(s.Args) == 0 {
		return side + s.base()
	}
	return side + s.base() + ": " + strings.Join(s.Args, " | ")
}

// signatureFacts are the facts a failure's signature holds.
var signatureFacts = []string{msilog.FactConnectFailed, msilog.FactMutexFailed, msilog.FactServerReturn, msilog.FactCannotOpen,
	msilog.FactRejecting, msilog.FactLUADisabled, msilog.FactServiceStart, msilog.FactSourceMgmt}

// negativeControl reports a line healthy logs have too (the negative
// controls the diagnosis never reads alone): it is left out of
// signatures, never compared.
func negativeControl(l msilog.Line) bool {
	switch {
	case l.Kind == msilog.KindCustomAction && l.Fact == msilog.FactCAReturned:
		return l.Arg(1) == "continue" || l.Num == 0
	case l.Kind != msilog.KindNote:
		return false
	case l.Num == 2205 || l.Num == 2228 || l.Num == 1402:
		return true
	case l.Num == 2203 && strings.HasSuffix(strings.ToLower(l.Arg(0)), ".ipi") && l.Arg(1) == "-2147287038":
		return true
	case l.Num == 2265 && l.Arg(2) == "-2147287035" || l.Num == 2265 && l.Arg(1) == "-2147287035":
		return true
	}
	return false
}

// Signature is a log's signature lines (the log's own, then its events'),
// normalised by n, and how many negative-control lines were left out.
func Signature(lg *msilog.Log, n *Normaliser) (lines []SigLine, left int) {
	for _, l := range lg.Lines {
		if negativeControl(l) {
			left++
			continue
		}
		s, ok := sigLine(l, n)
		if ok {
			lines = append(lines, s)
		}
	}
	return lines, left
}

func sigLine(l msilog.Line, n *Normaliser) (SigLine, bool) {
	s := SigLine{N: l.N, Side: l.Side, Kind: string(l.Kind), Text: strings.TrimSpace(l.Text), Event: l.Event}
	args := l.Args
	switch {
	case l.Kind == msilog.KindNote:
		s.What = strconv.Itoa(l.Num)
	case l.Kind == msilog.KindMessage && l.Num > 0:
		s.What = strconv.Itoa(l.Num)
		if l.Fact == msilog.FactInternal {
			args = nil // the internal error's arguments are the note's
		}
	case l.Kind == msilog.KindActionEnd && l.Num == 3:
		s.What, args = n.action(l.Name)+" return value 3", nil
	case l.Kind == msilog.KindCustomAction && l.Fact == msilog.FactCAReturned:
		s.What, args = n.action(l.Name)+" returned", []string{l.Arg(0)}
	case l.Kind == msilog.KindFact && slices.Contains(signatureFacts, l.Fact):
		s.What = l.Fact
	case l.Kind == msilog.KindPolicy && l.Arg(0) != "0":
		// A policy that is set (DisableMsi 1 or 2, AlwaysInstallElevated 1);
		// "is 0" is every healthy log's.
		s.What, args = l.Arg(1)+" policy "+l.Name, []string{l.Arg(0)}
	default:
		return s, false
	}
	for i, a := range args {
		s.Args = append(s.Args, n.arg(l, i, a))
	}
	for len(s.Args) > 0 && s.Args[len(s.Args)-1] == "" {
		s.Args = s.Args[:len(s.Args)-1] // "4: " at a note's end
	}
	return s, true
}

// Normaliser turns what differs between any two hosts and packages into
// placeholders, and counts what it replaced, to say so.
type Normaliser struct {
	// actions are the log's custom action names.
	actions map[string]bool
	// systemDrive is the log's system drive ("C:").
	systemDrive string
	// Done counts each rule that replaced something.
	Done map[string]int
}

// Normalisation rules, in the order they apply.
var normRules = []struct {
	name string
	re   *regexp.Regexp
	to   string
}{
	{"GUIDs as {GUID}", regexp.MustCompile(`\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}`), "{GUID}"},
	{`cached package names in %WINDIR%\Installer as <cached>.msi`, regexp.MustCompile(`(?i)[a-z]:\\windows\\installer\\[0-9a-f]{1,8}\.(msi|msp)`), `%WINDIR%\Installer\<cached>.$1`},
	{"the package's path and file name as <package>.msi", regexp.MustCompile(`(?i)(?:[a-z]:\\(?:[^\\:*?"<>|,;]+\\)*)?[A-Za-z0-9_.-]+\.msi\b`), `<package>.msi`},
	{`the Windows folder (any system drive) as %WINDIR%`, regexp.MustCompile(`(?i)[a-z]:\\windows\b`), `%WINDIR%`},
	{`user profile folders (C:\Users\<name>) as %USERPROFILE%`, regexp.MustCompile(`(?i)[a-z]:\\users\\[^\\\s]+`), `%USERPROFILE%`},
	{`the install folder under Program Files as %ProgramFiles%\<product folder>`, regexp.MustCompile(`(?i)[a-z]:\\program files(?: \(x86\))?\\[^,;'"]*[^,;'"\s.\\]\\?`), `%ProgramFiles%\<product folder>`},
	{"temporary file names (MSIxxxx.tmp) as MSI<n>.tmp", regexp.MustCompile(`(?i)\bMSI[0-9a-f]{1,8}\.(tmp|log)\b`), `MSI<n>.$1`},
	{"user SIDs' domain part as S-1-5-21-<domain>-RID", regexp.MustCompile(`S-1-5-21-\d+-\d+-\d+-(\d+)`), `S-1-5-21-<domain>-$1`},
	{"the system drive's other paths as %SystemDrive%", regexp.MustCompile(`(?i)\b[a-z]:\\`), ``}, // applied by driveRule
}

var trySource = regexp.MustCompile(`(?i)^(Trying source ).+$`)

// NewNormaliser reads what it needs of a log: its custom action names
// and its system drive.
func NewNormaliser(lg *msilog.Log) *Normaliser {
	n := &Normaliser{actions: map[string]bool{}, systemDrive: "C:", Done: map[string]int{}}
	for _, l := range lg.Lines {
		switch {
		case l.Kind == msilog.KindCustomAction && l.Fact == msilog.FactCAReturned:
			n.actions[l.Name] = true
		case (l.Kind == msilog.KindMessage || l.Kind == msilog.KindNote) && l.Num >= 1720 && l.Num <= 1723 && l.Arg(0) != "":
			n.actions[l.Arg(0)] = true
		}
	}
	if d := systemDrive(lg); d != "" {
		n.systemDrive = d
	}
	return n
}

// action is an action's name, a custom action's as <custom action>.
func (n *Normaliser) action(name string) string {
	if n.actions[name] {
		n.Done["custom action names as <custom action>"]++
		return "<custom action>"
	}
	return name
}

// arg normalises argument i of l.
func (n *Normaliser) arg(l msilog.Line, i int, a string) string {
	if (l.Kind == msilog.KindMessage || l.Kind == msilog.KindNote) && l.Num >= 1720 && l.Num <= 1723 {
		// [2] action, [3] its program or DLL, [4] its command line or entry: the package's own.
		switch i {
		case 0:
			return n.action(a)
		case 2:
			if a != "" {
				n.Done["a custom action's command line or entry point as <command>"]++
				return "<command>"
			}
		}
	}
	a = strings.TrimSpace(a)
	if l.Kind == msilog.KindFact && l.Fact == msilog.FactSourceMgmt {
		// The source folder is where the package was installed from.
		if b := trySource.ReplaceAllString(a, "${1}<source folder>"); b != a {
			n.Done["the install source's folder as <source folder>"]++
			a = b
		}
	}
	for _, r := range normRules {
		if r.to == "" {
			a = n.driveRule(r.re, a, r.name)
			continue
		}
		b := r.re.ReplaceAllString(a, r.to)
		if b != a {
			n.Done[r.name]++
			a = b
		}
	}
	return a
}

func (n *Normaliser) driveRule(re *regexp.Regexp, a, name string) string {
	return re.ReplaceAllStringFunc(a, func(m string) string {
		if strings.EqualFold(m[:2], n.systemDrive) {
			n.Done[name]++
			return `%SystemDrive%\`
		}
		return m
	})
}

// Normalised lists the rules that replaced something, with their counts.
func (n *Normaliser) Normalised() []string {
	var out []string
	for k, v := range n.Done {
		out = append(out, fmt.Sprintf("%s (%d)", k, v))
	}
	sort.Strings(out)
	return out
}

// systemDrive is the log's system drive: WindowsVolume or WindowsFolder
// in its property dump, else the drive of a \Windows\ path ("" unknown).
func systemDrive(lg *msilog.Log) string {
	for _, l := range lg.Lines {
		if l.Kind == msilog.KindProperty && (strings.EqualFold(l.Name, "WindowsVolume") || strings.EqualFold(l.Name, "WindowsFolder")) && len(l.Arg(0)) >= 2 && l.Arg(0)[1] == ':' {
			return strings.ToUpper(l.Arg(0)[:2])
		}
	}
	re := regexp.MustCompile(`(?i)\b([a-z]:)\\windows\\`)
	for _, l := range lg.Lines {
		if m := re.FindStringSubmatch(l.Text); m != nil {
			return strings.ToUpper(m[1])
		}
	}
	return ""
}

// eventIDs are the MsiInstaller event IDs an input shows, in order.
func eventIDs(lg *msilog.Log) []int {
	var out []int
	for _, l := range lg.Lines {
		if l.Kind == msilog.KindEvent && (l.Name == "Event ID" || l.Name == "Id") && l.Event > 0 {
			out = append(out, l.Event)
		}
	}
	return out
}

// eventsLog parses a run's events as an input of events would show them.
func eventsLog(events []ops.Event) *msilog.Log {
	lg := &msilog.Log{}
	for _, e := range events {
		for _, l := range msilog.ParseString(e.Message).Lines {
			l.N, l.Event = 0, e.EventID
			lg.Lines = append(lg.Lines, l)
		}
	}
	return lg
}
