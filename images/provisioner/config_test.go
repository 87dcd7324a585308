package provisioner_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/msilab/msilab/images/internal/packertest"
	"github.com/msilab/msilab/images/provisioner"
)

// TestPrepareRequires: a configuration without what the manifest and the
// lab need is refused, naming each missing field.
func TestPrepareRequires(t *testing.T) {
	err := new(provisioner.Provisioner).Prepare(map[string]interface{}{"lab_host": map[string]interface{}{"auth": "kerberos", "password_env": "1BAD"}})
	if !errors.Is(err, provisioner.ErrConfig) {
		t.Fatalf("Prepare: %v, want ErrConfig", err)
	}
	for _, want := range []string{"os_profile is required (one of ", "standard_password is required", "template_name is required",
		`lab_host.auth must be ntlm or basic, not "kerberos"`, `lab_host.password_env "1BAD" is not an environment variable name`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare error lacks %q:\n%v", want, err)
		}
	}
	err = new(provisioner.Provisioner).Prepare(map[string]interface{}{"os_profile": "win12", "standard_password": "config-test-password", "template_name": "t"})
	if err == nil || !strings.Contains(err.Error(), `os_profile "win12" is not an msilab OS profile`) {
		t.Fatalf("Prepare with an unknown profile: %v", err)
	}
	err = new(provisioner.Provisioner).Prepare(map[string]interface{}{"os_profile": "server2022", "standard_password": "config-test-password", "template_name": "t", "bogus": 1})
	if err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("Prepare with an unknown key: %v", err)
	}
}

// TestConfigSpec: the HCL2 schema Packer decodes templates with.
func TestConfigSpec(t *testing.T) {
	var keys []string
	for k := range new(provisioner.Provisioner).ConfigSpec() {
		if !strings.HasPrefix(k, "packer_") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	want := "git_revision lab_host lab_yaml_path manifest_path os_profile standard_password standard_user template_name"
	if strings.Join(keys, " ") != want {
		t.Fatalf("spec keys %v, want %s", keys, want)
	}
}

// TestHCL2SpecCurrent: config.hcl2spec.go is what packer-sdc generates
// from config.go now (regenerate: go generate ./images/provisioner with
// packer-sdc on PATH, built from tools/packer/sdc).
func TestHCL2SpecCurrent(t *testing.T) {
	sdc := packertest.SDCPath(t)
	dir := t.TempDir()
	cmd := exec.Command(sdc, "mapstructure-to-hcl2", "-type", "Config,LabHost")
	// packer-sdc loads the package in its folder and writes beside GOFILE.
	cmd.Env = append(os.Environ(), "GOFILE="+filepath.Join(dir, "config.go"), "GOPACKAGE=provisioner")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("packer-sdc: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "config.hcl2spec.go"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("config.hcl2spec.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(committed) {
		t.Fatalf("config.hcl2spec.go is stale: run `go generate ./images/provisioner` (packer-sdc %s on PATH)", packertest.SDKVersion)
	}
}
