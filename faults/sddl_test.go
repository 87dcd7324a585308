package faults

import (
	"testing"

	"github.com/msilab/msilab/win"
)

// The default C:\Windows\Temp ACL (R, tacticalrmm#1238), as the simulated profiles have it.
const tempSDDL = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"

func TestSplitSDDL(t *testing.T) {
	for _, tc := range []struct{ in, owner, group, dacl string }{
		{tempSDDL, "SY", "SY", "D:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"},
		{"O:BAG:S-1-5-21-1-2-3-513D:AI(A;OICIID;FA;;;SY)S:AI(AU;SA;FA;;;WD)", "BA", "S-1-5-21-1-2-3-513", "D:AI(A;OICIID;FA;;;SY)"},
		{"D:AI", "", "", "D:AI"},
		{"O:S-1-5-18D:P", "S-1-5-18", "", "D:P"},
	} {
		got, err := splitSDDL(tc.in)
		if err != nil || got.Owner != tc.owner || got.Group != tc.group || got.DACL != tc.dacl {
			t.Errorf("splitSDDL(%q) = %+v, %v", tc.in, got, err)
		}
		if tc.dacl == "" {
			continue
		}
		d, err := parseDACL(got.DACL)
		if err != nil || d.String() != tc.dacl {
			t.Errorf("parseDACL(%q) = %q, %v", got.DACL, d.String(), err)
		}
	}
	for _, bad := range []string{"x:SY", "D:(A;;FA;;;SY", "D:PAI(A;;FA)", "D:P)("} {
		if _, err := daclOf(bad); err == nil {
			t.Errorf("daclOf(%q) accepted", bad)
		}
	}
}

func TestACEMask(t *testing.T) {
	for rights, want := range map[string]uint32{
		"FA": 0x1F01FF, "0x116": 0x116, "0x100001": 0x100001, "GA": 0x1F01FF, "GRGX": 0x1200A9,
		"GW": 0x120116, "RCWD": 0x60000, "1179817": 0x1200A9,
	} {
		a := newACE("A", "", rights, "SY")
		if got, err := a.mask(); err != nil || got != want {
			t.Errorf("mask(%s) = %#x, %v; want %#x", rights, got, err, want)
		}
	}
	if _, err := newACE("A", "", "ZZ", "SY").mask(); err == nil {
		t.Errorf("mask(ZZ) accepted")
	}
}

// canCreateFiles agrees with the model's access check (an implementation
// of [MS-DTYP] 2.5.3.2) on the DACLs the faults make and meet.
func TestCanCreateFilesAgreesWithAccessCheck(t *testing.T) {
	base, err := daclOf(tempSDDL)
	if err != nil {
		t.Fatal(err)
	}
	dacls := []string{tempSDDL, "O:SYG:SYD:AI(A;OICIID;GA;;;SY)(A;OICIIO;GXGR;;;BU)(A;ID;0x1200a9;;;BU)",
		// From the engine's tests: read-only ACEs, and a deny for Administrators.
		"O:SYG:SYD:PAI(A;OICI;0x1200a9;;;SY)(A;OICI;0x1200a9;;;BA)(A;CI;0x100026;;;BU)(A;OICIIO;FA;;;CO)",
		"O:SYG:SYD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(D;OICI;0x116;;;BA)",
	}
	for _, v := range tempVariants {
		dacls = append(dacls, "O:SYG:SY"+(&TempACL{Variant: v}).broken(base).String())
	}
	dacls = append(dacls, "O:SYG:SY"+base.withFirst(denyWrite("SY")).String())
	user := win.SID("S-1-5-21-1-2-3-1001")
	for _, tc := range []struct {
		name string
		tok  *win.Token
		sids []string
	}{
		{"system", win.SystemToken(), systemSIDs},
		{"standard user", win.NewToken(win.TokenSpec{Kind: win.KindStandardUser, User: user, Domain: "S-1-5-21-1-2-3"}),
			append([]string{string(user)}, usersSIDs...)},
	} {
		for _, s := range dacls {
			sd := win.MustParseSDDL(s)
			_, want := win.AccessCheck(&sd, tc.tok, win.FileAddFile, win.FileMapping)
			d, err := daclOf(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := canCreateFiles(d, tc.sids...); got != want {
				t.Errorf("%s on %s: canCreateFiles %v, AccessCheck %v", tc.name, s, got, want)
			}
		}
	}
}

// The temp-acl variants with explicit ACEs leave the elevated admin
// READ_CONTROL and WRITE_DAC, so that Revert works (inheritance-broken's
// ACEs come from C:\Windows on the host: TestTempACL checks it there).
func TestTempVariantsKeepAdmin(t *testing.T) {
	base, err := daclOf(tempSDDL)
	if err != nil {
		t.Fatal(err)
	}
	admin := win.NewToken(win.TokenSpec{Kind: win.KindAdminElevated, User: "S-1-5-21-1-2-3-1000", Domain: "S-1-5-21-1-2-3"})
	for _, v := range []string{TempSystemReadOnly, TempUsersWriteRemoved} {
		d := (&TempACL{Variant: v}).broken(base)
		sd := win.MustParseSDDL("O:SYG:SY" + d.String())
		if _, ok := win.AccessCheck(&sd, admin, win.ReadControl|win.WriteDAC, win.FileMapping); !ok {
			t.Errorf("%s: %s locks the admin out", v, d)
		}
	}
}
