package win

import (
	"strings"
	"testing"
)

func TestAccessCheckTable(t *testing.T) {
	tok := testTokens()
	const (
		add  = FileAddFile
		list = FileListDirectory
	)
	brokenExtra := strings.Replace(tempSDDL, "D:PAI", "D:PAI(A;OICI;0x100001;;;SY)", 1)
	denySys := strings.Replace(tempSDDL, "D:PAI", "D:PAI(D;OICI;0x100116;;;SY)", 1)
	noSys := strings.Replace(tempSDDL, "(A;OICI;FA;;;SY)", "", 1)
	noSysNoBA := strings.Replace(noSys, "(A;OICI;FA;;;BA)", "", 1)
	noUsers := strings.Replace(tempSDDL, "(A;CI;0x100026;;;BU)", "", 1)
	cases := []struct {
		name string
		sddl string
		tok  TokenKind
		want AccessMask
		ok   bool
	}{
		{"temp: SYSTEM creates a file", tempSDDL, KindSystem, add, true},
		{"temp: user creates a file via the CI Users ACE", tempSDDL, KindStandardUser, add, true},
		{"temp: user creates a subfolder", tempSDDL, KindStandardUser, FileAddSubdirectory, true},
		{"temp: user cannot list", tempSDDL, KindStandardUser, list, false},
		{"temp: filtered admin creates via Users", tempSDDL, KindAdminFiltered, add, true},
		{"temp: filtered admin cannot list (BA deny-only)", tempSDDL, KindAdminFiltered, list, false},
		{"temp: elevated admin lists", tempSDDL, KindAdminElevated, list, true},
		{"broken: extra SYSTEM (S,RD) ACE, SYSTEM still writes", brokenExtra, KindSystem, add | FileWriteData, true},
		{"broken: deny write for SYSTEM", denySys, KindSystem, add, false},
		{"broken: deny write for SYSTEM, read still ok", denySys, KindSystem, list, true},
		{"broken: SYSTEM ACE removed, SYSTEM writes via Administrators", noSys, KindSystem, add, true},
		{"broken: SYSTEM and Administrators ACEs removed", noSysNoBA, KindSystem, list, false},
		{"broken: Users ACE removed, user denied", noUsers, KindStandardUser, add, false},
		{"BA-only ACE: filtered admin denied (deny-only)", "D:(A;;FA;;;BA)", KindAdminFiltered, FileReadData, false},
		{"BA-only ACE: elevated admin granted", "D:(A;;FA;;;BA)", KindAdminElevated, FileReadData, true},
		{"deny BA hits a filtered admin", "D:(D;;0x100116;;;BA)(A;;FA;;;WD)", KindAdminFiltered, FileWriteData, false},
		{"deny BA leaves reads to a filtered admin", "D:(D;;0x100116;;;BA)(A;;FA;;;WD)", KindAdminFiltered, FileReadData, true},
		{"deny BA does not touch a standard user", "D:(D;;0x100116;;;BA)(A;;FA;;;WD)", KindStandardUser, FileWriteData, true},
		{"allow before deny wins", "D:(A;;FA;;;BU)(D;;FA;;;BU)", KindStandardUser, FileWriteData, true},
		{"deny for other bits does not apply", "D:(D;;0x2;;;BU)(A;;FR;;;WD)", KindStandardUser, FileGenericRead, true},
		{"null DACL grants all", "O:SYD:NO_ACCESS_CONTROL", KindStandardUser, FileAllAccess, true},
		{"empty DACL grants nothing", "O:SYD:", KindSystem, FileReadData, false},
		{"owner gets READ_CONTROL|WRITE_DAC on an empty DACL", "O:" + string(testUser) + "D:", KindStandardUser, ReadControl | WriteDAC, true},
		{"owner gets no data access on an empty DACL", "O:" + string(testUser) + "D:", KindStandardUser, FileReadData, false},
		{"OWNER RIGHTS ACE replaces the implicit rights", "O:" + string(testUser) + "D:(A;;FR;;;OW)", KindStandardUser, WriteDAC, false},
		{"OWNER RIGHTS ACE grants the owner", "O:" + string(testUser) + "D:(A;;FR;;;OW)", KindStandardUser, FileReadData, true},
		{"elevated admin owns through BA", "O:BAD:", KindAdminElevated, WriteDAC, true},
		{"filtered admin does not own through BA", "O:BAD:", KindAdminFiltered, WriteDAC, false},
		{"generic read ACE grants FR", "D:(A;;GR;;;BU)", KindStandardUser, FileReadData | FileReadAttributes, true},
		{"generic request is mapped", "D:(A;;FR;;;BU)", KindStandardUser, GenericRead, true},
		{"generic write request denied", "D:(A;;FR;;;BU)", KindStandardUser, GenericWrite, false},
		{"inherit-only ACE is skipped", "D:(A;OICIIO;FA;;;BU)", KindStandardUser, FileReadData, false},
		{"CREATOR OWNER never matches directly", "O:" + string(testUser) + "D:(A;;FA;;;CO)", KindStandardUser, FileReadData, false},
		{"INTERACTIVE matches a scheduled-task token", "D:(A;;FA;;;IU)", KindStandardUser, FileReadData, true},
		{"INTERACTIVE does not match the WinRM token", "D:(A;;FA;;;IU)", KindAdminElevated, FileReadData, false},
		{"NETWORK matches the WinRM token", "D:(A;;FA;;;NU)", KindAdminElevated, FileReadData, true},
	}
	for _, c := range cases {
		sd, err := ParseSDDL(c.sddl)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, ok := AccessCheck(&sd, tok[c.tok], c.want, FileMapping)
		if ok != c.ok {
			t.Errorf("%s: %s wants %#x: ok=%v, want %v", c.name, c.tok, uint32(c.want), ok, c.ok)
		}
	}
}

