package capture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

// fakeHost answers the capture's batch with values, op by op.
func fakeHost(t *testing.T, build string, tempExists bool) Batcher {
	return func(_ context.Context, batch []ops.Op) ([]ops.Result, error) {
		var out []ops.Result
		for _, op := range batch {
			var args struct{ Path, Name string }
			_ = json.Unmarshal(op.Args, &args)
			var v any
			switch {
			case op.Name == ops.OpHostInfo:
				v = ops.HostInfo{Hostname: "lab-a", MsiVersion: "5.0.1.2"}
			case op.Name == ops.OpRegistryList && args.Path == currentVersionKey:
				v = ops.RegistryKey{Path: args.Path, Exists: true, Values: []ops.RegistryValue{
					{Name: "CurrentBuild", Type: "REG_SZ", String: build, Exists: true},
					{Name: "InstallationType", Type: "REG_SZ", String: "Client", Exists: true},
					{Name: "UBR", Type: "REG_DWORD", Number: 7, Exists: true}}}
			case op.Name == ops.OpRegistryList && strings.HasPrefix(args.Path, servicesKey):
				v = ops.RegistryKey{Path: args.Path, Exists: true, Values: []ops.RegistryValue{{Name: "Start", Type: "REG_DWORD", Number: 3, Exists: true}}}
			case op.Name == ops.OpRegistryList:
				v = ops.RegistryKey{Path: args.Path}
			case op.Name == ops.OpACLGet:
				v = ops.ACL{Path: args.Path, Exists: tempExists || args.Path != tempDir, SDDL: "O:SYG:SYD:PAI(A;OICI;FA;;;SY)"}
			case op.Name == ops.OpUserGet:
				v = ops.User{Name: args.Name}
			case op.Name == ops.OpUserToken && strings.Contains(string(op.Args), "standard-user"):
				out = append(out, ops.Result{Op: op.Name, Error: &ops.Error{Code: ops.CodeInvalidArgs, Message: "no password for msilab-user in the batch's logons"}})
				continue
			case op.Name == ops.OpUserToken && !strings.Contains(string(op.Args), "admin-elevated"):
				out = append(out, ops.Result{Op: op.Name, Error: &ops.Error{Code: ops.CodeNotSupported, Message: "not read"}})
				continue
			case op.Name == ops.OpUserToken:
				v = ops.UserToken{Context: "admin-elevated", SID: "S-1-5-21-7-8-9-1000", Groups: []ops.TokenGroup{
					{SID: "S-1-1-0", Attributes: 7}, {SID: "S-1-5-32-544", Attributes: 0xf},
					{SID: "S-1-5-21-7-8-9-1005", Attributes: 7}, {SID: "S-1-5-5-0-123456", Attributes: 0xc0000007},
					{SID: "S-1-16-12288", Attributes: 0x60}},
					Privileges: []ops.TokenPrivilege{{Name: "SeChangeNotifyPrivilege", Enabled: true}, {Name: "SeBackupPrivilege"}}}
			default:
				t.Fatalf("unexpected op %s", op.Name)
			}
			b, _ := json.Marshal(v)
			out = append(out, ops.Result{Op: op.Name, OK: true, Value: b})
		}
		return out, nil
	}
}

// A host whose build no built-in profile has needs --os; a host without
// C:\Windows\Temp is refused, saying so; a known build gives a profile
// that names its base, with the host's values.
func TestCaptureRefusesWhatItCannotName(t *testing.T) {
	if _, err := Capture(t.Context(), fakeHost(t, "12345", true), Options{}); !errors.Is(err, ErrNoBase) || !strings.Contains(err.Error(), "--os") {
		t.Errorf("unknown build: %v", err)
	}
	if _, err := Capture(t.Context(), fakeHost(t, "26100", false), Options{}); err == nil || !strings.Contains(err.Error(), `C:\Windows\Temp`) {
		t.Errorf("no Temp: %v", err)
	}
	p, err := Capture(t.Context(), fakeHost(t, "12345", true), Options{OS: "win11-24h2"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "win11-24h2" || p.Build != 12345 || p.UBR != 7 || p.Hostname != "LAB-A" || p.MsiVersion != "5.0.1.2" ||
		!strings.HasPrefix(p.Notes["build"], "captured from LAB-A on ") || !strings.HasPrefix(p.Notes["user_profile_sddl"], "not captured from LAB-A") {
		t.Errorf("%+v\n%v", p.Profile, p.Notes)
	}
	// The admin-elevated token is read, its logon SID and its local group
	// written in the profile's placeholders; the other contexts are not,
	// and the note says why.
	want := []string{"S-1-1-0 [mandatory enabled-by-default enabled]", "S-1-5-32-544 [mandatory enabled-by-default enabled owner]",
		"<DOMAIN>-1005 [mandatory enabled-by-default enabled]", "<LOGON> [mandatory enabled-by-default enabled logon-id]",
		"S-1-16-12288 [integrity integrity-enabled]"}
	var got []string
	for _, g := range p.Tokens[win.KindAdminElevated].Groups {
		got = append(got, fmt.Sprint(g.SID, " ", g.Attributes))
	}
	if !slices.Equal(got, want) || len(p.Tokens) != 1 || len(p.Tokens[win.KindAdminElevated].Privileges) != 2 ||
		!strings.HasPrefix(p.Notes["tokens"], "captured from LAB-A on ") || !strings.Contains(p.Notes["tokens"], "no password for msilab-user") {
		t.Errorf("tokens %v\n%v", got, p.Notes["tokens"])
	}
	// The host reported no ProductName: the file would not read back as a
	// profile, so Write refuses it.
	var buf strings.Builder
	if err := Write(&buf, p); err == nil || !strings.Contains(err.Error(), "display_name") || buf.Len() > 0 {
		t.Errorf("write without display_name: %v", err)
	}
	p.DisplayName = "Windows 10 Pro"
	if err := Write(&buf, p); err != nil || !strings.Contains(buf.String(), "# captured from LAB-A on") {
		t.Errorf("write: %v\n%s", err, buf.String())
	}
}
