package msilog

import (
	"regexp"
	"strings"
)

// Facts: known lines without a message number, and sub-forms of kinds.
const (
	// KindStatus facts.
	FactExit    = "exit"    // MainEngineThread is returning N
	FactStatus  = "status"  // Installation success or error status: N
	FactRemoval = "removal" // Removal success or error status: N
	FactFailed  = "failed"  // Product: X -- Installation failed. / operation failed
	// KindMessage facts.
	FactDebug    = "debug"    // DEBUG: Error N:
	FactError    = "error"    // Error N. (also "Product: X -- Error N.")
	FactInfo     = "info"     // Info N.
	FactInternal = "internal" // The installer has encountered an unexpected error … The error code is N.
	FactText     = "text"     // a message's text without its number (a dialog)
	// KindCustomAction facts.
	FactCAReturned = "returned"     // CustomAction X returned actual error code N (Args [N, continue?])
	FactCAInvoke   = "invoke"       // Invoking remote custom action. DLL: d, Entrypoint: e
	FactWixQuiet   = "wixquietexec" // WixQuietExec's own lines (Args [text])
	FactCAScript   = "script"       // a script custom action's error line
	// KindHeader facts.
	FactStarted = "started" // === Verbose logging started (Args [date, build, caller])
	FactStopped = "stopped"
	// KindFact facts.
	FactConnectFailed = "connect-failed"  // Failed to connect to server. Error: 0x… (Args [hresult])
	FactMutexFailed   = "mutex-failed"    // Failed to grab execution mutex. System error N.
	FactMutexGrabbed  = "mutex-grabbed"   // Grabbed execution mutex.
	FactRejecting     = "rejecting"       // Rejecting product 'p': reason (Args [p, reason])
	FactLUADisabled   = "lua-disabled"    // MSI_LUA: Elevation prompt disabled for silent installs
	FactElevated      = "elevated"        // Product installation will be elevated / with elevated privileges
	FactCannotOpen    = "cannot-open"     // The system cannot open the device or file specified.
	FactSourceMgmt    = "sourcemgmt"      // SOURCEMGMT: … (Args [text])
	FactServerReturn  = "server-returned" // Server returned unexpected error N attempting to install package p.
	FactRunScript     = "running-script"  // Running Script: path
	FactRunOnServer   = "run-on-server"   // Client-side and UI is none or basic: Running entire install on the server.
	FactServiceStart  = "service-start"   // the Service Control Manager's "The Windows Installer service failed to start…" (Args [what, reason])
)

