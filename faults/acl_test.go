package faults

import (
	"encoding/json"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// The default C:\Windows\Temp ACL (R, tacticalrmm#1238), as the simulated profiles have it.
const tempSDDL = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"

func aclProbe(t *testing.T, path, sddl string) Probe {
	t.Helper()
	v, err := json.Marshal(ops.ACL{Path: path, Exists: true, SDDL: sddl})
	if err != nil {
		t.Fatal(err)
	}
	return Probe{{Op: ops.OpACLGet, OK: true, Value: v}}
}

// Revert sends back a DACL that grants what the probed one did, whatever
// spelling the host printed it in (SIDs, hex rights, inherited ACEs, a
// SACL), and only the DACL.
func TestRevertACLKeepsRights(t *testing.T) {
	for _, sddl := range []string{
		tempSDDL,
		"O:S-1-5-18G:S-1-5-18D:PAI(A;CI;0x100026;;;S-1-5-32-545)(A;OICI;0x1f01ff;;;S-1-5-32-544)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)",
		"O:BAG:S-1-5-21-1-2-3-513D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)S:AI(AU;SA;FA;;;WD)",
	} {
		out, err := revertACL(aclProbe(t, TempDir, sddl), 0)
		if err != nil || len(out) != 1 {
			t.Fatalf("revertACL(%s) = %v, %v", sddl, out, err)
		}
		var args ops.ACLSetArgs
		if err := json.Unmarshal(out[0].Args, &args); err != nil {
			t.Fatal(err)
		}
		if len(args.Sections) != 1 || args.Sections[0] != "dacl" {
			t.Errorf("sections %v, want dacl only", args.Sections)
		}
		sent, err := win.ParseSDDL(args.SDDL)
		if err != nil {
			t.Fatalf("sent %q: %v", args.SDDL, err)
		}
		probed := win.MustParseSDDL(sddl)
		probed.Owner = ""
		if same, why := win.SameRights(sent, probed, win.FileMapping); !same || sent.DACL.Flags != probed.DACL.Flags {
			t.Errorf("sent %q for %q: %s", args.SDDL, sddl, why)
		}
	}
	if _, err := revertACL(aclProbe(t, TempDir, "D:(XA;;FA;;;WD;(x))"), 0); err == nil {
		t.Error("an unreadable probed DACL was accepted")
	}
}

// The temp-acl variants with explicit ACEs leave the elevated admin
// READ_CONTROL and WRITE_DAC, so that Revert works (inheritance-broken's
// ACEs come from C:\Windows on the host: TestTempACL checks it there).
func TestTempVariantsKeepAdmin(t *testing.T) {
	base := win.MustParseSDDL(tempSDDL).DACL
	admin := win.NewToken(win.TokenSpec{Kind: win.KindAdminElevated, User: "S-1-5-21-1-2-3-1000", Domain: "S-1-5-21-1-2-3"})
	for _, v := range []string{TempSystemReadOnly, TempUsersWriteRemoved} {
		d := (&TempACL{Variant: v}).broken(base)
		sd := win.MustParseSDDL("O:SYG:SYD:" + d.String())
		if _, ok := win.AccessCheck(&sd, admin, win.ReadControl|win.WriteDAC, win.FileMapping); !ok {
			t.Errorf("%s: %s locks the admin out", v, d)
		}
	}
}

// Each explicit variant takes away the write it names, and the deny ACE
// is added once however often Inject meets it.
func TestTempVariantsBreakWrite(t *testing.T) {
	base := win.MustParseSDDL(tempSDDL)
	for _, c := range []struct {
		variant string
		tok     *win.Token
	}{{TempSystemReadOnly, systemToken}, {TempUsersWriteRemoved, usersToken}} {
		if !canCreateFiles(base, c.tok) {
			t.Fatalf("%s: the default ACL already denies", c.variant)
		}
		sd := base
		sd.DACL = (&TempACL{Variant: c.variant}).broken(base.DACL)
		if canCreateFiles(sd, c.tok) {
			t.Errorf("%s: %s still lets the token write", c.variant, sd)
		}
	}
	once := withFirst(base.DACL, denyWrite(win.SIDSystem))
	if twice := withFirst(once, denyWrite(win.SIDSystem)); len(twice.ACEs) != len(once.ACEs) {
		t.Errorf("deny ACE added twice: %s", twice)
	}
}
