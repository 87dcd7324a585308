// Package testmsi derives test packages from the lab's (testpkgs) for tests
// that need a package the catalog does not ship, with msibuild (msitools).
package testmsi

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/msilab/msilab/internal/testtool"
	"github.com/msilab/msilab/testpkgs"
)

// WithAction returns the test package base with one more row in its
// InstallExecuteSequence: a standard action (such as ScheduleReboot) under
// condition at sequence.
func WithAction(t testing.TB, base, action, condition string, sequence int) []byte {
	t.Helper()
	msibuild := testtool.Need(t, "msibuild", "apt-get install msitools")
	data, err := testpkgs.Bytes(base)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), base+".msi")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	query := fmt.Sprintf("INSERT INTO `InstallExecuteSequence` (`Action`, `Condition`, `Sequence`) VALUES ('%s', '%s', %d)", action, condition, sequence)
	if out, err := exec.Command(msibuild, path, "-q", query).CombinedOutput(); err != nil {
		t.Fatalf("msibuild: %v: %s", err, out)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
