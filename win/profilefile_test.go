package win

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A profile file outside the built-in set reads strictly, validated as
// the built-in ones are, whatever its file name; its policies are kept.
func TestLoadProfileFile(t *testing.T) {
	data, err := profileFiles.ReadFile("profiles/win11-24h2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := LoadProfileFile(write("captured-lab-host.yaml", string(data)+"policies: {DisableMSI: 1}\n"))
	if err != nil || p.Name != "win11-24h2" || p.Policies["DisableMSI"] != 1 {
		t.Fatalf("%+v %v", p.Policies, err)
	}
	for _, bad := range []struct{ text, want string }{
		{string(data) + "colour: blue\n", "field colour not found"},
		{string(data) + "policies: {'a\\b': 1}\n", "is not a registry value name"},
		{strings.Replace(string(data), "build: 26100", "build: 0", 1), "build, display_name and hostname"},
	} {
		if _, err := LoadProfileFile(write("bad.yaml", bad.text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("err = %v, want %q", err, bad.want)
		}
	}
}
