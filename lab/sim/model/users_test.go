package model

import (
	"errors"
	"github.com/msilab/msilab/win"
	"strings"
	"testing"
	"time"
)

func TestUsersAndTokens(t *testing.T) {
	m := newMachine(t, "win10-22h2")
	tok := tokensOf(t, m)
	u, ok := m.Users().Lookup("LABUSER")
	if !ok || u.Admin || u.SID.RID() != 1001 || u.Profile != `C:\Users\labuser` {
		t.Fatalf("labuser %+v", u)
	}
	temp := `C:\Users\labuser\AppData\Local\Temp`
	want := "D:(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;" + string(u.SID) + ")"
	if got := dacl(t, m, temp); got != want {
		t.Errorf("user TEMP %s, want %s", got, want)
	}
	if got := dacl(t, m, `C:\Users\labuser`); got != "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;"+string(u.SID)+")" {
		t.Errorf("profile root %s", got)
	}
	fs := m.FS()
	user := tok[win.KindStandardUser]
	must(t, fs.WriteFile(user, temp+`\MSI1234.LOG`, []byte("log")))
	other, err := m.Users().Ensure(tok[win.KindSystem], UserSpec{Name: "other"})
	must(t, err)
	otherTok, _ := m.Token(win.KindStandardUser, other.Name)
	if err := fs.WriteFile(otherTok, temp+`\x`, nil); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("another user writes my TEMP: %v", err)
	}
	if _, err := m.Users().Ensure(user, UserSpec{Name: "evil", Admin: true}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("standard user creates accounts: %v", err)
	}
	if _, err := m.Token(win.KindAdminElevated, "labuser"); !errors.Is(err, ErrTokenKind) {
		t.Errorf("elevated token for a standard user: %v", err)
	}
	if _, err := m.Token(win.KindStandardUser, "msilab"); !errors.Is(err, ErrTokenKind) {
		t.Errorf("standard token for an admin: %v", err)
	}
	if _, err := m.Token(win.KindAdminElevated, "Administrator"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("disabled built-in Administrator on a client: %v", err)
	}
	if _, err := m.Token(win.KindAdminElevated, "nobody"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("unknown user: %v", err)
	}
	if n := m.LookupSID(u.SID); n != `WIN10-22H2\labuser` {
		t.Errorf("LookupSID %s", n)
	}
	if lines, _ := fs.ICACLS(temp); len(lines) != 3 || lines[2] != `WIN10-22H2\labuser:(I)(OI)(CI)(F)` {
		t.Errorf("icacls %q", lines)
	}
	// Ensure again updates without duplicating.
	u2, err := m.Users().Ensure(tok[win.KindSystem], UserSpec{Name: "LabUser", Password: "new", Admin: true})
	if err != nil || u2.SID != u.SID || !u2.Admin || u2.Password != "new" {
		t.Errorf("re-ensure %+v %v", u2, err)
	}
}

func TestEventLog(t *testing.T) {
	m := newMachine(t, "win10-22h2")
	log := m.EventLog()
	if log.Bookmark() != 0 {
		t.Fatal("log not empty")
	}
	e1 := log.Write(Event{ProviderName: "MsiInstaller", EventID: 1040, Level: LevelInformation})
	mark := log.Bookmark()
	log.Write(Event{ProviderName: "Other", EventID: 1})
	e3 := log.Write(Event{ProviderName: "MsiInstaller", EventID: 10005, Level: LevelError, UserSID: win.SIDSystem,
		Message: "Product: X -- Error 2503.", Data: []string{"2503"}})
	log.Write(Event{ProviderName: "MsiInstaller", EventID: 11708, Level: LevelError})
	if e1.RecordID != 1 || mark != 1 || e3.RecordID != 3 || !e3.TimeCreated.After(e1.TimeCreated) {
		t.Errorf("ids/times: %+v %+v", e1, e3)
	}
	got := log.Query(mark, "msiinstaller")
	if len(got) != 2 || got[0].EventID != 10005 || got[1].EventID != 11708 || got[0].Data[0] != "2503" {
		t.Errorf("query after bookmark: %+v", got)
	}
	if all := log.Query(0, ""); len(all) != 4 {
		t.Errorf("all: %d", len(all))
	}
	got[0].Data[0] = "mutated"
	if log.Query(2, "")[0].Data[0] != "2503" {
		t.Error("query aliases stored records")
	}
	// A restore takes the log back, as a reverted VM's log: IDs continue
	// from the snapshot.
	m.Snapshot("s")
	log.Write(Event{ProviderName: "x"})
	must(t, m.Restore("s"))
	if e := log.Write(Event{ProviderName: "y"}); e.RecordID != 5 {
		t.Errorf("record id after restore %d", e.RecordID)
	}
}

