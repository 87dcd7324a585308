package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msilab/msilab/scenarios/reproduce"
)

// msilab diagnose --log FILE --reproduce on an excerpt: the Markdown
// answer (profile and why, the side-by-side signature, the verified fix),
// the bundle (input copy, comparison.md and .json, recipe.txt, the
// cell's evidence), and the same as JSON.
func TestDiagnoseReproduce(t *testing.T) {
	file := writeFile(t, "held.log", []byte("MSI (c) (60:1C) [02:14:33:870]: Failed to grab execution mutex. System error 258.\r\n"+
		"MSI (c) (60:1C) [02:14:33:871]: MainEngineThread is returning 1618\r\n"))
	out := filepath.Join(t.TempDir(), "bundle")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"diagnose", "--log", file, "--reproduce", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{"## mutex-held", "OS profile: win11-24h2", "the log cannot tell win11-24h2 from", "Signature: MATCH",
		"| match | line 1: (c) fact mutex-failed: 258 |", "exit code: match: exit 1618", "Fix: wait-for-mutex", "verified", "--reproduce --out rerun"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	for _, f := range []string{"input.log", reproduce.FileMarkdown, reproduce.FileReport, reproduce.FileRecipe,
		"run-mutex-held/evidence/mutex-held__win11-24h2__admin-elevated/msiexec.log"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("bundle: %v", err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, reproduce.FileRecipe)); err != nil || !strings.Contains(string(b), "\nmsilab diagnose --log input.log --reproduce --out rerun\n") {
		t.Errorf("recipe.txt: %q %v", b, err)
	}
	// A planted mismatch (another system error) exits 1 and says where it differs.
	planted := writeFile(t, "other.log", []byte("MSI (c) (60:1C) [02:14:33:870]: Failed to grab execution mutex. System error 5.\r\n"+
		"MSI (c) (60:1C) [02:14:33:871]: MainEngineThread is returning 1618\r\n"))
	stdout.Reset()
	err := run(context.Background(), []string{"diagnose", "--log", planted, "--reproduce", "--out", out + "-planted"}, &stdout, &stderr)
	var code *exitCodeError
	if !errors.As(err, &code) || code.code != 1 || !strings.Contains(stdout.String(), "DIFFERS") ||
		!strings.Contains(stdout.String(), `argument 2: "5" in the input, "258" in the reproduction`) {
		t.Errorf("planted: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"diagnose", "--log", file, "--reproduce", "--out", out + "-json", "--format", "json"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	var rep reproduce.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Match() || rep.Causes[0].Cells[0].Comparison.ReproExit != 1618 || !strings.Contains(rep.Recipe, "--format json") {
		t.Errorf("json: %+v", rep)
	}
}

// Clear errors: not a Windows Installer log, no cause found, a cause
// without a scenario ("none yet: <reason>"), and flags that need --reproduce.
func TestDiagnoseReproduceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		args       []string
		want       string
		usage      bool
	}{
		{"not msi", "go build ./...\nok  github.com/x 0.2s\n", nil, "not a Windows Installer log", false},
		{"no cause", "MSI (c) (60:1C) [02:14:33:871]: MainEngineThread is returning 0\r\n", nil, "no cause found", false},
		{"no scenario", "MSI (c) (60:1C) [02:14:33:870]: Note: 1: 1324 2: .\\Setup\\App 3: 1\r\n" +
			"Error 1324. The folder path '.\\Setup\\App' contains an invalid character.\r\nMSI (c) (60:1C) [02:14:33:871]: MainEngineThread is returning 1603\r\n", nil, "none yet: ", false},
		{"out without reproduce", "x", []string{"--out", "d"}, "--lab and --out go with --reproduce", true},
		{"with host", "x", []string{"--reproduce", "--host"}, "needs --log FILE and excludes --host", true},
	} {
		file := writeFile(t, "in.log", []byte(tc.text))
		args := append([]string{"diagnose", "--log", file, "--out", filepath.Join(t.TempDir(), "b")}, tc.args...)
		if tc.args == nil {
			args = append(args, "--reproduce")
		} else {
			args = append([]string{"diagnose", "--log", file}, tc.args...)
		}
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, &stdout, &stderr)
		var u *usageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.As(err, &u) != tc.usage {
			t.Errorf("%s: error %v, want %q (usage %v)", tc.name, err, tc.want, tc.usage)
		}
	}
}

// With --lab the reproduction runs on the lab's hosts: the profile is
// picked among those the lab has (a server's log, a lab of server2022).
func TestDiagnoseReproduceLab(t *testing.T) {
	inv, _ := simHosts(t, "server2022")
	file := writeFile(t, "held.log", []byte("Property(S): MsiNTProductType = 3\r\n"+
		"MSI (c) (60:1C) [02:14:33:870]: Failed to grab execution mutex. System error 258.\r\n"+
		"MSI (c) (60:1C) [02:14:33:871]: MainEngineThread is returning 1618\r\n"))
	out := filepath.Join(t.TempDir(), "bundle")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"diagnose", "--log", file, "--reproduce", "--lab", inv, "--out", out, "--format", "json"}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), stderr.String())
	}
	var rep reproduce.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Causes[0]
	if c.Profile.Name != "server2022" || c.Lab != inv || !c.Match() || !strings.Contains(rep.Recipe, "--lab "+inv) {
		t.Errorf("profile %s, lab %s, match %v, recipe %s", c.Profile.Name, c.Lab, c.Match(), rep.Recipe)
	}
}
