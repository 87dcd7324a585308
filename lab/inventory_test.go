package lab_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
)

var oses = []string{"win11-24h2", "server2022"}

const goodHost = "hosts:\n  - name: a\n    os: win11-24h2\n    endpoint: https://10.0.0.5:5986/wsman\n    user: msilab\n    password_env: PW\n    insecure: true\n"

// lab.yaml's mistakes are told in lab.yaml's words: the key, the line,
// the type as YAML says it; never a Go type.
func TestInventoryErrors(t *testing.T) {
	if _, err := lab.ParseInventory("lab.yaml", []byte(goodHost), oses); err != nil {
		t.Fatalf("a good inventory: %v", err)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "lab.yaml:1: empty file"},
		{"only a comment", "# nothing\n", "lab.yaml:1: empty file"},
		{"unknown host key", goodHost + "    colour: red\n", `lab.yaml:8: unknown key "colour" in host 1 (known: name, os,`},
		{"unknown top key", "hostz: []\n", `lab.yaml:1: unknown key "hostz" at the top (known: hosts)`},
		{"unknown snapshot key", goodHost + "    snapshot: {driver: none, nmae: x}\n", `lab.yaml:8: unknown key "nmae" in host 1's snapshot (known: driver, name, ready_timeout, settings)`},
		{"repeated key", goodHost + "    user: other\n", `lab.yaml:8: user is set twice in host 1 (first on line 5)`},
		{"wrong type", strings.Replace(goodHost, "insecure: true", "insecure: maybe", 1), `lab.yaml:7: insecure: expected true or false, got a string (maybe)`},
		{"hosts not a list", "hosts:\n  name: a\n", `lab.yaml:2: hosts: expected a list, got a mapping`},
		{"syntax", "hosts: [\n", `lab.yaml:1: YAML syntax: `},
		{"password in the URL", strings.Replace(goodHost, "https://10.0.0.5", "https://msilab:Hunter2@10.0.0.5", 1),
			`lab.yaml:2: host "a": endpoint "https://msilab:xxxxx@10.0.0.5:5986/wsman" carries credentials`},
		{"basic over http", strings.Replace(strings.Replace(goodHost, "https://10.0.0.5:5986", "http://10.0.0.5:5985", 1), "insecure: true", "auth: basic", 1),
			`lab.yaml:2: host "a": auth: basic over plain HTTP sends the password in clear`},
	} {
		_, err := lab.ParseInventory("lab.yaml", []byte(tc.data), oses)
		var ie *lab.InventoryError
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !errors.As(err, &ie) {
			t.Errorf("%s: %v\nwant %s...", tc.name, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "lab.HostSpec") || strings.Contains(err.Error(), "Hunter2")) {
			t.Errorf("%s: %v names a Go type or shows the password", tc.name, err)
		}
	}
	// Basic over plain HTTP, allowed explicitly (and flagged for a warning).
	inv, err := lab.ParseInventory("lab.yaml", []byte(strings.Replace(strings.Replace(goodHost, "https://10.0.0.5:5986", "http://10.0.0.5:5985", 1),
		"insecure: true", "auth: basic\n    allow_basic_over_http: true", 1)), oses)
	if err != nil || !inv.Hosts[0].BasicOverHTTP() {
		t.Errorf("allow_basic_over_http: %v", err)
	}
}
