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
		`lab_host.auth must be ntlm, not "kerberos"`, `lab_host.password_env "1BAD" is not an environment variable name`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare error lacks %q:\n%v", want, err)
		}
	}
	err = new(provisioner.Provisioner).Prepare(map[string]interface{}{"os_profile": "win12", "standard_password": "Config-Test-Passw0rd", "template_name": "t"})
	if err == nil || !strings.Contains(err.Error(), `os_profile "win12" is not an msilab OS profile`) {
		t.Fatalf("Prepare with an unknown profile: %v", err)
	}
	err = new(provisioner.Provisioner).Prepare(map[string]interface{}{"os_profile": "server2022", "standard_password": "Config-Test-Passw0rd", "template_name": "t", "bogus": 1})
	if err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("Prepare with an unknown key: %v", err)
	}
}

// TestPreparePasswords: both passwords are checked against Windows'
// complexity rules before the build starts (a standalone Server enforces
// them: a weak standard-user password would fail every Server build
// half-way, at user.ensure), naming the rule broken and never the password.
func TestPreparePasswords(t *testing.T) {
	base := func(extra map[string]interface{}) map[string]interface{} {
		m := map[string]interface{}{"os_profile": "server2022", "standard_password": "Config-Test-Passw0rd", "template_name": "t"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		extra map[string]interface{}
		want  string // "" = accepted
	}{
		{"complex passwords", map[string]interface{}{"admin_password": "Adm1n<&>Pass"}, ""},
		{"no admin password given", nil, ""},
		{"weak standard password", map[string]interface{}{"standard_password": "weakweakweak"},
			"standard_password: the password of msilab-user does not meet Windows' complexity requirements: it needs characters of three of"},
		{"standard password with the account name", map[string]interface{}{"standard_password": "Msilab-User-2025"},
			"standard_password: the password of msilab-user does not meet Windows' complexity requirements: it contains the account name"},
		{"weak admin password", map[string]interface{}{"admin_password": "alllowercase"},
			"admin_password: the password of msilab does not meet Windows' complexity requirements"},
		{"admin password with the admin's name", map[string]interface{}{"admin_user": "labadmin", "admin_password": "LabAdmin-2025"},
			"admin_password: the password of labadmin does not meet Windows' complexity requirements: it contains the account name"},
		{"admin password with Administrator", map[string]interface{}{"admin_password": "Administrator-1"},
			"admin_password: the password of Administrator does not meet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := new(provisioner.Provisioner).Prepare(base(tc.extra))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Prepare: %v", err)
			case tc.want != "" && (!errors.Is(err, provisioner.ErrConfig) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Prepare: %v, want an error with %q", err, tc.want)
			}
			for _, k := range []string{"standard_password", "admin_password"} {
				if pw, ok := tc.extra[k].(string); ok && err != nil && strings.Contains(err.Error(), pw) {
					t.Errorf("the error shows the password: %v", err)
				}
			}
		})
	}
}

// TestPrepareAuthBasic: lab_host.auth = "basic" is refused, saying why:
// the image's WinRM listener leaves Basic off, so the entry would always
// get 401.
func TestPrepareAuthBasic(t *testing.T) {
	err := new(provisioner.Provisioner).Prepare(map[string]interface{}{"os_profile": "server2022",
		"standard_password": "Config-Test-Passw0rd", "template_name": "t", "lab_host": map[string]interface{}{"auth": "basic"}})
	if !errors.Is(err, provisioner.ErrConfig) || !strings.Contains(err.Error(), `lab_host.auth = "basic" is refused`) ||
		!strings.Contains(err.Error(), "401") {
		t.Fatalf("Prepare with auth basic: %v", err)
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
	want := "admin_password admin_user git_revision install_wait_timeout lab_host lab_yaml_path manifest_path os_profile " +
		"standard_password standard_user template_name"
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