func TestMutexes(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	m, err := New(Options{Clock: func() time.Time { return now }})
	must(t, err)
	mx := m.Mutexes()
	const name = `Global\_MSIExecute`
	if _, held := mx.Holder(name); held {
		t.Fatal("held at start")
	}
	must(t, mx.Acquire(name, "install A", time.Time{}))
	if err := mx.Acquire(name, "install B", time.Time{}); !errors.Is(err, ErrMutexHeld) {
		t.Errorf("second owner: %v", err)
	}
	if _, held := mx.Holder(`global\_msiexecute`); held {
		t.Error("names are case-sensitive")
	}
	must(t, mx.Acquire(name, "install A", now.Add(time.Minute)))
	if owner, held := mx.Holder(name); !held || owner != "install A" {
		t.Errorf("holder %q %v", owner, held)
	}
	now = now.Add(time.Minute)
	if _, held := mx.Holder(name); held {
		t.Error("not expired at the deadline")
	}
	must(t, mx.Acquire(name, "install B", time.Time{}))
	mx.Release(name)
	mx.Release(name)
	if _, held := mx.Holder(name); held {
		t.Error("still held after release")
	}
}

// TestPasswordPolicy: a Server refuses a password that fails the
// complexity rule, and the refusal changes nothing (no account left
// behind, an existing account keeps its password); a client accepts it.
func TestPasswordPolicy(t *testing.T) {
	m := newMachine(t, "server2022")
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	must(t, err)
	before := m.Digest()
	_, err = m.Users().Ensure(admin, UserSpec{Name: "labuser", Password: "weakpassword"})
	if !errors.Is(err, ErrPasswordPolicy) || Code(err) != ErrorPasswordTooShort || !errors.Is(err, win.ErrPasswordComplexity) {
		t.Fatalf("weak password on Server: %v (code %d)", err, Code(err))
	}
	if _, ok := m.Users().Lookup("labuser"); ok || m.Digest() != before {
		t.Fatal("a refused password left the account (or anything else) behind")
	}
	if _, err := m.Users().Ensure(admin, UserSpec{Name: "labuser", Password: "Lab-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().Ensure(admin, UserSpec{Name: "labuser", Password: "labuser-1A"}); !errors.Is(err, ErrPasswordPolicy) {
		t.Fatalf("a password with the account name: %v", err)
	}
	if u, _ := m.Users().Lookup("labuser"); u.Password != "Lab-Passw0rd!" {
		t.Error("a refused password change changed the password")
	}
	client := newMachine(t, "win11-24h2")
	ctok, err := client.Token(win.KindAdminElevated, "msilab")
	must(t, err)
	if _, err := client.Users().Ensure(ctok, UserSpec{Name: "labuser", Password: "weakpassword"}); err != nil {
		t.Errorf("a client edition enforces no complexity by default: %v", err)
	}
}

// A profile's token for a context replaces the groups and privileges of
// that context's default logon (its <DOMAIN> and <LOGON> filled in); the
// context's other logons (a scheduled task's batch logon) and the other
// contexts keep NewToken's.
func TestProfileTokens(t *testing.T) {
	p, _ := win.LookupProfile("win11-24h2")
	p.Tokens = map[win.TokenKind]win.ProfileToken{win.KindStandardUser: {
		Groups: []win.ProfileGroup{{SID: "S-1-1-0", Attributes: []string{"mandatory", "enabled"}},
			{SID: "<DOMAIN>-1010", Attributes: []string{"mandatory", "enabled"}},
			{SID: "<LOGON>", Attributes: []string{"mandatory", "enabled", "logon-id"}},
			{SID: "S-1-16-4096", Attributes: []string{"integrity", "integrity-enabled"}}},
		Privileges: []win.ProfilePrivilege{{Name: "SeChangeNotifyPrivilege", Enabled: true}}}}
	m, err := New(Options{ProfileData: &p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().Ensure(win.SystemToken(), UserSpec{Name: "lab", Password: "x"}); err != nil {
		t.Fatal(err)
	}
	tok, err := m.Token(win.KindStandardUser, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Groups) != 4 || tok.Groups[1].SID != m.Domain().WithRID(1010) || !strings.HasPrefix(string(tok.Groups[2].SID), "S-1-5-5-0-") ||
		tok.Groups[2].Attrs&win.GroupLogonID != win.GroupLogonID || tok.Integrity != win.IntegrityLow || !tok.Enabled(m.Domain().WithRID(1010)) ||
		len(tok.Privileges) != 1 {
		t.Errorf("profile token %+v", tok)
	}
	batch, err := m.LogonToken(win.KindStandardUser, "lab", win.LogonBatch)
	if err != nil {
		t.Fatal(err)
	}
	if !batch.Enabled(win.SIDBatch) || batch.Enabled(m.Domain().WithRID(1010)) || batch.Integrity != win.IntegrityMedium {
		t.Errorf("batch logon token %+v", batch)
	}
	admin, err := m.Token(win.KindAdminElevated, "msilab")
	if err != nil || !admin.IsAdmin() || !admin.Enabled(win.SIDNetwork) {
		t.Errorf("admin token %+v %v", admin, err)
	}
}
