package reproduce

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/msilab/msilab/msilog"
)

func reproduceFile(t *testing.T, file string) *Report {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return reproduceText(t, filepath.Base(file), raw)
}

func reproduceText(t *testing.T, name string, raw []byte) *Report {
	t.Helper()
	out := t.TempDir()
	rep, err := Run(context.Background(), Options{Input: msilog.ParseString(string(raw)), Raw: raw, Name: name, Out: out, Recipe: "msilab diagnose --log " + name + " --reproduce"})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rep
}

func TestSmoke(t *testing.T) {
	rep := reproduceFile(t, "../../remediation/testdata/corpus/sim/installer-missing__win11-24h2__admin-elevated.log")
	var b = new(os.File)
	_ = b
	Markdown(os.Stdout, rep)
}