var (
	// msiPrefix is "MSI (s) (A0:C8) [08:32:13:152]: " (a paste may put
	// "..." for the time, or text before it).
	msiPrefix   = regexp.MustCompile(`MSI \(([cs])\) \(([0-9A-Fa-f]{1,8})[:!]([0-9A-Fa-f]{1,8})\) (?:\[([0-9:]+)\]|[^:]*): ?`)
	notePat     = regexp.MustCompile(`^(?:1: )?Note: 1: (\d+) ?(.*)$|^1: (\d{4}) (2: .*)$`)
	noteArg     = regexp.MustCompile(`(?:^| )(\d{1,2}): `)
	debugErr    = regexp.MustCompile(`^DEBUG: Error (\d{4}):\s+(.*)$`)
	errorMsg    = regexp.MustCompile(`^(?:Product: (.*?) -- )?(Error|Info|Warning) (\d{4})\.\s*(.*)$`)
	internalMsg = regexp.MustCompile(`(?:^Product: (.*?) -- )?.*[Tt]he error code is (\d{4})\.(?: ?The arguments are: ?(.*))?$`)
	actionStart = regexp.MustCompile(`^Action start (\d+:\d\d:\d\d): (.+?)\.$`)
	actionEnd   = regexp.MustCompile(`^Action ended (\d+:\d\d:\d\d): (.+?)\. Return value (\d+)\.$`)
	doing       = regexp.MustCompile(`^Doing action: (.+)$`)
	propDump    = regexp.MustCompile(`^Property\(([CSN])\): ([^ =]+) = ?(.*)$`)
	propChange  = regexp.MustCompile(`^PROPERTY CHANGE: (?:Adding|Modifying) (\S+) property\..*?(?:Its value is|Its new value:) '(.*)'\.$`)
	policy      = regexp.MustCompile(`^(Machine|User) policy value '([^']+)' is (.*)$`)
	caReturned  = regexp.MustCompile(`^CustomAction (\S+) returned actual error code (-?\d+)(.*)$`)
	caInvoke    = regexp.MustCompile(`^Invoking remote custom action\. DLL: (.*?), Entrypoint: (\S+)`)
	wixQuiet    = regexp.MustCompile(`^(WixQuietExec(?:64)?):\s+(.*)$`)
	caScript    = regexp.MustCompile(`^(?:Error 1720\.|Microsoft VBScript|Microsoft JScript)`)
	exitLine    = regexp.MustCompile(`^MainEngineThread is returning (\d+)`)
	statusLine  = regexp.MustCompile(`(Installation|Removal|Configuration) success or error status: (\d+)`)
	failedLine  = regexp.MustCompile(`^Product: (.*?) -- (?:Installation|Removal|Configuration) (?:operation )?(?:failed|completed successfully)\.`)
	header      = regexp.MustCompile(`^=== (Verbose )?[Ll]ogging (started|stopped): ([^=]*?)(?:  Build type: (.*?)  Calling process: (.*?))? ===$`)
	connect     = regexp.MustCompile(`^Failed to connect to server\.(?: Error: (0x[0-9A-Fa-f]+|-?\d+))?`)
	mutexFailed = regexp.MustCompile(`^Failed to grab execution mutex\. System error (\d+)`)
	rejecting   = regexp.MustCompile(`^Rejecting product '([^']*)': (.*)$`)
	serverRet   = regexp.MustCompile(`^Server returned unexpected error (\d+) attempting to install package (.*?)\.?$`)
	sourcemgmt  = regexp.MustCompile(`^SOURCEMGMT: (.*)$`)
	// The Service Control Manager's events 7000, 7001, 7009, 7023 about msiserver.
	scmStart  = regexp.MustCompile(`^(?:A timeout was reached .* for )?[Tt]he Windows Installer service (failed to start|depends on .*? service which failed to start|terminated|to connect)[^:]*?(?:: ?(.*))?$`)
	runScript = regexp.MustCompile(`^Running Script: (.*)$`)
	// Messages 1721/1722: "Action X, location: L, command: C"; 1723: "Action X, entry: E, library: L".
	caMsgArgs  = regexp.MustCompile(`Action (\S+?), location: (.*?), command: (.*?)\s*$`)
	dllMsgArgs = regexp.MustCompile(`Action (\S+?), entry: (.*?), library: (.*?)\s*$`)
	// Paths and system errors of 1303, 1304, 1310, 1926.
	m1303 = regexp.MustCompile(`access this directory: (.*?)\.\s+The installation cannot continue`)
	m1310 = regexp.MustCompile(`Error writing to file: (.*?)\.\s+(?:System error (-?\d+)\.)?`)
	m1304 = regexp.MustCompile(`(?i)Error writing to file:? (.*?)\.\s+Verify`)
	m1926 = regexp.MustCompile(`Could not set file security for file '(.*?)'\. Error: (\d+)\.`)
	m1324 = regexp.MustCompile(`The folder path '(.*?)' contains an invalid character`)
	// pastePrefix is a tool's time stamp before a pasted line.
	pastePrefix = regexp.MustCompile(`^\d{1,2}:\d\d:\d\d(?: ?[AP]M)?: `)
	// separators a paste puts where it left lines out.
	separator = regexp.MustCompile(`^\s*(?:\.{3,}|…+|\[\.\.\.\]|\(\.\.\.\)|\[?snip\]?|<snip>|-{3,}\s*snip\s*-{3,}|\[…\])\s*$`)
	// event fields: Event Viewer's "Copy details as text", wevtutil /f:text, Get-WinEvent | Format-List.
	eventField  = regexp.MustCompile(`^\s*(Event\[\d+\]:|Log Name:|Source:|Date:|Event ID:|Task Category:|Task:|Level:|Opcode:|Keywords?:|User:|User Name:|Computer:|Description:|TimeCreated\s*:|ProviderName\s*:|Id\s*:|LevelDisplayName\s*:|Message\s*:|Event Xml:)\s*(.*)$`)
	winEventRow = regexp.MustCompile(`^(\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\s+\d{1,2}:\d\d(?::\d\d)?(?:\s*[AP]M)?)\s+(\d{3,5})\s+(Information|Warning|Error|Critical|Verbose)\s+(.*)$`)
	winEventHdr = regexp.MustCompile(`^\s*TimeCreated\s+Id\s+LevelDisplayName\s+Message\s*$|^\s*-{5,}\s+-{2}\s+-{5,}\s+-{5,}\s*$|^\s*ProviderName: MsiInstaller\s*$`)
	eventTime   = regexp.MustCompile(`(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})[ T]+(\d{1,2}):(\d\d)(?::(\d\d))?(?:[.:]\d+)?\s*([AP]M)?`)
)

