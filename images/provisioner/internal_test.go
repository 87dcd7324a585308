package provisioner

import (
	"strings"
	"testing"

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
		Found:     []Finding{{"disable-msi", `DisableMSI = 2`}, {"mutex-held", "held"}},
		Unchecked: []Finding{{"installer-acl", "no folder"}},
	}
	want := "the image is not clean: 2 fault(s) present:\n  - disable-msi: DisableMSI = 2\n  - mutex-held: held\n" +
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
