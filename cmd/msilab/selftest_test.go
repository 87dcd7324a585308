package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/msilab/msilab/selftest"
)

// msilab selftest on the embedded lab passes, and prints the JSON reports
// with --format json.
func TestSelftestEmbedded(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"selftest", "--os", "server2019", "--format", "json"}, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var reps []selftest.Report
	if err := json.Unmarshal(out.Bytes(), &reps); err != nil {
		t.Fatal(err)
	}
	if len(reps) != 1 || !reps[0].Passed || reps[0].OS != "server2019" || !reps[0].BackToBaseline || len(reps[0].Rows) < 38 {
		t.Fatalf("reports: %s", out.String())
	}
}

// Against a host whose lab user does not exist and without its password
// (a fresh `msilab sim serve`), the self-test fails with exit status 1, a
// report that names what failed and what was skipped, and the host
// still back at its baseline.
func TestSelftestEndpointFails(t *testing.T) {
	url := serve(t, "--os", "win10-22h2")
	var out bytes.Buffer
	err := run(context.Background(), []string{"selftest", "--endpoint", url, "--user", "msilab", "--password", "Msilab-Passw0rd!",
		"--os", "win10-22h2"}, &out, io.Discard)
	var code *exitCodeError
	if !errors.As(err, &code) || code.code != 1 {
		t.Fatalf("exit: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"user.get                     FAILED",
		"the lab user msilab-user does not exist",
		"user.ensure                  skipped",
		"baseline: the host reads as it did before the self-test",
		"FAILED: 1 op(s) failed",
		"skipped: user.logon: needs the lab user's password",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
