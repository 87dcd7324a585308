package win

import (
	"strings"
	"testing"
)

func TestParseProfileStrict(t *testing.T) {
	data, _ := profileFiles.ReadFile("profiles/win10-22h2.yaml")
	if _, err := parseProfile("win10-22h2.yaml", append(data, []byte("\nsurprise: 1\n")...)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := parseProfile("other.yaml", data); err == nil {
		t.Error("name/file mismatch accepted")
	}
	bad := strings.Replace(string(data), "edition: client", "edition: desktop", 1)
	if _, err := parseProfile("win10-22h2.yaml", []byte(bad)); err == nil {
		t.Error("bad edition accepted")
	}
	bad = strings.Replace(string(data), "(A;CI;0x100026;;;BU)", "(A;CI;0x100026;;;ZZ)", 1)
	if _, err := parseProfile("win10-22h2.yaml", []byte(bad)); err == nil {
		t.Error("bad SDDL accepted")
	}
}