func TestAccessCheckMaximumAllowed(t *testing.T) {
	tok := testTokens()
	cases := []struct {
		sddl string
		kind TokenKind
		want AccessMask
	}{
		{"D:(D;;0x100116;;;BU)(A;;FA;;;BU)", KindStandardUser, FileAllAccess &^ 0x100116},
		{"D:(A;;FR;;;BU)(D;;FA;;;BU)", KindStandardUser, FileGenericRead},
		{tempSDDL, KindStandardUser, 0x100026},
		{tempSDDL, KindSystem, FileAllAccess},
		{"D:(A;;GR;;;WD)", KindAdminFiltered, FileGenericRead},
		{"O:" + string(testUser) + "D:", KindStandardUser, ReadControl | WriteDAC},
		{"D:NO_ACCESS_CONTROL", KindStandardUser, FileAllAccess},
	}
	for _, c := range cases {
		sd := MustParseSDDL(c.sddl)
		got, _ := AccessCheck(&sd, tok[c.kind], MaximumAllowed, FileMapping)
		if got != c.want {
			t.Errorf("%s %s: MAXIMUM_ALLOWED = %#x, want %#x", c.sddl, c.kind, uint32(got), uint32(c.want))
		}
	}
}

func TestTokens(t *testing.T) {
	tok := testTokens()
	if !tok[KindAdminElevated].IsAdmin() || tok[KindAdminFiltered].IsAdmin() || tok[KindStandardUser].IsAdmin() || !tok[KindSystem].IsAdmin() {
		t.Error("IsAdmin wrong")
	}
	f := tok[KindAdminFiltered]
	if !f.MatchesDeny(SIDAdministrators) || f.Enabled(SIDAdministrators) || f.Integrity != IntegrityMedium {
		t.Error("filtered admin: Administrators must be deny-only at Medium IL")
	}
	if tok[KindAdminElevated].Owner != SIDAdministrators || tok[KindStandardUser].Owner != testUser {
		t.Error("default owners")
	}
	if !tok[KindStandardUser].Enabled(SIDInteractive) || !tok[KindAdminElevated].Enabled(SIDNetwork) {
		t.Error("logon groups")
	}
}
