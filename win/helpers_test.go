package win

// tempSDDL is the healthy C:\Windows\Temp ACL (R, tacticalrmm#1238).
const tempSDDL = "O:SYG:SYD:PAI(A;CI;0x100026;;;BU)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;FA;;;CO)"

const testDomain SID = "S-1-5-21-1-2-3"

var (
	testAdmin = testDomain.WithRID(1000)
	testUser  = testDomain.WithRID(1001)
)

func testTokens() map[TokenKind]*Token {
	return map[TokenKind]*Token{
		KindSystem:        SystemToken(),
		KindAdminElevated: NewToken(TokenSpec{Kind: KindAdminElevated, User: testAdmin, Domain: testDomain}),
		KindAdminFiltered: NewToken(TokenSpec{Kind: KindAdminFiltered, User: testAdmin, Domain: testDomain}),
		KindStandardUser:  NewToken(TokenSpec{Kind: KindStandardUser, User: testUser, Domain: testDomain}),
	}
}
