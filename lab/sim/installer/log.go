package installer

import (
	"fmt"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/sim/model"
)

// verboseLog writes a log in the shape of msiexec's /L*v output (R: the
// logs cited in docs/evidence.md#E-log): "MSI (c)" lines from the client, "MSI (s)"
// lines from the service, each with the low bytes of the process and
// thread ids and the time to the millisecond; "Action start/ended" lines;
// the property dump; CRLF line ends. Times come from the model clock.
type verboseLog struct {
	b       strings.Builder
	m       *model.Machine
	off     bool // nothing is written (no log was requested or could be)
	client  [2]uint32
	server  [2]uint32
	version string
}

func newVerboseLog(m *model.Machine, clientPID, serverPID uint32) *verboseLog {
	return &verboseLog{m: m, client: [2]uint32{clientPID, clientPID + 8}, server: [2]uint32{serverPID, serverPID + 12},
		version: buildType(m.Profile().MsiVersion)}
}

// buildType is the "Build type" msi.dll prints: 5.00.<build>.00 (G: the
// shape of real headers, with the OS build in place of msi.dll's own).
func buildType(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) >= 3 {
		return fmt.Sprintf("%s.00.%s.00", parts[0], parts[2])
	}
	return v
}

func (l *verboseLog) line(s string) {
	if l.off {
		return
	}
	l.b.WriteString(s)
	l.b.WriteString("\r\n")
}

func (l *verboseLog) stamp() string {
	t := l.m.Now().UTC()
	return fmt.Sprintf("%02d:%02d:%02d:%03d", t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/int(time.Millisecond))
}

func (l *verboseLog) msi(side string, ids [2]uint32, format string, args ...any) {
	if l.off {
		return
	}
	l.line(fmt.Sprintf("MSI (%s) (%02X:%02X) [%s]: %s", side, ids[0]&0xff, ids[1]&0xff, l.stamp(), fmt.Sprintf(format, args...)))
}

// c writes a client line, s a server line.
func (l *verboseLog) c(format string, args ...any) { l.msi("c", l.client, format, args...) }
func (l *verboseLog) s(format string, args ...any) { l.msi("s", l.server, format, args...) }

func clock(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
}

func (l *verboseLog) start(caller string) {
	t := l.m.Now().UTC()
	l.line(fmt.Sprintf("=== Verbose logging started: %s  %s  Build type: SHIP UNICODE %s  Calling process: %s ===",
		t.Format("1/2/2006"), clock(t), l.version, caller))
}

func (l *verboseLog) stop() {
	t := l.m.Now().UTC()
	l.line(fmt.Sprintf("=== Verbose logging stopped: %s  %s ===", t.Format("1/2/2006"), clock(t)))
}

func (l *verboseLog) actionStart(name string) {
	if l.off {
		return
	}
	l.s("Doing action: %s", name)
	l.line(fmt.Sprintf("Action start %s: %s.", clock(l.m.Now()), name))
}

func (l *verboseLog) actionEnd(name string, rv int) {
	if l.off {
		return
	}
	l.line(fmt.Sprintf("Action ended %s: %s. Return value %d.", clock(l.m.Now()), name, rv))
}

// note writes "Note: 1: n 2: a 3: b" as the service does for every error.
func (l *verboseLog) note(side string, msg Message, args ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Note: 1: %d", int(msg))
	for i, a := range args {
		fmt.Fprintf(&b, " %d: %s", i+2, a)
	}
	if side == "c" {
		l.c("%s", b.String())
	} else {
		l.s("%s", b.String())
	}
}

// errorLine writes how an error reaches the log: internal errors as
// "DEBUG: Error N:  text", authored ones as "Error N. text" (D: internal
// errors are log-only in /qn; R: docs/evidence.md#E-marker).
func (l *verboseLog) errorLine(msg Message, text string) {
	if msg.Internal() {
		l.line(fmt.Sprintf("DEBUG: Error %d:  %s", int(msg), text))
		return
	}
	l.line(fmt.Sprintf("Error %d. %s", int(msg), text))
}

// properties dumps properties as "Property(S): NAME = value", sorted.
func (l *verboseLog) properties(side string, props map[string]string) {
	for _, k := range sortedKeys(props) {
		l.line(fmt.Sprintf("Property(%s): %s = %s", strings.ToUpper(side), k, props[k]))
	}
}

func (l *verboseLog) String() string { return l.b.String() }