// textMessages are messages a dialog shows without their number (D:
// "Windows Installer Error Messages"; 1639's is msiexec's usage text).
var textMessages = []struct {
	prefix string
	num    int
}{
	{"The Windows Installer Service could not be accessed.", 1719},
	{"The Windows Installer service could not be accessed.", 1719},
	{"Another installation is in progress. You must complete that installation before continuing this one.", 1500},
	{"This installation is forbidden by system policy.", 1625},
	{"This installation package could not be opened.", 1619},
	{"The installation source for this product is not available.", 1612},
	{"You do not have sufficient privileges to complete this installation for all users of the machine.", 1925},
	{"You must be an Administrator to remove this application.", 1730},
}

type parser struct {
	log *Log
	// event is the ID of the event being read (event forms), -1 none;
	// inEvent is true between an event's Description/Message and its next field.
	event       int
	inEvent     bool
	eventFields int  // event header fields seen
	wevtutil    bool // an Event[N]: line
	winEvent    bool // Get-WinEvent's table header, rows or list fields
	other       int  // non-blank lines that carry nothing known
	plainHeader bool // a "=== Logging started/stopped" header without "Verbose"
	lastTime    [2]int
	times       []int // event times in input order (seconds, for newest-first)
}

func (p *parser) add(l Line) { p.log.Lines = append(p.log.Lines, l) }

func (p *parser) line(n int, raw string) {
	text := strings.TrimRight(raw, " \t")
	t := strings.TrimSpace(text)
	if t == "" {
		return
	}
	// Quote marks, list bullets and a tool's own time stamp a paste adds
	// ("> 6:35:20 PM: CustomAction …", R: winget's validation comments).
	t = strings.TrimSpace(strings.TrimLeft(t, ">|"))
	if loc := pastePrefix.FindStringIndex(t); loc != nil && !strings.Contains(t, "MSI (") {
		t = t[loc[1]:]
	}
	if strings.ContainsAny(t[:1], ".…[(<-sS") && separator.MatchString(t) {
		p.add(Line{N: n, Text: text, Kind: KindSeparator})
		return
	}
	if p.eventLine(n, text, t) {
		return
	}
	l := Line{N: n, Text: text, Event: p.currentEvent()}
	body := t
	if i := strings.Index(t, "MSI ("); i >= 0 {
		if m := msiPrefix.FindStringSubmatchIndex(t[i:]); m != nil && m[0] == 0 {
			sub := func(k int) string {
				if m[2*k] < 0 {
					return ""
				}
				return t[i+m[2*k] : i+m[2*k+1]]
			}
			l.Side, l.PID, l.TID, l.Time = sub(1), strings.ToUpper(sub(2)), strings.ToUpper(sub(3)), sub(4)
			body = strings.TrimSpace(t[i+m[1]:])
			p.checkTime(l.Side, l.Time)
		}
	}
	if !classify(&l, body) {
		if l.Side != "" {
			l.Kind = KindFact // an MSI (x) line without a known shape: kept for the side
			l.Fact = ""
			p.add(l)
			return
		}
		p.other++
		return
	}
	p.add(l)
}

