package win

import (
	"errors"
	"slices"
	"testing"
)

func TestSDDLRoundTrip(t *testing.T) {
	cases := []string{
		tempSDDL,
		"O:BAG:SYD:(A;;0x1200a9;;;BU)(D;OICI;FW;;;S-1-5-21-1-2-3-1001)",
		"D:PAI(A;OICIIO;GA;;;CO)(A;;0x1301bf;;;SY)(A;OICIIO;GXGR;;;BU)",
		"O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)",
		"D:NO_ACCESS_CONTROL",
		"O:SYD:",
		"D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;KA;;;BA)(A;CIID;KR;;;BU)",
		"D:P(A;OICINP;FX;;;AU)(A;ID;FR;;;OW)(D;;SD;;;WD)",
	}
	for _, c := range cases {
		sd, err := ParseSDDL(c)
		if err != nil {
			t.Fatalf("ParseSDDL(%q): %v", c, err)
		}
		if got := sd.String(); got != c {
			t.Errorf("round trip:\n got %s\nwant %s", got, c)
		}
	}
}

func TestSDDLCanonicalForms(t *testing.T) {
	cases := map[string]string{
		"D:(A;;0x1f01ff;;;S-1-5-18)":           "D:(A;;FA;;;SY)",
		"D:(A;;FRFW;;;BU)":                     "D:(A;;0x12019f;;;BU)",
		"D:(A;;GRGX;;;BU)":                     "D:(A;;GXGR;;;BU)",
		"D:(A;;1179817;;;BU)":                  "D:(A;;0x1200a9;;;BU)",
		"D:(A;IOCIOI;FA;;;s-1-3-0)":            "D:(A;OICIIO;FA;;;CO)",
		"D:AIP(A;;RCSD;;;WD)":                  "D:PAI(A;;SDRC;;;WD)",
		"G:BUO:BAD:(A;;FA;;;SY)":               "O:BAG:BUD:(A;;FA;;;SY)",
		"O:S-1-0x5-18D:(A;;FA;;;S-1-5-32-544)": "O:SYD:(A;;FA;;;BA)",
	}
	for in, want := range cases {
		sd, err := ParseSDDL(in)
		if err != nil {
			t.Fatalf("ParseSDDL(%q): %v", in, err)
		}
		if got := sd.String(); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}

func TestSDDLParsedValues(t *testing.T) {
	sd := MustParseSDDL(tempSDDL)
	if sd.Owner != SIDSystem || !sd.DACL.Protected() || len(sd.DACL.ACEs) != 4 {
		t.Fatalf("unexpected %+v", sd)
	}
	want := ACE{AccessAllowed, ContainerInherit, Synchronize | FileAddFile | FileAddSubdirectory | FileTraverse, SIDUsers}
	if sd.DACL.ACEs[0] != want {
		t.Errorf("Users ACE = %+v, want %+v", sd.DACL.ACEs[0], want)
	}
	if co := sd.DACL.ACEs[3]; co.Flags != ObjectInherit|ContainerInherit|InheritOnly || co.SID != SIDCreatorOwner {
		t.Errorf("CO ACE = %+v", co)
	}
}

func TestSDDLErrors(t *testing.T) {
	cases := map[string]int{
		"X:SY":                            0,
		"O:":                              2,
		"O:ZZ":                            2,
		"O:S-1-5-":                        2,
		"D:(A;;FA;;;SY":                   2,
		"D:(A;;FA;;SY)":                   2,
		"D:(Q;;FA;;;SY)":                  3,
		"D:(A;XX;FA;;;SY)":                5,
		"D:(A;;ZZ;;;SY)":                  6,
		"D:(A;;0xZZ;;;SY)":                6,
		"D:(A;;FA;{g};;SY)":               9,
		"D:(A;;FA;;;SYX)":                 13,
		"D:(OA;;FA;;;SY)":                 3,
		"D:NO_ACCESS_CONTROL(A;;FA;;;SY)": 19,
		"O:SYO:SY":                        4,
		"D:(A;;FA;;;SY)S:(AU;SA;FA;;;WD":  30,
		"D:Q":                             2,
		"O:S-1-5-99999999999":             2,
	}
	for in, pos := range cases {
		_, err := ParseSDDL(in)
		var se *SDDLError
		if !errors.As(err, &se) {
			t.Errorf("%q: err = %v, want *SDDLError", in, err)
			continue
		}
		if se.Pos != pos {
			t.Errorf("%q: Pos = %d, want %d (%s)", in, se.Pos, pos, se.Msg)
		}
	}
}

func TestICACLS(t *testing.T) {
	sd := MustParseSDDL(tempSDDL)
	got := ICACLS(sd.DACL, nil)
	want := []string{
		`BUILTIN\Users:(CI)(S,WD,AD,X)`,
		`BUILTIN\Administrators:(OI)(CI)(F)`,
		`NT AUTHORITY\SYSTEM:(OI)(CI)(F)`,
		`CREATOR OWNER:(OI)(CI)(IO)(F)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for m, s := range map[AccessMask]string{
		0x1201bf: "RX,W", FileModify: "M", GenericAll: "F", GenericRead | GenericExecute: "GR,GE",
		FileAppendData: "AD", 0: "N", ReadControl | Synchronize | FileReadData | FileReadEA | FileWriteEA | FileExecute | FileDeleteChild: "Rc,S,RD,REA,WEA,X,DC",
	} {
		if got := ICACLSRights(m); got != s {
			t.Errorf("ICACLSRights(%#x) = %s, want %s", uint32(m), got, s)
		}
	}
	deny := ICACLSLine(ACE{AccessDenied, ObjectInherit | ContainerInherit | Inherited, FileGenericWrite, SIDSystem}, DisplayName)
	if deny != `NT AUTHORITY\SYSTEM:(I)(OI)(CI)(DENY)(Rc,S,WD,AD,WEA,WA)` {
		t.Errorf("deny line %s", deny)
	}
}

func TestParseSID(t *testing.T) {
	for in, want := range map[string]SID{"s-1-5-18": SIDSystem, "S-1-0x5-32-544": SIDAdministrators, "S-1-5-21-1-2-3-500": "S-1-5-21-1-2-3-500"} {
		got, err := ParseSID(in)
		if err != nil || got != want {
			t.Errorf("ParseSID(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "S-1", "S-2-5", "S-1-5-x", "S-1-5-4294967296", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"} {
		if _, err := ParseSID(bad); err == nil {
			t.Errorf("ParseSID(%q) accepted", bad)
		}
	}
	if r := SID("S-1-5-21-1-2-3-1001").RID(); r != 1001 {
		t.Errorf("RID = %d", r)
	}
}

func FuzzParseSDDL(f *testing.F) {
	for _, s := range []string{tempSDDL, "D:NO_ACCESS_CONTROL", "O:BAG:SYD:(A;;0x1200a9;;;BU)",
		"D:(D;OICI;FW;;;S-1-5-21-1-2-3-1001)", "D:PAI(A;OICIIO;GXGR;;;BU)", "O:S-1-0x5-18", "(", "D:(A;;;;;)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sd, err := ParseSDDL(s)
		if err != nil {
			var se *SDDLError
			if !errors.As(err, &se) {
				t.Fatalf("error is %T, want *SDDLError", err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Pos %d out of range for %q", se.Pos, s)
			}
			return
		}
		out := sd.String()
		sd2, err := ParseSDDL(out)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", out, s, err)
		}
		if out2 := sd2.String(); out2 != out {
			t.Fatalf("not stable: %q -> %q", out, out2)
		}
	})
}

// A SACL is kept as written, so a descriptor Get-Acl -Audit prints goes
// back unchanged.
func TestSDDLKeepsSACL(t *testing.T) {
	in := "O:BAG:SYD:AI(A;OICIID;FA;;;SY)S:AI(AU;SA;FA;;;WD)"
	sd, err := ParseSDDL(in)
	if err != nil || sd.SACL != "S:AI(AU;SA;FA;;;WD)" || sd.String() != in {
		t.Fatalf("ParseSDDL(%q) = %+v %q, %v", in, sd, sd.String(), err)
	}
	if sd, err := ParseSDDL("S:P(AU;SA;FA;;;WD)O:SY"); err != nil || sd.Owner != SIDSystem || sd.SACL != "S:P(AU;SA;FA;;;WD)" {
		t.Fatalf("SACL first: %+v, %v", sd, err)
	}
}
