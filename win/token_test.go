package win

import "testing"

// TestTokenLogonGroups checks that a token carries exactly the logon group
// Windows assigns to its logon type, and LOCAL unless it came over the
// network.
func TestTokenLogonGroups(t *testing.T) {
	groups := []SID{SIDInteractive, SIDBatch, SIDNetwork, SIDService}
	for _, tc := range []struct {
		kind  TokenKind
		logon LogonType
		want  SID
		local bool
	}{
		{KindStandardUser, LogonDefault, SIDInteractive, true},
		{KindStandardUser, LogonInteractive, SIDInteractive, true},
		{KindStandardUser, LogonBatch, SIDBatch, true},
		{KindStandardUser, LogonNetwork, SIDNetwork, false},
		{KindStandardUser, LogonService, SIDService, true},
		{KindAdminFiltered, LogonDefault, SIDInteractive, true},
		{KindAdminFiltered, LogonBatch, SIDBatch, true},
		{KindAdminElevated, LogonDefault, SIDNetwork, false},
		{KindAdminElevated, LogonInteractive, SIDInteractive, true},
	} {
		tok := NewToken(TokenSpec{Kind: tc.kind, User: testUser, Domain: testDomain, Logon: tc.logon})
		for _, g := range groups {
			if got := tok.Enabled(g); got != (g == tc.want) {
				t.Errorf("%s %s logon: group %s enabled = %v, want %v", tc.kind, tc.logon, g, got, g == tc.want)
			}
		}
		if got := tok.Enabled(SIDLocal); got != tc.local {
			t.Errorf("%s %s logon: LOCAL enabled = %v, want %v", tc.kind, tc.logon, got, tc.local)
		}
		if got := tok.Enabled(SIDConsoleLogon); got != (tc.want == SIDInteractive) {
			t.Errorf("%s %s logon: CONSOLE LOGON enabled = %v", tc.kind, tc.logon, got)
		}
	}
	if tok := SystemToken(); tok.Enabled(SIDBatch) || tok.Enabled(SIDNetwork) || tok.Enabled(SIDInteractive) {
		t.Errorf("SYSTEM's token carries a logon group: %v", tok.Groups)
	}
}
