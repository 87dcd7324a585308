package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

func installArgs(pkg, context, logon string) ops.Op {
	return ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: lab.PackageDir + `\` + pkg + ".msi", Context: context, Logon: logon})
}

func msiRun(t *testing.T, r ops.Result) ops.MsiRun {
	t.Helper()
	var run ops.MsiRun
	if err := r.Decode(&run); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestS4UTaskGives1601 shows, over WinRM as a real client sends it, why
// the non-elevated contexts log on interactively: the S4U task they used
// before gives a batch logon, which Windows Installer refuses for a
// non-admin (docs/evidence.md#E-service-access), while the interactive
// logon reaches the service.
func TestS4UTaskGives1601(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2", "peruser")
	for _, c := range []string{ops.ContextStandardUser, ops.ContextAdminFiltered} {
		res := h.Run(installArgs("peruser", c, ops.LogonS4UTask), installArgs("peruser", c, ""))
		s4u, interactive := msiRun(t, res[0]), msiRun(t, res[1])
		if s4u.Logon != ops.LogonS4UTask || s4u.ExitCode != 1601 || len(s4u.Events) != 0 ||
			!strings.Contains(s4u.Log, "Failed to connect to server. Error: 0x80070005") || strings.Contains(s4u.Log, "MSI (s)") {
			t.Errorf("%s by an S4U task: logon %s, exit %d, %d events\n%s", c, s4u.Logon, s4u.ExitCode, len(s4u.Events), s4u.Log)
		}
		if interactive.Logon != ops.LogonInteractive || interactive.ExitCode != 0 {
			t.Errorf("%s by an interactive logon: logon %s, exit %d\n%s", c, interactive.Logon, interactive.ExitCode, interactive.Log)
		}
	}
}

// TestInteractiveLogonChecks covers what the interactive logon needs: the
// account's password in the batch's logons, the right one, and "Allow log
// on locally"; user.logon names a missing right; the user's hive is loaded
// for the run only.
func TestInteractiveLogonChecks(t *testing.T) {
	h := testlab.NewSimHost(t, "server2022", "peruser")
	m := h.Srv.Host().Machine()
	user, ok := m.Users().Lookup(ops.DefaultStandardUser)
	if !ok {
		t.Fatal("no lab user")
	}
	if loaded, _ := m.Registry().UserHive(user.SID); loaded {
		t.Fatalf("the lab user's hive is loaded before any logon")
	}
	run := func(ctx context.Context, op ops.Op) ops.Result {
		t.Helper()
		res, err := h.S.RunBatch(ctx, []ops.Op{op})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	std := installArgs("peruser", ops.ContextStandardUser, "")
	wantErr := func(r ops.Result, code string, win32 int, text string) {
		t.Helper()
		err := r.Decode(nil)
		oe, ok := err.(*ops.Error)
		if !ok || oe.Code != code || oe.Win32 != win32 || !strings.Contains(oe.Message, text) {
			t.Errorf("got %v, want %s (win32 %d) mentioning %q", err, code, win32, text)
		}
	}
	wantErr(run(context.Background(), std), ops.CodeInvalidArgs, 0, "logons")
	wantErr(run(lab.WithLogons(context.Background(), ops.Logon{User: ops.DefaultStandardUser, Password: "wrong"}), std),
		ops.CodeAccessDenied, 1326, "password is incorrect")
	// Later logons of an account win, and HOST\name names it too.
	right := lab.WithLogons(context.Background(), ops.Logon{User: ops.DefaultStandardUser, Password: "wrong"},
		ops.Logon{User: `SRV2022\` + ops.DefaultStandardUser, Password: testlab.StandardPassword})
	// On Server an absent DisableMSI refuses the non-elevated install with
	// 1625: the logon itself went through.
	if r := msiRun(t, run(right, std)); r.ExitCode != 1625 || r.Logon != ops.LogonInteractive {
		t.Errorf("with the password: exit %d, logon %s\n%s", r.ExitCode, r.Logon, r.Log)
	}
	if loaded, _ := m.Registry().UserHive(user.SID); loaded {
		t.Errorf("the run left the user's hive loaded")
	}

	// A hardened policy: "Allow log on locally" for Administrators only.
	if err := m.Rights().Set(win.SystemToken(), model.RightInteractiveLogon, []win.SID{win.SIDAdministrators}); err != nil {
		t.Fatal(err)
	}
	wantErr(run(h.Ctx, std), ops.CodeAccessDenied, 1385, `"Allow log on locally" (SeInteractiveLogonRight)`)
	var logon ops.UserLogon
	if err := run(h.Ctx, ops.MustNew(ops.OpUserLogon, ops.UserLogonArgs{Name: ops.DefaultStandardUser})).Decode(&logon); err != nil {
		t.Fatal(err)
	}
	if logon.OK || logon.Right != model.RightInteractiveLogon || logon.Win32 != 1385 ||
		!strings.Contains(logon.Problem(), `lacks the user right "Allow log on locally"`) {
		t.Errorf("user.logon without the right: %+v (%s)", logon, logon.Problem())
	}
}

// TestBuiltinAdministratorIsNotFiltered: the built-in Administrator's
// interactive token is its full one unless Admin Approval Mode covers it,
// so admin-filtered cannot be made of it; the module refuses it, and so
// does the simulator.
func TestBuiltinAdministratorIsNotFiltered(t *testing.T) {
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "server2022", User: "Administrator", Password: "Admin-Passw0rd!"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	host, port := srv.HostPort()
	s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := lab.WithLogons(context.Background(), ops.Logon{User: srv.User(), Password: srv.Password()})
	data, err := testpkgs.Bytes("peruser")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lab.EnsureFile(ctx, s, data, lab.PackageDir+`\peruser.msi`); err != nil {
		t.Fatal(err)
	}
	res, err := s.RunBatch(ctx, []ops.Op{installArgs("peruser", ops.ContextAdminFiltered, "")})
	if err != nil {
		t.Fatal(err)
	}
	err = res[0].Decode(nil)
	if oe, ok := err.(*ops.Error); !ok || oe.Code != ops.CodeNotSupported || !strings.Contains(oe.Message, "built-in Administrator") {
		t.Errorf("admin-filtered as the built-in Administrator: %v", err)
	}
}
