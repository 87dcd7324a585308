package win

import (
	"reflect"
	"strings"
	"testing"
)

// A token written in a profile's form and applied back is the same
// token: its groups (the logon SID and the machine's domain through their
// placeholders), its integrity level and its privileges, enabled or not.
func TestTokenProfileRoundTrip(t *testing.T) {
	const domain = SID("S-1-5-21-10-20-30")
	tok := NewToken(TokenSpec{Kind: KindAdminFiltered, User: domain.WithRID(1000), Domain: domain})
	tok.Groups = append(tok.Groups, Group{SID("S-1-5-5-0-4242"), on | GroupLogonID}, Group{domain.WithRID(1005), on})
	p := TokenProfile(tok, domain)
	var sids []string
	for _, g := range p.Groups {
		sids = append(sids, g.SID)
	}
	if !strings.Contains(strings.Join(sids, " "), "<LOGON> <DOMAIN>-1005") || strings.Contains(strings.Join(sids, " "), "S-1-5-21-") {
		t.Errorf("profile SIDs %v", sids)
	}
	if got := p.Groups[1].Attributes; !reflect.DeepEqual(got, []string{"deny-only"}) {
		t.Errorf("S-1-5-114 of a filtered token: %v", got)
	}
	back := &Token{Integrity: IntegrityHigh}
	if err := p.Apply(back, domain, "S-1-5-5-0-4242"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Groups, tok.Groups) || back.Integrity != IntegrityMedium ||
		!reflect.DeepEqual(back.Privileges, tok.Privileges) || !reflect.DeepEqual(back.EnabledPrivileges, []string{"SeChangeNotifyPrivilege"}) {
		t.Errorf("applied back %+v\nwant %+v", back, tok)
	}
	// Bits without a word survive as hex.
	if a, err := ParseGroupAttrs(GroupAttrs(0x107).Words()); err != nil || a != 0x107 {
		t.Errorf("0x107: %v %v", a, err)
	}
}

// A profile's tokens are validated: a context that is not one, an
// unknown attribute, a malformed SID and a name that is no privilege are
// each refused, naming the fault.
func TestProfileTokensValidated(t *testing.T) {
	data, err := profileFiles.ReadFile("profiles/win11-24h2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	good := "tokens:\n  standard-user:\n    groups:\n      - {sid: S-1-1-0, attributes: [mandatory, enabled]}\n      - {sid: <LOGON>, attributes: [logon-id]}\n" +
		"    privileges:\n      - {name: SeChangeNotifyPrivilege, enabled: true}\n"
	p, err := ParseProfile("t.yaml", append(data, good...))
	if err != nil || len(p.Tokens[KindStandardUser].Groups) != 2 {
		t.Fatalf("%+v %v", p.Tokens, err)
	}
	for _, bad := range []struct{ from, to, want string }{
		{"standard-user:", "guest:", `"guest" is not a context`},
		{"[mandatory, enabled]", "[mandatory, on]", `unknown group attribute "on"`},
		{"S-1-1-0", "S-1-x", "malformed SID"},
		{"SeChangeNotifyPrivilege", "ChangeNotify", "is not a privilege name"},
	} {
		text := strings.Replace(string(data)+good, bad.from, bad.to, 1)
		if _, err := ParseProfile("t.yaml", []byte(text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s -> %s: err = %v, want %q", bad.from, bad.to, err, bad.want)
		}
	}
}
