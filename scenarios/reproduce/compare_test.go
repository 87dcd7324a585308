package reproduce

import (
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/msilog"
)

const reproLog = `=== Verbose logging started: 12/10/2024  9:00:00  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\Windows\system32\msiexec.exe ===
MSI (s) (F0:0C) [09:00:00:049]: Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 
MSI (s) (F0:0C) [09:00:00:127]: Note: 1: 2336 2: 5 3: C:\Windows\Installer\ 
MSI (s) (F0:0C) [09:00:00:128]: Note: 1: 2503 
MSI (s) (F0:0C) [09:00:00:129]: Note: 1: 1708 
MSI (c) (F4:FC) [09:00:00:140]: MainEngineThread is returning 1603
=== Verbose logging stopped: 12/10/2024  9:00:00 ===
`

func compareText(in string, exit int, events ...ops.Event) *Comparison {
	return Compare(msilog.ParseString(in), reproLog, exit, events)
}

func TestCompareMatchAndNormalise(t *testing.T) {
	c := compareText("MSI (s) (1C:30) [17:00:00:001]: Note: 1: 2336 2: 5 3: E:\\WINDOWS\\Installer\\ \nMSI (s) (1C:30) [17:00:00:002]: Note: 1: 2503 \nMSI (c) (2C:30) [17:00:00:009]: MainEngineThread is returning 1603\n", 1603)
	matched := 0
	for _, r := range c.Rows {
		if r.Status == RowMatch {
			matched++
		}
	}
	if !c.Match || matched != 2 {
		t.Fatalf("want a match of two lines: %+v", c)
	}
	if !slices.ContainsFunc(c.Normalised, func(s string) bool {
		return strings.HasPrefix(s, "the Windows folder (any system drive) as %WINDIR% (2)")
	}) {
		t.Errorf("normalised %v: want the Windows folder", c.Normalised)
	}
	if c.Whole || c.LeftOutRepro != 1 {
		t.Errorf("whole %v, left out of the reproduction %d: want an excerpt, the .ipi lookup left out", c.Whole, c.LeftOutRepro)
	}
}

func TestCompareDifferences(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		exit     int
		events   []ops.Event
		want     string
	}{
		{"argument", "MSI (s) (1C:30) [17:00:00:001]: Note: 1: 2336 2: 3 3: C:\\Windows\\Installer\\ \n", 1603, nil, `argument 2: "3" in the input, "5" in the reproduction`},
		{"side", "MSI (c) (1C:30) [17:00:00:001]: Note: 1: 2336 2: 5 3: C:\\Windows\\Installer\\ \n", 1603, nil, "on the (c) side in the input, (s) in the reproduction"},
		{"missing", "MSI (s) (1C:30) [17:00:00:001]: Note: 1: 2755 2: 110 \n", 1603, nil, "missing from the reproduction"},
		{"order", "MSI (s) (1C:30) [17:00:00:001]: Note: 1: 2503 \nMSI (s) (1C:30) [17:00:00:002]: Note: 1: 2336 2: 5 3: C:\\Windows\\Installer\\ \n", 1603, nil, "in another order"},
		{"exit", "MSI (c) (2C:30) [17:00:00:009]: MainEngineThread is returning 1618\n", 1603, nil, "the input's exit is 1618"},
		{"event", "Log Name: Application\nSource: MsiInstaller\nEvent ID: 11925\nDescription:\nProduct: X -- Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.\n", 1603,
			[]ops.Event{{EventID: 1033, Message: "Windows Installer installed the product. Installation success or error status: 1603."}}, "not the input's 11925"},
		{"whole log extra", "=== Verbose logging started: 1/2/2025  10:00:00  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===\nMSI (s) (1C:30) [17:00:00:002]: Note: 1: 2503 \nMSI (c) (2C:30) [17:00:00:009]: MainEngineThread is returning 1603\n=== Verbose logging stopped: 1/2/2025  10:00:00 ===\n", 1603, nil, "only in the reproduction: (s) note 2336"},
	} {
		c := compareText(tc.in, tc.exit, tc.events...)
		if c.Match {
			t.Errorf("%s: matches: %+v", tc.name, c)
			continue
		}
		if !slices.ContainsFunc(c.Differences, func(s string) bool { return strings.Contains(s, tc.want) }) {
			t.Errorf("%s: differences %q, want one with %q", tc.name, c.Differences, tc.want)
		}
	}
}

// Negative-control lines are left out on both sides: alone they are no signature.
func TestSignatureLeavesOutNegativeControls(t *testing.T) {
	lg := msilog.ParseString(`MSI (s) (F0:0C) [09:00:00:049]: Note: 1: 2203 2: C:\Windows\Installer\inprogressinstallinfo.ipi 3: -2147287038 
MSI (s) (F0:0C) [09:00:00:050]: Note: 1: 2205 2:  3: Error 
MSI (s) (F0:0C) [09:00:00:051]: Note: 1: 2228 2:  3: Error 4: SELECT ` + "`Message`" + ` FROM ` + "`Error`" + ` WHERE ` + "`Error`" + ` = 1709 
MSI (s) (F0:0C) [09:00:00:052]: Note: 1: 1402 2: HKEY_LOCAL_MACHINE\Software\Contoso 3: 2 
MSI (s) (F0:0C) [09:00:00:053]: Note: 1: 2265 2:  3: -2147287035 
CustomAction Foo returned actual error code 1 but will be translated to success due to continue marking
`)
	sig, left := Signature(lg, NewNormaliser(lg))
	if len(sig) != 0 || left != 6 {
		t.Errorf("signature %+v, %d left out: want none, 6", sig, left)
	}
}