// checkTime counts a new part when a side's time goes back (a paste of
// two places of one log, the later first, or of two logs).
func (p *parser) checkTime(side, ts string) {
	parts := strings.Split(ts, ":")
	if len(parts) < 3 {
		return
	}
	sec := atoi(parts[0])*3600 + atoi(parts[1])*60 + atoi(parts[2])
	i := 0
	if side == "s" {
		i = 1
	}
	if p.lastTime[i] > 0 && sec+2 < p.lastTime[i] && p.lastTime[i]-sec < 20*3600 {
		p.log.Parts++
	}
	p.lastTime[i] = sec
}

func (p *parser) currentEvent() int {
	if p.inEvent {
		return p.event
	}
	return 0
}

// eventLine reads an event form's field or row; false for other lines.
func (p *parser) eventLine(n int, text, t string) bool {
	if strings.HasPrefix(t, "MSI (") || strings.HasPrefix(t, "Action ") || strings.HasPrefix(t, "Property(") {
		return false // the bulk of a verbose log
	}
	if (strings.HasPrefix(t, "TimeCreated") || strings.HasPrefix(t, "--") || strings.HasPrefix(t, "ProviderName")) && winEventHdr.MatchString(t) {
		p.winEvent = true
		p.add(Line{N: n, Text: text, Kind: KindEvent, Fact: "table"})
		return true
	}
	if t[0] >= '0' && t[0] <= '9' {
		if m := winEventRow.FindStringSubmatch(t); m != nil {
			return p.eventRow(n, text, m)
		}
	}
	if !strings.Contains(t, ":") || !eventFieldStart(t) {
		return false
	}
	return p.eventFieldLine(n, text)
}

// eventFieldStart reports a line that begins with an event field's name.
func eventFieldStart(t string) bool {
	for _, f := range eventFieldNames {
		if strings.HasPrefix(t, f) {
			return true
		}
	}
	return false
}

var eventFieldNames = []string{"Event[", "Log Name", "Source", "Date", "Event ID", "Task", "Level", "Opcode", "Keyword",
	"User", "Computer", "Description", "TimeCreated", "ProviderName", "Id", "LevelDisplayName", "Message", "Event Xml"}

// eventRow reads a row of Get-WinEvent's table.
func (p *parser) eventRow(n int, text string, m []string) bool {
	id := atoi(m[2])
	p.winEvent = true
	p.event, p.inEvent = id, true
	p.eventTime(m[1])
	p.add(Line{N: n, Text: text, Kind: KindEvent, Name: "Id", Args: []string{m[2]}, Event: id, Time: m[1]})
	l := Line{N: n, Text: text, Event: id}
	if classify(&l, strings.TrimSpace(m[4])) {
		p.add(l)
	}
	return true
}

// eventFieldLine reads an event field (Event Viewer, wevtutil, Format-List).

