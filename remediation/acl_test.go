package remediation

import (
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
)

const tempDefault = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"

func TestSameSD(t *testing.T) {
	for _, c := range []struct {
		actual string
		same   bool
		why    string
	}{
		{tempDefault, true, ""},
		// What Windows may print for the same descriptor: SIDs, hex
		// rights, GA on the inherit-only ACE, another order, another group.
		{"O:S-1-5-18G:S-1-5-21-1-2-3-513D:PAI(A;OICI;0x1f01ff;;;S-1-5-32-544)(A;OICIIO;GA;;;CO)(A;CI;0x100026;;;S-1-5-32-545)(A;OICI;FA;;;SY)", true, ""},
		{"O:BAG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "owner"},
		{"O:SYG:SYD:AI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "inherits"},
		{"O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "explicit ACEs"},
		{"O:SYG:SYD:PAI(D;OICI;0x116;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", false, "explicit ACEs"},
		{tempDefault + "(A;OICI;FA;;;WD)", false, "explicit ACEs"},
		{"O:SYG:SYD:NO_ACCESS_CONTROL", false, "NULL"},
		{"not sddl", false, "cannot read"},
	} {
		same, why := sameACL(c.actual, tempDefault)
		if same != c.same || !strings.Contains(why, c.why) {
			t.Errorf("sameACL(%s) = %v %q, want %v %q", c.actual, same, why, c.same, c.why)
		}
	}
	// A user's TEMP: inheriting, no explicit ACE.
	def := "O:S-1-5-21-1-2-3-1001D:"
	if same, why := sameACL("O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;S-1-5-21-1-2-3-1001)", def); !same {
		t.Errorf("an inheriting TEMP is not its default: %s", why)
	}
	if same, _ := sameACL("O:S-1-5-21-1-2-3-1001D:(D;OICI;0x116;;;S-1-5-21-1-2-3-1001)(A;OICIID;FA;;;SY)", def); same {
		t.Error("a deny ACE is the default")
	}
}

func TestOverBroadAndAccess(t *testing.T) {
	if got := overBroad(tempDefault, tempDefault); got != nil {
		t.Errorf("the default is over-broad: %v", got)
	}
	got := overBroad(tempDefault+"(A;OICI;FA;;;WD)", tempDefault)
	if len(got) != 3 || !strings.Contains(got[0], "Everyone") {
		t.Errorf("Everyone:F = %v, want Everyone on the folder, subfolders and files", got)
	}
	// Users gaining write on files (OI): the default gives them CI only.
	got = overBroad("O:SYG:SYD:PAI(A;OICI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", tempDefault)
	if len(got) != 1 || !strings.Contains(got[0], "BUILTIN\\Users") || !strings.Contains(got[0], "files") {
		t.Errorf("Users (OI)(CI) write = %v", got)
	}
	if got := overBroad("O:SYG:SYD:NO_ACCESS_CONTROL", ""); len(got) != 1 {
		t.Errorf("NULL DACL = %v", got)
	}
	sys := contextToken(ops.ContextSystem, "")
	users := contextToken(ops.ContextStandardUser, "S-1-5-21-1-2-3-1001")
	for _, c := range []struct {
		sddl       string
		sys, users bool
	}{
		{tempDefault, true, true},
		{"O:SYG:SYD:PAI(D;OICI;0x116;;;SY)(A;OICI;0x100001;;;SY)(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICIIO;FA;;;CO)", false, true},
		{"O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)", true, false},
		{"O:SYG:SYD:AI(A;OICIIO;GA;;;CO)(A;OICIIOID;GXGR;;;BU)(A;ID;0x1200a9;;;BU)(A;ID;0x1301bf;;;SY)", true, false},
	} {
		if got := canCreateFiles(c.sddl, sys); got != c.sys {
			t.Errorf("SYSTEM in %s: %v, want %v", c.sddl, got, c.sys)
		}
		if got := canCreateFiles(c.sddl, users); got != c.users {
			t.Errorf("a standard user in %s: %v, want %v", c.sddl, got, c.users)
		}
	}
}
