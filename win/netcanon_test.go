package win

import (
	"slices"
	"testing"
)

// TestNETCanonicalTempDACL shows what a .NET write (Get-Acl, Set-Acl)
// does to C:\Windows\Temp's default DACL: its split ACEs are merged and
// sorted by SID, so icacls prints other lines, while the rights are the
// same. acl.set applies the exact SDDL instead (lab/sim TestACLSetExactOrder).
func TestNETCanonicalTempDACL(t *testing.T) {
	for _, p := range Profiles() {
		sd := MustParseSDDL(p.TempSDDL)
		canon := sd.Clone()
		canon.DACL = NETCanonicalDACL(sd.DACL, true)
		before, after := ICACLS(sd.DACL, DisplayName), ICACLS(canon.DACL, DisplayName)
		if slices.Equal(before, after) {
			t.Errorf("%s: the canonical rewrite prints the same icacls lines %q", p.Name, before)
		}
		if len(canon.DACL.ACEs) >= len(sd.DACL.ACEs) {
			t.Errorf("%s: nothing merged: %s", p.Name, canon.DACL)
		}
		if ok, why := SameRights(canon, sd, FileMapping); !ok {
			t.Errorf("%s: the canonical rewrite grants other rights: %s", p.Name, why)
		}
		if !slices.Equal(Meaning(canon), Meaning(sd)) {
			t.Errorf("%s: meanings differ:\n%q\n%q", p.Name, Meaning(canon), Meaning(sd))
		}
	}
	got := NETCanonicalDACL(MustParseSDDL("D:PAI(A;CI;0x100026;;;BU)(A;;FA;;;BA)(A;OICIIO;FA;;;BA)(A;;FA;;;SY)(A;OICIIO;FA;;;SY)(A;OICIIO;FA;;;CO)").DACL, true)
	if want := "D:PAI(A;OICIIO;FA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100026;;;BU)"; "D:"+got.String() != want && got.String() != want {
		t.Errorf("canonical Temp DACL %s, want %s", got, want)
	}
}

// TestNETCanonicalRules checks the other rules of CommonAcl: deny before
// allow, a non-canonical ACL left alone, inherited ACEs kept in order,
// meaningless ACEs and flags dropped.
func TestNETCanonicalRules(t *testing.T) {
	for _, tc := range []struct {
		in, want  string
		container bool
	}{
		// Sorted by SID within the allow group; inherited ACEs untouched.
		{"D:(A;;FA;;;BU)(A;;FA;;;SY)(A;ID;FA;;;BU)(A;ID;FA;;;SY)", "D:(A;;FA;;;SY)(A;;FA;;;BU)(A;ID;FA;;;BU)(A;ID;FA;;;SY)", true},
		// Not canonical (an allow before a deny): left in its order.
		{"D:(A;;FA;;;SY)(D;;FA;;;BU)", "D:(A;;FA;;;SY)(D;;FA;;;BU)", true},
		// Same flags: masks added.
		{"D:(A;;FR;;;BU)(A;;FW;;;BU)", "D:(A;;0x12019f;;;BU)", true},
		// Zero mask and inherit-only without OI/CI dropped; NP alone cleared.
		{"D:(A;;0x0;;;BU)(A;IO;FA;;;SY)(A;NP;FA;;;BA)", "D:(A;;FA;;;BA)", true},
		// On a file, inheritance flags go and inherit-only ACEs too.
		{"D:(A;OICI;FA;;;BA)(A;OICIIO;FA;;;CO)", "D:(A;;FA;;;BA)", false},
		// CI and OI of one mask are one OICI ACE.
		{"D:(A;CI;FA;;;BA)(A;OI;FA;;;BA)", "D:(A;OICI;FA;;;BA)", true},
		// CI|NP and OIIO cover no single flag set: kept apart.
		{"D:(A;CINP;FA;;;BA)(A;OIIO;FA;;;BA)", "D:(A;NPCI;FA;;;BA)(A;OIIO;FA;;;BA)", true},
	} {
		sd := MustParseSDDL(tc.in)
		got := NETCanonicalDACL(sd.DACL, tc.container)
		want := MustParseSDDL(tc.want).DACL
		if got.String() != want.String() {
			t.Errorf("%s (container %v): got %s, want %s", tc.in, tc.container, got, want)
		}
	}
}

// TestCompareSIDs checks .NET's SID order: authority, then length, then
// sub-authorities.
func TestCompareSIDs(t *testing.T) {
	sorted := []SID{"S-1-1-0", "S-1-3-0", "S-1-5-18", "S-1-5-32-544", "S-1-5-32-545", "S-1-5-21-1-2-3-500", "S-1-5-21-1-2-3-1000"}
	for i := range sorted {
		for j := range sorted {
			c := CompareSIDs(sorted[i], sorted[j])
			if (i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0) {
				t.Errorf("CompareSIDs(%s, %s) = %d", sorted[i], sorted[j], c)
			}
		}
	}
}
