package main_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/msilab/msilab/images/version"
)

// TestDescribe builds the plugin and checks what it tells Packer: one
// provisioner under the plugin's own name (so templates say
// provisioner "msilab"), the plugin's version, and the plugin API that
// Packer 1.9 and later speak.
func TestDescribe(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "packer-plugin-msilab")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "describe").Output()
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	var d struct {
		Version      string   `json:"version"`
		SDKVersion   string   `json:"sdk_version"`
		APIVersion   string   `json:"api_version"`
		Provisioners []string `json:"provisioners"`
		Builders     []string `json:"builders"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("describe: %v: %s", err, out)
	}
	if d.Version != version.PluginVersion.String() || d.APIVersion != "x5.0" || d.SDKVersion != "0.6.4" ||
		len(d.Provisioners) != 1 || d.Provisioners[0] != "-packer-default-plugin-name-" || len(d.Builders) != 0 {
		t.Fatalf("describe: %s", out)
	}
}
