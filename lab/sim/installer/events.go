package installer

import (
	"fmt"

	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// Source is the Application-log source of Windows Installer's events.
const Source = "MsiInstaller"

// Event IDs (D unless noted; docs/evidence.md#E-events).
const (
	EventInstalled         = 1033  // installed the product, with status
	EventRemoved           = 1034  // removed the product, with status
	EventReconfigured      = 1035  // reconfigured the product, with status
	EventRestartRequired   = 1038  // a restart is required (text R, fields G)
	EventTransactionBegin  = 1040  // R
	EventTransactionEnd    = 1042  // R
	EventInternalError     = 10005 // one per internal 2xxx error (R: PowerToys#8123)
	EventInstallSucceeded  = 11707
	EventInstallFailed     = 11708
	EventRemoveSucceeded   = 11724
	EventRemoveFailed      = 11725
	EventConfigSucceeded   = 11728
	EventConfigFailed      = 11729
	eventAuthoredErrorBase = 10000 // an authored 1xxx error N is logged as 10000+N
)

// events writes MsiInstaller records with the installing user's SID.
type events struct {
	m    *model.Machine
	user win.SID
	out  []model.Event
}

func (e *events) write(id uint32, level model.Level, msg string, data ...string) {
	if len(data) == 0 {
		data = []string{msg}
	}
	rec := e.m.EventLog().Write(model.Event{ProviderName: Source, EventID: id, Level: level, UserSID: e.user, Message: msg, Data: data})
	e.out = append(e.out, rec)
}

func (e *events) texts() *eventTexts { return textsFor(e.m.Locale()) }

func (e *events) productMessage(id uint32, level model.Level, product, text string) {
	t := e.texts()
	e.write(id, level, fmt.Sprintf(t.product, product, t.phrase(text)))
}

// errorEvent records a message raised during the install, as the log's
// "Product:" line shows it: 10005 for an internal error (its text ends
// with the error's arguments: R, microsoft/PowerToys#8123), 10000+N for an
// authored one; both at level Error (R: microsoft/PowerToys#8123,
// cloudflare/cloudflare-docs#1190). The text is in the machine's language.
func (e *events) errorEvent(product string, msg Message, args []string) {
	id := uint32(eventAuthoredErrorBase + int(msg))
	t := e.texts()
	shown := fmt.Sprintf(t.authored, int(msg), format(msg.Text(), args))
	if msg.Internal() {
		id = EventInternalError
		shown = t.internalError(msg, args)
	}
	e.productMessage(id, model.LevelError, product, shown)
}

// status writes 1033, 1034 or 1035 (D: the real text is quoted in
// docs/evidence.md#E-events). Its data are the product name, version,
// language, status and manufacturer, in that order (D: the message's
// insertion strings %1 to %5, the status %4), whatever the language.
func (e *events) status(id uint32, props map[string]string, code ExitCode) {
	msg := fmt.Sprintf(e.texts().status[id], props["ProductName"], props["ProductVersion"], props["ProductLanguage"], props["Manufacturer"], int(code))
	e.write(id, model.LevelInformation, msg, props["ProductName"], props["ProductVersion"], props["ProductLanguage"], fmt.Sprint(int(code)), props["Manufacturer"])
}

// transaction writes 1040 (begin) or 1042 (end) (R).
func (e *events) transaction(id uint32, target string, pid uint32) {
	f := e.texts().begin
	if id == EventTransactionEnd {
		f = e.texts().end
	}
	e.write(id, model.LevelInformation, fmt.Sprintf(f, target, pid))
}

// restart writes 1038: a restart is required (text R, fields G).
func (e *events) restart(props map[string]string) {
	msg := fmt.Sprintf(e.texts().restart, props["ProductName"], props["ProductVersion"], props["ProductLanguage"], props["Manufacturer"])
	e.write(EventRestartRequired, model.LevelInformation, msg, props["ProductName"], props["ProductVersion"],
		props["ProductLanguage"], "1", "1", props["Manufacturer"])
}
