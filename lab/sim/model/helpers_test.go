package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"testing"
)

// tempSDDL is the healthy C:\Windows\Temp ACL of docs/evidence.md#E-temp-default-acl (R, tacticalrmm#1238).
const tempSDDL = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"

const testDomain win.SID = "S-1-5-21-1-2-3"

var (
	testAdmin = testDomain.WithRID(1000)
	testUser  = testDomain.WithRID(1001)
)

func testTokens() map[win.TokenKind]*win.Token {
	return map[win.TokenKind]*win.Token{
		win.KindSystem:        win.SystemToken(),
		win.KindAdminElevated: win.NewToken(win.TokenSpec{Kind: win.KindAdminElevated, User: testAdmin, Domain: testDomain}),
		win.KindAdminFiltered: win.NewToken(win.TokenSpec{Kind: win.KindAdminFiltered, User: testAdmin, Domain: testDomain}),
		win.KindStandardUser:  win.NewToken(win.TokenSpec{Kind: win.KindStandardUser, User: testUser, Domain: testDomain}),
	}
}

// TestDeniedError checks the shape of the model's access-denied errors.
func TestDeniedError(t *testing.T) {
	f := testTokens()[win.KindAdminFiltered]
	err := deniedErr("CreateFile", `C:\x`, win.FileWriteData, f)
	var ade *AccessDeniedError
	if !errors.Is(err, ErrAccessDenied) || !errors.As(err, &ade) || ade.Token != win.KindAdminFiltered || Code(err) != ErrorAccessDenied {
		t.Errorf("denied error shape: %v", err)
	}
}