func (p *parser) eventFieldLine(n int, text string) bool {
	m := eventField.FindStringSubmatch(text)
	if m == nil {
		return false
	}
	field := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[1]), ":"))
	val := strings.TrimSpace(m[2])
	switch {
	case strings.HasPrefix(field, "Event["):
		p.wevtutil = true
		p.event, p.inEvent = -1, false
	case field == "TimeCreated" || field == "ProviderName" || field == "LevelDisplayName":
		p.winEvent = true
		if field == "TimeCreated" {
			p.event, p.inEvent = -1, false
			p.eventTime(val)
		}
	case field == "Log Name":
		p.event, p.inEvent = -1, false
	case field == "Date":
		p.eventTime(val)
	case field == "Event ID" || field == "Id":
		if field == "Id" && !p.winEvent {
			return false
		}
		p.event = atoi(val)
	case field == "Message" && !p.winEvent:
		probe := Line{}
		if val == "" || !classify(&probe, val) {
			return false
		}
		p.winEvent = true // Get-WinEvent | Format-List, pasted from its Message field
	}
	p.eventFields++
	p.add(Line{N: n, Text: text, Kind: KindEvent, Name: field, Args: []string{val}, Event: max(p.event, 0)})
	if field == "Description" || field == "Message" {
		p.inEvent = true
		if val != "" {
			l := Line{N: n, Text: text, Event: p.currentEvent()}
			if classify(&l, val) {
				p.add(l)
			}
		}
	} else if field == "Event Xml" {
		p.inEvent = false
	}
	return true
}

func (p *parser) eventTime(s string) {
	m := eventTime.FindStringSubmatch(s)
	if m == nil {
		return
	}
	a, b, c := atoi(m[1]), atoi(m[2]), atoi(m[3])
	y, mo, d := c, a, b // M/D/Y
	if a > 31 {
		y, mo, d = a, b, c // Y-M-D
	}
	h := atoi(m[4])
	if m[7] == "PM" && h < 12 {
		h += 12
	} else if m[7] == "AM" && h == 12 {
		h = 0
	}
	p.times = append(p.times, ((y*13+mo)*32+d)*86400+h*3600+atoi(m[5])*60+atoi(m[6]))
}

// classify reads a line's body (after any MSI (x) prefix) into l; false
// when it is none of the known shapes.
func classify(l *Line, body string) bool {
	switch {
	case strings.HasPrefix(body, "==="):
		if m := header.FindStringSubmatch(body); m != nil {
			l.Kind, l.Fact = KindHeader, FactStopped
			if m[2] == "started" {
				l.Fact = FactStarted
			}
			l.Name = strings.TrimSpace(m[1])
			l.Args = []string{strings.TrimSpace(m[3]), m[4], m[5]}
			return true
		}
	case strings.Contains(body, "Note: 1: ") || strings.HasPrefix(body, "1: "):
		if m := notePat.FindStringSubmatch(body); m != nil {
			num, rest := m[1], m[2]
			if num == "" {
				num, rest = m[3], m[4]
			}
			l.Kind, l.Num, l.Args = KindNote, atoi(num), noteArgs(rest)
			return true
		}
	}
	if body == "" {
		return false
	}
	if strings.HasPrefix(body, "DEBUG: Error ") {
		if m := debugErr.FindStringSubmatch(body); m != nil {
			l.Kind, l.Fact, l.Num = KindMessage, FactDebug, atoi(m[1])
			l.Args = messageArgs(l.Num, m[2])
			return true
		}
	}
	if !mayBeKnown(body) {
		return false
	}
	if m := debugErr.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Num = KindMessage, FactDebug, atoi(m[1])
		l.Args = messageArgs(l.Num, m[2])
		return true
	}
	if m := errorMsg.FindStringSubmatch(body); m != nil {
		l.Kind, l.Num = KindMessage, atoi(m[3])
		l.Fact = map[string]string{"Error": FactError, "Info": FactInfo, "Warning": FactInfo}[m[2]]
		l.Name = m[1] // the product, for "Product: X -- Error N."
		l.Args = messageArgs(l.Num, m[4])
		return true
	}
	if strings.Contains(body, "nexpected error") && strings.Contains(body, "rror code is") {
		m := internalMsg.FindStringSubmatch(body)
		if m != nil {
			l.Kind, l.Fact, l.Num, l.Name = KindMessage, FactInternal, atoi(m[2]), m[1]
			if m[3] != "" {
				for _, a := range strings.Split(m[3], ",") {
					l.Args = append(l.Args, strings.TrimSpace(a))
				}
			}
			return true
		}
	}
	if m := exitLine.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Num = KindStatus, FactExit, atoi(m[1])
		return true
	}
	if !strings.Contains(body, "success or error status") {
		// not a status line
	} else if m := statusLine.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Num = KindStatus, FactStatus, atoi(m[2])
		if m[1] == "Removal" {
			l.Fact = FactRemoval
		}
		return true
	}
	if m := failedLine.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Name = KindStatus, FactFailed, m[1]
		return true
	}
	if m := actionStart.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name = KindActionStart, m[2]
		return true
	}
	if m := actionEnd.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name, l.Num, l.Args = KindActionEnd, m[2], atoi(m[3]), []string{m[3]}
		return true
	}
	if m := doing.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name = KindDoing, strings.TrimSpace(m[1])
		return true
	}
	if m := propDump.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name, l.Args, l.Fact = KindProperty, m[2], []string{m[3]}, m[1]
		return true
	}
	if m := propChange.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name, l.Args = KindProperty, m[1], []string{m[2]}
		return true
	}
	if m := policy.FindStringSubmatch(body); m != nil {
		l.Kind, l.Name, l.Args = KindPolicy, m[2], []string{strings.TrimSpace(m[3]), strings.ToLower(m[1])}
		return true
	}
	if m := caReturned.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Name, l.Num = KindCustomAction, FactCAReturned, m[1], atoi(m[2])
		l.Args = []string{m[2]}
		if strings.Contains(m[3], "translated to success due to continue marking") {
			l.Args = append(l.Args, "continue")
		}
		return true
	}
	if m := caInvoke.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Name, l.Args = KindCustomAction, FactCAInvoke, m[2], []string{m[1]}
		return true
	}
	if m := wixQuiet.FindStringSubmatch(body); m != nil {
		l.Kind, l.Fact, l.Name, l.Args = KindCustomAction, FactWixQuiet, m[1], []string{m[2]}
		return true
	}
	if caScript.MatchString(body) {
		l.Kind, l.Fact, l.Args = KindCustomAction, FactCAScript, []string{body}
		return true
	}
	return classifyFact(l, body)
}

