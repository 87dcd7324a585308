package provisioner

import (
	"strings"
	"testing"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/lab/ops"
)

func TestEndpointOf(t *testing.T) {
	for _, tc := range []struct {
		data map[string]interface{}
		want string
	}{
		{map[string]interface{}{"Host": "10.0.0.5", "Port": 5986}, "https://10.0.0.5:5986/wsman"},
		{map[string]interface{}{"Host": "10.0.0.5", "Port": float64(5985)}, "http://10.0.0.5:5985/wsman"},
		{map[string]interface{}{"Host": "fe80::1", "Port": "5986"}, "https://[fe80::1]:5986/wsman"},
		{map[string]interface{}{"Host": "", "Port": 5986}, ""},
		{nil, ""},
	} {
		if got := endpointOf(tc.data); got != tc.want {
			t.Errorf("endpointOf(%v) = %q, want %q", tc.data, got, tc.want)
		}
	}
}

// TestCheckHost: the host must be the template's OS profile (build,
// client or server) and the session elevated.
func TestCheckHost(t *testing.T) {
	win11 := ops.HostInfo{Build: "10.0.26100.2605", Edition: "EnterpriseEval", Elevated: true}
	server2025 := ops.HostInfo{Build: "10.0.26100.1742", Edition: "ServerStandardEval", Elevated: true}
	for _, tc := range []struct {
		profile string
		info    ops.HostInfo
		want    string // "" = accepted
	}{
		{"win11-24h2", win11, ""},
		{"server2025", server2025, ""},
		{"win11-24h2", server2025, "is a client edition"},
		{"server2025", win11, "is a server edition"},
		{"server2022", server2025, "not server2022's 10.0.20348"},
		{"win11-24h2", ops.HostInfo{Build: "10.0.26100.1", Elevated: false, User: `H\msilab`}, `H\msilab is not elevated`},
		{"win11-24h2", ops.HostInfo{Build: "10.0.26100.1", Elevated: true, Profile: "server2025"}, "simulated server2025, not win11-24h2"},
		{"nope", win11, `unknown OS profile "nope"`},
	} {
		err := checkHost(tc.profile, tc.info)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %+v: %v", tc.profile, tc.info, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %+v: %v, want an error with %q", tc.profile, tc.info, err, tc.want)
		}
	}
}

func TestNotCleanError(t *testing.T) {
	err := &NotCleanError{
		Found:     []Finding{{"disable-msi", `DisableMSI = 2`, `{"value":2}`}, {"mutex-held", "held", "{}"}},
		Unchecked: []Finding{{Fault: "installer-acl", Evidence: "no folder"}},
	}
	want := "the image is not clean: 2 fault(s) present:\n  - disable-msi: DisableMSI = 2 ({\"value\":2})\n  - mutex-held: held\n" +
		"and 1 fault(s) could not be checked:\n  - installer-acl: no folder"
	if err.Error() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", err.Error(), want)
	}
}

func TestBareUser(t *testing.T) {
	for in, want := range map[string]string{`HOST\msilab`: "msilab", "msilab@lab.local": "msilab", "msilab": "msilab"} {
		if got := bareUser(in); got != want {
			t.Errorf("bareUser(%q) = %q", in, got)
		}
	}
}

// The lab.yaml entry names the snapshot driver of the builder the image
// was built with, or says which settings it still needs.
func TestLabYAMLSnapshotDriver(t *testing.T) {
	m := &manifest.Manifest{}
	m.Lab.AdminUser, m.Lab.StandardUser.Name = "msilab", "msilab-user"
	for _, tc := range []struct {
		builder  string
		settings map[string]string
		driver   string
		comment  string
	}{
		{"qemu", nil, "libvirt", "driver libvirt, for Packer's qemu builder"},
		{"vsphere-iso", nil, "none", "needs lab_host.snapshot_settings url, user_env, password_env"},
		{"vsphere-iso", map[string]string{"url": "https://vc.lab/sdk", "user_env": "VC_USER", "password_env": "VC_PASSWORD"}, "vsphere", "driver vsphere"},
		{"hyperv-iso", map[string]string{"host": "hv1"}, "hyperv", `Add the Hyper-V host "hv1"`},
		{"null", nil, "none", "driver none reverts faults only"},
	} {
		cfg := &Config{OSProfile: "win11-24h2", LabYAMLPath: "lab.yaml"}
		cfg.PackerBuilderType = tc.builder
		cfg.LabHost = LabHost{Name: "win11-a", Endpoint: "http://10.0.0.5:5985/wsman", Auth: "ntlm", PasswordEnv: "PW",
			StandardPasswordEnv: "SPW", SnapshotSettings: tc.settings}
		data, err := labYAML(cfg, m, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.builder, err)
			continue
		}
		if !strings.Contains(string(data), "driver: "+tc.driver) || !strings.Contains(string(data), tc.comment) {
			t.Errorf("%s: want driver %s and %q in:\n%s", tc.builder, tc.driver, tc.comment, data)
		}
	}
}
