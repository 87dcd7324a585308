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

// Every profile's C:\Windows\Temp reads, in icacls, as healthy machines
// print it, split entries included (R: amidaware/tacticalrmm#1238,
// docs/evidence.md#E-temp-default-acl), and grants what the merged
// (OI)(CI)(F) form of the first profiles grants.
func TestProfilesTempACLIsIcaclsOutput(t *testing.T) {
	want := []string{`BUILTIN\Users:(CI)(S,WD,AD,X)`, `BUILTIN\Administrators:(F)`, `BUILTIN\Administrators:(OI)(CI)(IO)(F)`,
		`NT AUTHORITY\SYSTEM:(F)`, `NT AUTHORITY\SYSTEM:(OI)(CI)(IO)(F)`, `CREATOR OWNER:(OI)(CI)(IO)(F)`}
	merged := MustParseSDDL("O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)")
	for _, p := range Profiles() {
		sd := MustParseSDDL(p.TempSDDL)
		if got := ICACLS(sd.DACL, DisplayName); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: icacls\n%s\nwant\n%s", p.Name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if same, why := SameRights(sd, merged, FileMapping); !same {
			t.Errorf("%s: the split form does not grant what the merged one does: %s", p.Name, why)
		}
	}
}