func classifyFact(l *Line, body string) bool {
	fact := func(f string, args ...string) bool {
		l.Kind, l.Fact, l.Args = KindFact, f, args
		return true
	}
	if m := connect.FindStringSubmatch(body); m != nil {
		return fact(FactConnectFailed, m[1])
	}
	if m := mutexFailed.FindStringSubmatch(body); m != nil {
		l.Num = atoi(m[1])
		return fact(FactMutexFailed, m[1])
	}
	if strings.HasPrefix(body, "Grabbed execution mutex") {
		return fact(FactMutexGrabbed)
	}
	if m := rejecting.FindStringSubmatch(body); m != nil {
		return fact(FactRejecting, m[1], m[2])
	}
	if strings.HasPrefix(body, "MSI_LUA: Elevation prompt disabled") {
		return fact(FactLUADisabled)
	}
	if strings.HasPrefix(body, "Product installation will be elevated") || strings.Contains(body, "with elevated privileges") {
		return fact(FactElevated)
	}
	if strings.HasPrefix(body, "The system cannot open the device or file specified") {
		return fact(FactCannotOpen)
	}
	if m := serverRet.FindStringSubmatch(body); m != nil {
		l.Num = atoi(m[1])
		return fact(FactServerReturn, m[1], m[2])
	}
	if m := scmStart.FindStringSubmatch(body); m != nil {
		return fact(FactServiceStart, m[1], strings.TrimSpace(m[2]))
	}
	if m := sourcemgmt.FindStringSubmatch(body); m != nil {
		return fact(FactSourceMgmt, m[1])
	}
	if m := runScript.FindStringSubmatch(body); m != nil {
		return fact(FactRunScript, m[1])
	}
	if strings.HasPrefix(body, "Client-side and UI is none or basic: Running entire install on the server") {
		return fact(FactRunOnServer)
	}
	for _, tm := range textMessages {
		if strings.HasPrefix(body, tm.prefix) {
			l.Kind, l.Fact, l.Num = KindMessage, FactText, tm.num
			return true
		}
	}
	if strings.HasPrefix(body, "Windows ® Installer. V ") || strings.HasPrefix(body, "Windows (R) Installer. V ") {
		l.Kind, l.Fact, l.Num = KindMessage, FactText, 1639 // msiexec's usage box: an invalid command line
		return true
	}
	return false
}

