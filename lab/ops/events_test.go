package ops

import "testing"

// Status and InternalError read an event's data, in any display language;
// an event without that data gives nothing.
func TestEventStatusAndInternalError(t *testing.T) {
	data := func(status string) []string {
		return []string{"MsiLab PerMachine", "1.0.0", "1033", status, "MsiLab Testing"}
	}
	for _, tc := range []struct {
		name string
		e    Event
		want int
		ok   bool
	}{
		{"English 1033", Event{EventID: 1033, Message: "Windows Installer installed the product. ... Installation success or error status: 1603.", Data: data("1603")}, 1603, true},
		{"German 1033", Event{EventID: 1033, Message: "Windows Installer hat das Produkt installiert. ... Erfolg- bzw. Fehlerstatus der Installation: 0.", Data: data("0")}, 0, true},
		{"1034", Event{EventID: 1034, Data: data("0")}, 0, true},
		{"English text, no data", Event{EventID: 1033, Message: "... Installation success or error status: 0."}, 0, false},
		{"not a status event", Event{EventID: 11707, Data: data("0")}, 0, false},
		{"data not a number", Event{EventID: 1033, Data: data("(NULL)")}, 0, false},
	} {
		got, ok := tc.e.Status()
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: Status() = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		name string
		e    Event
		want int
		ok   bool
	}{
		{"English", Event{EventID: 10005, Data: []string{"Product: MsiLab 2019 -- The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. The error code is 2503. The arguments are: , , "}}, 2503, true},
		{"German", Event{EventID: 10005, Data: []string{"Produkt: MsiLab 2019 -- Beim Installieren dieses Pakets ist ein unerwarteter Fehler aufgetreten. Fehlercode: 2755. Argumente: 110, C:\\2019\\x.msi, "}}, 2755, true},
		{"message only", Event{EventID: 10005, Message: "Product: X -- ... The error code is 2502. The arguments are: , , "}, 2502, true},
		{"no code", Event{EventID: 10005, Data: []string{"Product: X -- something else"}}, 0, false},
		{"not 10005", Event{EventID: 11708, Data: []string{"Product: X -- 2503"}}, 0, false},
	} {
		got, ok := tc.e.InternalError()
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: InternalError() = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
