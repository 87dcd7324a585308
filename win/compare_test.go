package win

import (
	"strings"
	"testing"
)

func TestSameRights(t *testing.T) {
	for _, c := range []struct {
		name, have string
		same       bool
		why        string
	}{
		{"itself", tempSDDL, true, ""},
		{"other spellings", "O:S-1-5-18G:S-1-5-21-1-2-3-513D:PAI(A;OICI;0x1f01ff;;;S-1-5-32-544)(A;OICIIO;GA;;;CO)(A;CI;0x100026;;;S-1-5-32-545)(A;OICI;FA;;;SY)", true, ""},
		{"split into OI and CI ACEs", "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OI;FA;;;BA)(A;CI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", true, ""},
		{"merged, as .NET canonicalises", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100004;;;BU)(A;CI;0x100022;;;BU)(A;OICIIO;FA;;;CO)", true, ""},
		{"inherited ACEs are the parent's", tempSDDL + "(A;OICIID;FA;;;WD)", true, ""},
		{"owner", "O:BAG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "owner is BUILTIN\\Administrators"},
		{"inherits", "O:SYG:SYD:AI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "inherits"},
		{"Users lose write", "O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "BUILTIN\\Users on the folder, its subfolders, folders further down: nothing, want allowed (S,WD,AD,X)"},
		{"a deny for SYSTEM", strings.Replace(tempSDDL, "D:PAI", "D:PAI(D;OICI;0x116;;;SY)", 1), false, "NT AUTHORITY\\SYSTEM on the folder, its subfolders, its files, folders further down, files further down: allowed (F) denied (WD,AD,WEA,WA), want allowed (F)"},
		{"Everyone:F", tempSDDL + "(A;OICI;FA;;;WD)", false, "Everyone on the folder, its subfolders, its files, folders further down, files further down: allowed (F), want nothing"},
		{"NP changes what lies further down", strings.Replace(tempSDDL, "(A;CI;0x100026;;;BU)", "(A;CINP;0x100026;;;BU)", 1), false, "folders further down"},
		{"not canonical", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(D;OICI;0x116;;;BU)", false, "canonical"},
		{"NULL DACL", "O:SYG:SYD:NO_ACCESS_CONTROL", false, "NULL"},
	} {
		same, why := SameRights(MustParseSDDL(c.have), MustParseSDDL(tempSDDL), FileMapping)
		if same != c.same || !strings.Contains(why, c.why) {
			t.Errorf("%s: SameRights = %v %q, want %v %q", c.name, same, why, c.same, c.why)
		}
	}
	// An inheriting folder whose default has no explicit ACE (a user's TEMP).
	def := MustParseSDDL("O:S-1-5-21-1-2-3-1001D:")
	if same, why := SameRights(MustParseSDDL("O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;S-1-5-21-1-2-3-1001)"), def, FileMapping); !same {
		t.Errorf("an inheriting TEMP is not its default: %s", why)
	}
	if same, _ := SameRights(MustParseSDDL("O:S-1-5-21-1-2-3-1001D:(D;OICI;0x116;;;S-1-5-21-1-2-3-1001)(A;OICIID;FA;;;SY)"), def, FileMapping); same {
		t.Error("a deny ACE is the default")
	}
}

// Grants agree with the access check on the folder itself for the rights
// one trustee's ACEs alone decide.
func TestGrantsScopes(t *testing.T) {
	g := GrantsOf(MustParseSDDL(tempSDDL).DACL.ACEs, FileMapping)
	if r := g.Of(SIDUsers, ScopeSelf); r.Allow != 0x100026 || r.Deny != 0 {
		t.Errorf("Users on Temp: %s", r)
	}
	if r := g.Of(SIDUsers, ScopeChildFiles); r != (Rights{}) {
		t.Errorf("Users on Temp's files: %s", r)
	}
	if r := g.Of(SIDCreatorOwner, ScopeSelf); r != (Rights{}) {
		t.Errorf("CREATOR OWNER on Temp itself: %s", r)
	}
	if r := g.Of(SIDCreatorOwner, ScopeDeepFiles); r.Allow != FileAllAccess {
		t.Errorf("CREATOR OWNER further down: %s", r)
	}
}

// Meaning is the same for spellings of one descriptor, and differs when
// the rights do.
func TestMeaning(t *testing.T) {
	same := []string{tempSDDL,
		"O:S-1-5-18G:S-1-5-18D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;CI;0x100004;;;BU)(A;CI;0x100022;;;BU)(A;OICIIO;GA;;;CO)"}
	want := strings.Join(Meaning(MustParseSDDL(tempSDDL)), "\n")
	for _, s := range same {
		if got := strings.Join(Meaning(MustParseSDDL(s)), "\n"); got != want {
			t.Errorf("Meaning(%s) =\n%s\nwant\n%s", s, got, want)
		}
	}
	for _, s := range []string{
		strings.Replace(tempSDDL, "D:PAI", "D:AI", 1),
		strings.Replace(tempSDDL, "(A;CI;0x100026;;;BU)", "", 1),
		tempSDDL + "(A;OICIID;FA;;;WD)",
		strings.Replace(tempSDDL, "O:SY", "O:BA", 1),
	} {
		if got := strings.Join(Meaning(MustParseSDDL(s)), "\n"); got == want {
			t.Errorf("Meaning(%s) equals the default's", s)
		}
	}
}