// noteArgs splits "2: a 3: b 4: " into [a, b, ""].
func noteArgs(rest string) []string {
	locs := noteArg.FindAllStringSubmatchIndex(rest, -1)
	var out []string
	want := 2
	for i, loc := range locs {
		if atoi(rest[loc[2]:loc[3]]) != want {
			continue // a "N: " inside an argument
		}
		want++
		end := len(rest)
		for _, next := range locs[i+1:] {
			if atoi(rest[next[2]:next[3]]) == want {
				end = next[0]
				break
			}
		}
		out = append(out, strings.TrimSpace(rest[loc[1]:end]))
	}
	return out
}

// messageArgs pulls the arguments of the messages whose text names them.
func messageArgs(num int, text string) []string {
	switch num {
	case 1721, 1722:
		if m := caMsgArgs.FindStringSubmatch(text); m != nil {
			return []string{m[1], m[2], m[3]}
		}
	case 1723:
		if m := dllMsgArgs.FindStringSubmatch(text); m != nil {
			return []string{m[1], m[2], m[3]}
		}
	case 1303:
		if m := m1303.FindStringSubmatch(text); m != nil {
			return []string{m[1]}
		}
	case 1310:
		if m := m1310.FindStringSubmatch(text); m != nil {
			return []string{m[1], m[2]}
		}
	case 1304:
		if m := m1304.FindStringSubmatch(text); m != nil {
			return []string{m[1]}
		}
	case 1926:
		if m := m1926.FindStringSubmatch(text); m != nil {
			return []string{m[1], m[2]}
		}
	case 2755:
		if m := serverRet.FindStringSubmatch(text); m != nil {
			return []string{m[1], m[2]}
		}
	case 1324:
		if m := m1324.FindStringSubmatch(text); m != nil {
			return []string{m[1]}
		}
	case 2203:
		if i := strings.Index(text, "Database: "); i >= 0 {
			rest := text[i+len("Database: "):]
			if j := strings.Index(rest, ". Cannot open database file. System error "); j >= 0 {
				return []string{rest[:j], strings.TrimSuffix(strings.TrimSpace(rest[j+len(". Cannot open database file. System error "):]), ".")}
			}
		}
	}
	return nil
}

