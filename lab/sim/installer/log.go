package installer

import (
	"fmt"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/sim/model"
)

// verboseLog writes a log in the shape of msiexec's /L*v output, as the
// public logs of docs/evidence.md#E-log show it: "MSI (c)" lines from the
// client and "MSI (s)" lines from the service, each with the low bytes of
// the process and thread ids and the time to the millisecond; the service
// writes from three threads (the one that takes the install and ends it,
// the engine thread that runs the sequence, the custom action manager);
// "Action start/ended" lines; Note lines; the property dump and the end
// sequence; CRLF line ends. Times come from the model clock.
type verboseLog struct {
	b   strings.Builder
	m   *model.Machine
	off bool // nothing is written (no log was requested or could be)
	// client is msiexec's main thread; server the service thread that
	// takes the install and ends it; engine the service's engine thread;
	// caManager the service's custom action manager thread.
	client, server, engine, caManager [2]uint32
	// pendingEnd is the "Action ended" line of the action that just
	// returned: Windows writes it after the next "Doing action" line.
	pendingEnd string
}

func newVerboseLog(m *model.Machine, clientPID, serverPID uint32) *verboseLog {
	return &verboseLog{m: m, client: [2]uint32{clientPID, clientPID + 8},
		server: [2]uint32{serverPID, serverPID + 12}, engine: [2]uint32{serverPID, serverPID + 28},
		caManager: [2]uint32{serverPID, serverPID + 44}}
}

// buildType is the "Build type" of every verbose log Windows 10, 11 and
// Server 2016 and later write, whatever their build (R: the logs of
// docs/evidence.md#E-log, 2015 to 2025, 24H2 included): msi.dll's version
// line stayed at 5.0.10011. Only Windows 7 and 2008 R2 logs print their
// OS build there (5.00.7601.00).
const buildType = "5.00.10011.00"

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

// c writes a client line; s a line of the service's engine thread; srv
// one of the thread that took the install; ca one of the custom action
// manager.
func (l *verboseLog) c(format string, args ...any)   { l.msi("c", l.client, format, args...) }
func (l *verboseLog) s(format string, args ...any)   { l.msi("s", l.engine, format, args...) }
func (l *verboseLog) srv(format string, args ...any) { l.msi("s", l.server, format, args...) }
func (l *verboseLog) ca(format string, args ...any)  { l.msi("s", l.caManager, format, args...) }

func clock(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
}

func (l *verboseLog) date() string {
	t := l.m.Now().UTC()
	return t.Format("1/2/2006") + "  " + clock(t)
}

func (l *verboseLog) start(caller string) {
	l.line(fmt.Sprintf("=== Verbose logging started: %s  Build type: SHIP UNICODE %s  Calling process: %s ===", l.date(), buildType, caller))
}

// stop is the client's last line; serverStop the service's.
func (l *verboseLog) stop()       { l.line(fmt.Sprintf("=== Verbose logging stopped: %s ===", l.date())) }
func (l *verboseLog) serverStop() { l.line(fmt.Sprintf("=== Logging stopped: %s ===", l.date())) }

// runEngine is the RunEngine block the client and the service write.
func (l *verboseLog) runEngine(write func(string, ...any), product string) {
	write("******* RunEngine:\r\n           ******* Product: %s\r\n           ******* Action: \r\n           ******* CommandLine: **********", product)
}

// actionStart writes "Doing action", the previous action's pending
// "Action ended" line, then "Action start" (R: the logs of
// docs/evidence.md#E-log since Windows 10 put the end of an action after
// the next one's "Doing action").
func (l *verboseLog) actionStart(name string) {
	l.doing(name)
	l.started(name)
}

// doing and started are actionStart's two halves, for an action that
// writes lines in between (InstallInitialize: R, intel/haxm#163).
func (l *verboseLog) doing(name string) {
	l.s("Doing action: %s", name)
	l.flushEnd()
}

func (l *verboseLog) started(name string) {
	l.line(fmt.Sprintf("Action start %s: %s.", clock(l.m.Now()), name))
}

// actionEnd holds the action's "Action ended" line until the next action
// starts or the sequence stops (flushEnd).
func (l *verboseLog) actionEnd(name string, rv int) {
	l.flushEnd()
	l.pendingEnd = fmt.Sprintf("Action ended %s: %s. Return value %d.", clock(l.m.Now()), name, rv)
}

func (l *verboseLog) flushEnd() {
	if l.pendingEnd != "" {
		l.line(l.pendingEnd)
		l.pendingEnd = ""
	}
}

// noteText is "Note: 1: n 2: a 3: b " as msi.dll writes it: every argument
// numbered, an empty one leaving two spaces, and a space at the end (R:
// lithnet/ad-password-protection#43, intel/haxm#163).
func noteText(msg Message, args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Note: 1: %d ", int(msg))
	for i, a := range args {
		fmt.Fprintf(&b, "%d: %s ", i+2, a)
	}
	return b.String()
}

// note writes a Note line from the client ("c") or the engine thread.
func (l *verboseLog) note(side string, msg Message, args ...string) {
	if side == "c" {
		l.c("%s", noteText(msg, args...))
	} else {
		l.s("%s", noteText(msg, args...))
	}
}

// errorTableNotes are the notes of a message looked up in a package
// without an Error table: table not found (2205), then the failed query
// (2228) (R: lithnet/ad-password-protection#43, microsoft/winget-pkgs#373544).
func (l *verboseLog) errorTableNotes(write func(string, ...any), msg int) {
	write("%s", noteText(2205, "", "Error"))
	write("%s", noteText(2228, "", "Error", fmt.Sprintf("SELECT `Message` FROM `Error` WHERE `Error` = %d", msg)))
}

// properties dumps properties as "Property(S): NAME = value", sorted.
func (l *verboseLog) properties(side string, props map[string]string) {
	for _, k := range sortedKeys(props) {
		l.line(fmt.Sprintf("Property(%s): %s = %s", strings.ToUpper(side), k, props[k]))
	}
}

// serverTail is what the service writes once the engine thread has
// returned: the restart manager's and System Restore's lines, its
// "Logging stopped", the rollback policies read at cleanup, then the end of
// its RemoteAPI object and of the custom action manager (R:
// Particular/ServiceControl#339 and #362, prometheus-community/windows_exporter#147
// and #1845). restart is false when the install never began (a rejection
// writes no restart manager line: the Puppet log of docs/evidence.md#E-disablemsi-1).
func (l *verboseLog) serverTail(restart bool, info string) {
	if restart {
		l.srv("RESTART MANAGER: Session closed.")
	}
	l.srv("No System Restore sequence number for this installation.")
	if info != "" {
		l.line(info)
	}
	l.serverStop()
	l.srv("User policy value 'DisableRollback' is 0")
	l.srv("Machine policy value 'DisableRollback' is 0")
	l.srv("Incrementing counter to disable shutdown. Counter after increment: 0")
	for range 2 {
		l.srv("%s", noteText(1402, `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Installer\Rollback\Scripts`, "2"))
	}
	l.srv("Decrementing counter to disable shutdown. If counter >= 0, shutdown will be denied.  Counter after decrement: -1")
	l.srv("Restoring environment variables")
	l.srv("Destroying RemoteAPI object.")
	l.ca("Custom Action Manager thread ending.")
}

func (l *verboseLog) String() string { return l.b.String() }
