package remediation

import (
	"github.com/msilab/msilab/win"
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

// installerDefault is the profiles' C:\Windows\Installer ACL (G).
const installerDefault = "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;WD)"

// trustedInstaller is NT SERVICE\TrustedInstaller.
const trustedInstaller = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

// Healthy Installer ACLs that are not our guess: SYSTEM and Administrators
// hold full control, in any spelling; the rest of the guess is not held
// against them. Only a right SYSTEM or Administrators lack is a deviation.
func TestInstallerACLHeldToWhatIsNeeded(t *testing.T) {
	in := Folder{Path: InstallerDir, Default: installerDefault, DefaultGuessed: true}
	for _, c := range []struct {
		name, sddl, why string
	}{
		{"the guess", installerDefault, ""},
		{"split entries, TrustedInstaller, Users read instead of Everyone", "O:" + trustedInstaller + "G:SYD:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)" +
			"(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;FA;;;" + trustedInstaller + ")", ""},
		{"no Everyone entry", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", ""},
		{"inheriting C:\\Windows' entries", "O:SYG:SYD:AI(A;OICIIO;GA;;;CO)(A;OICIIOID;GA;;;SY)(A;ID;0x1301bf;;;SY)(A;OICIIOID;GA;;;BA)(A;ID;0x1301bf;;;BA)", "lacks"},
		{"SYSTEM denied write", "O:SYG:SYD:PAI(D;OICI;0x116;;;SY)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;WD)", "NT AUTHORITY\\SYSTEM lacks"},
		{"Administrators read only", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BA)", "BUILTIN\\Administrators lacks"},
		// SYSTEM's token holds Administrators: both must lose the right.
		{"full control on the folder only", "O:SYG:SYD:PAI(A;;FA;;;SY)(A;;FA;;;BA)", "on its files"},
	} {
		off, why := deviation(in, c.sddl)
		if off != (c.why != "") || !strings.Contains(why, c.why) {
			t.Errorf("%s: deviation = %v %q, want %v %q", c.name, off, why, c.why != "", c.why)
		}
	}
	// The same ACLs held to the guess entry by entry would differ: the
	// comparison by need is what lets them pass.
	if same, _ := sameACL("O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", installerDefault); same {
		t.Error("an ACL without the Everyone entry has the guess's rights")
	}
}

// repairDACL puts back only what is missing, and takes only what is
// over-broad: every other entry of the host's ACL stays.
func TestRepairDACL(t *testing.T) {
	real := "O:SYG:SYD:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;OICI;0x1200a9;;;BU)(A;OICI;FA;;;" + trustedInstaller + ")"
	def := win.MustParseSDDL(installerDefault)
	for _, c := range []struct {
		name, broken, want string
	}{
		{"the fault's deny entry goes", "O:SYG:SYD:PAI(D;OICI;0x116;;;SY)" + real[len("O:SYG:SYD:PAI"):], real},
		{"a deny for Everyone takes SYSTEM's write too", "O:SYG:SYD:PAI(D;OICI;0x2;;;WD)" + real[len("O:SYG:SYD:PAI"):], real},
		{"Administrators read only get full control added", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BA)(A;OICI;FA;;;" + trustedInstaller + ")",
			"O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BA)(A;OICI;FA;;;" + trustedInstaller + ")(A;OICI;FA;;;BA)"},
		{"Everyone full control back to read", "O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;WD)",
			"O:SYG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;WD)"},
		{"a healthy ACL is left alone", real, real},
	} {
		sd := win.MustParseSDDL(c.broken)
		got := win.SecurityDescriptor{Owner: sd.Owner, Group: sd.Group, DACL: repairDACL(sd, def)}
		if got.String() != win.MustParseSDDL(c.want).String() {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
		if miss := missingFullControl(got); len(miss) > 0 {
			t.Errorf("%s: still missing %v", c.name, miss)
		}
		if broad := overBroad(got.String(), installerDefault); len(broad) > 0 {
			t.Errorf("%s: over-broad %v", c.name, broad)
		}
	}
}