// finish decides the input's form.
func (p *parser) finish() {
	lg := p.log
	var msi, hdrStart, hdrStop, logKinds, events, messages, separators, facts, scm int
	for _, l := range lg.Lines {
		switch {
		case l.Side != "":
			msi++
		case l.Kind == KindEvent:
			events++
		case l.Kind == KindSeparator:
			separators++
		}
		switch l.Kind {
		case KindHeader:
			if l.Fact == FactStarted {
				hdrStart++
			} else {
				hdrStop++
			}
			if l.Name == "" {
				p.plainHeader = true
			}
		case KindActionStart, KindActionEnd, KindProperty, KindCustomAction, KindNote, KindPolicy:
			logKinds++
		case KindFact:
			if l.Fact == FactServiceStart {
				scm++
			} else if l.Fact != "" {
				facts++
			}
		case KindMessage, KindStatus:
			if l.Event == 0 {
				messages++
			}
		}
	}
	if hdrStart > 1 {
		lg.Parts += hdrStart - 1
	}
	lg.Parts += separators
	verboseHdr := false
	for _, l := range lg.Lines {
		if l.Kind == KindHeader && l.Name == "Verbose" {
			verboseHdr = true
		}
	}
	switch {
	case len(lg.Lines) == 0 && p.other == 0:
		lg.Form = FormEmpty
	case msi > 0 || verboseHdr:
		first, last := lg.Lines[0], lg.Lines[len(lg.Lines)-1]
		whole := first.Kind == KindHeader && first.Fact == FactStarted && last.Kind == KindHeader && last.Fact == FactStopped
		switch {
		case lg.Parts > 1:
			lg.Form = FormExcerpts
		case whole:
			lg.Form = FormVerbose
		default:
			lg.Form = FormExcerpt
		}
	case p.wevtutil && events > 0:
		lg.Form = FormWevtutil
	case p.winEvent && events > 0:
		lg.Form = FormGetWinEvent
	case p.eventFields > 0:
		lg.Form = FormEventViewer
	case p.plainHeader:
		lg.Form = FormNonVerbose
	case logKinds > 0 || facts > 0:
		lg.Form = FormExcerpt // lines of a log without their MSI (x) prefix
	case p.productLines()+scm > 0:
		lg.Form = FormEventViewer // Event Viewer's General tab: the message text only
	case messages > 0:
		lg.Form = FormDialog
	default:
		lg.Form = FormNotMSI
		lg.Why = "none of its lines is a Windows Installer log line (no MSI (c)/(s) line, no Action start/ended, " +
			"no logging started header, no MsiInstaller event, no Windows Installer message)"
		if p.other > 0 && len(lg.Lines) > 0 {
			lg.Why = "only a separator or an unrelated line; " + lg.Why
		}
	}
	if lg.Form.Events() && len(p.times) > 1 {
		lg.NewestFirst = p.times[0] > p.times[len(p.times)-1]
	}
	if lg.Form.Events() || lg.Form == FormDialog {
		lg.Parts = max(1, p.eventCount())
	}
}

// productLines counts "Product: X -- …" and "Windows Installer installed
// the product" lines: event messages without the viewer's fields.
func (p *parser) productLines() int {
	n := 0
	for _, l := range p.log.Lines {
		if l.Name != "" && (l.Kind == KindMessage || l.Kind == KindStatus) && l.Side == "" || l.Fact == FactStatus && l.Side == "" {
			n++
		}
	}
	return n
}

func (p *parser) eventCount() int {
	n := 0
	for _, l := range p.log.Lines {
		if l.Kind == KindEvent && (l.Name == "Event ID" || l.Name == "Id") {
			n++
		}
	}
	return n
}

// knownStarts are how the lines classify reads begin (after any MSI (x)
// prefix and "Product: X -- "); a line that starts otherwise and has none
// of knownParts is skipped without a regular expression.
var knownStarts = []string{"===", "Note: 1: ", "1: ", "DEBUG: ", "Error ", "Info ", "Warning ", "MainEngineThread", "Action ",
	"Doing action", "Property(", "PROPERTY CHANGE", "Machine policy", "User policy", "CustomAction ", "Invoking remote",
	"WixQuietExec", "Microsoft VBScript", "Microsoft JScript", "Failed to ", "Grabbed execution", "Rejecting product",
	"MSI_LUA", "Product installation will be elevated", "The system cannot open", "Server returned", "SOURCEMGMT",
	"Running Script", "Client-side and UI", "The Windows Installer", "the Windows Installer", "A timeout", "Another installation",
	"This installation", "The installation source", "You do not have", "You must be", "Windows ® Installer", "Windows (R) Installer",
	"Product: ", "The installer has", "The folder path"}

var knownParts = []string{"success or error status", "with elevated privileges", "rror code is"}

func mayBeKnown(body string) bool {
	for _, p := range knownStarts {
		if strings.HasPrefix(body, p) {
			return true
		}
	}
	for _, p := range knownParts {
		if strings.Contains(body, p) {
			return true
		}
	}
	return false
}
