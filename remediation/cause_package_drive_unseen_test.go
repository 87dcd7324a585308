package remediation_test

import (
	"testing"

	"github.com/msilab/msilab/remediation"
)

// The package-drive-unseen cause: its signature in a client excerpt,
// from the dialog alone, and what must not raise it.
func TestCausePackageDriveUnseen(t *testing.T) {
	for _, c := range []struct {
		name, log string
		want      float64 // 0: the cause must not be named at all
	}{
		{"service and client", "MSI (s) (24:28) [10:00:00:000]: Note: 1: 2203 2: P:\\kits\\tool.msi 3: -2147287037 \n" +
			"MSI (s) (24:28) [10:00:00:001]: MainEngineThread is returning 3\n" +
			"MSI (c) (1C:20) [10:00:00:002]: Note: 1: 2755 2: 3 3: P:\\kits\\tool.msi \n" +
			"DEBUG: Error 2755:  Server returned unexpected error 3 attempting to install package P:\\kits\\tool.msi.\n", 0.8},
		{"dialog", "The installer has encountered an unexpected error installing this package. This may indicate a problem with this package. " +
			"The error code is 2755. The arguments are: 3, P:\\kits\\tool.msi, \n", 0.6},
		{"2755 with 110 is the Installer folder", "MSI (c) (1C:20) [10:00:00:002]: Note: 1: 2755 2: 110 3: P:\\kits\\tool.msi \n", 0},
		{"2203 on the package alone", "MSI (s) (24:28) [10:00:00:000]: Note: 1: 2203 2: P:\\kits\\tool.msi 3: -2147287037 \n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got *remediation.Finding
			for _, f := range remediation.DiagnoseLog(c.log) {
				if f.ID == remediation.FindingPackageDriveUnseen {
					got = &f
				}
			}
			switch {
			case c.want == 0 && got != nil:
				t.Fatalf("named: %+v", *got)
			case c.want > 0 && (got == nil || got.Confidence != c.want):
				t.Fatalf("want confidence %v, got %+v", c.want, got)
			case got != nil && (got.NoFix == "" || got.NoScenario == "" || len(got.Lines) == 0):
				t.Errorf("incomplete finding: %+v", *got)
			}
		})
	}
}
