package remediation

import (
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

// On a non-English host the events' text does not parse; their data still
// gives 1033/1034's status and 10005's internal error
// (docs/evidence.md#E-localized-events).
func TestEventDataOnALocalisedHost(t *testing.T) {
	events := []ops.Event{
		{EventID: ops.EventInternalError, Message: "Produkt: Widget -- Unerwarteter Fehler. Der Fehlercode lautet 2503. Die Argumente lauten: , , ",
			Data: []string{"Produkt: Widget -- Unerwarteter Fehler. Der Fehlercode lautet 2503. Die Argumente lauten: , , "}},
		{EventID: ops.EventInstalled, Message: "Windows Installer hat das Produkt installiert. Status: 1603.",
			Data: []string{"Widget", "1.0", "1033", "1603", "Acme", "(NULL)", "", ""}},
	}
	in := newInput(msilog.ParseString(""), -1, events)
	var status, internal bool
	for _, l := range in.eventLines {
		status = status || l.Kind == msilog.KindStatus && l.Fact == msilog.FactStatus && l.Num == 1603 && l.Event == ops.EventInstalled
		internal = internal || l.Kind == msilog.KindMessage && l.Num == 2503 && l.Event == ops.EventInternalError
	}
	if !status || !internal {
		t.Fatalf("status from data %v, internal error from data %v: %+v", status, internal, in.eventLines)
	}
	// English text that parses adds no second line.
	en := []ops.Event{{EventID: ops.EventInstalled, Message: "Windows Installer installed the product. Product Name: Widget. Product Version: 1.0. Product Language: 1033. Manufacturer: Acme. Installation success or error status: 1603.",
		Data: []string{"Widget", "1.0", "1033", "1603", "Acme", "(NULL)", "", ""}}}
	n := 0
	for _, l := range newInput(msilog.ParseString(""), -1, en).eventLines {
		if l.Kind == msilog.KindStatus {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d status lines from an English 1033, want 1", n)
	}
}
