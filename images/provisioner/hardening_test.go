package provisioner_test

// The provisioner against simulated hosts on what a real build and a real
// lab meet: the host folder's ACL, automatic logon left on, a restart
// pending, another install holding the execution mutex, an evaluation
// licence, the password policy of Server.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/images/provisioner"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// checkStandardUserCannotPlant: whether the lab's standard user can plant
// a file or folder in C:\ProgramData\msilab, or replace the op module
// (canPlant says which is expected).
func checkStandardUserCannotPlant(t *testing.T, srv *sim.Server, canPlant bool) {
	t.Helper()
	m := srv.Host().Machine()
	tok, err := m.Token(win.KindStandardUser, ops.DefaultStandardUser)
	if err != nil {
		t.Fatal(err)
	}
	fs := m.FS()
	suffix := fmt.Sprint(canPlant)
	for what, try := range map[string]func() error{
		"create a file":   func() error { return fs.CreateFile(tok, ops.HostDir+`\planted-`+suffix+`.ps1`, []byte("x")) },
		"create a folder": func() error { return fs.Mkdir(tok, ops.HostDir+`\planted-`+suffix) },
		"replace the op module": func() error {
			if !fs.Exists(ops.ModulePath) {
				return model.ErrAccessDenied // nothing to replace yet
			}
			return fs.WriteFile(tok, ops.ModulePath, []byte("x"))
		},
	} {
		err := try()
		switch {
		case canPlant && what != "replace the op module" && err != nil:
			t.Errorf("the standard user cannot %s in %s before the provisioner ran: %v", what, ops.HostDir, err)
		case !canPlant && !errors.Is(err, model.ErrAccessDenied):
			t.Errorf("the standard user can %s in %s: %v", what, ops.HostDir, err)
		}
	}
}

// TestProvisionSecuresHostDir: a host where C:\ProgramData\msilab already
// exists with the ACL it inherits from C:\ProgramData (as an administrator
// makes it by hand, or msilab's sessions made it before they gave it its
// own), where the standard user can plant files, gets the protected DACL
// of ops.HostDirSDDL first, and the standard user can no longer plant
// anything there.
func TestProvisionSecuresHostDir(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "win11-24h2")
	m := srv.Host().Machine()
	if _, err := m.Users().Ensure(win.SystemToken(), model.UserSpec{Name: ops.DefaultStandardUser, Password: stdPassword}); err != nil {
		t.Fatal(err)
	}
	admin, err := m.Token(win.KindAdminElevated, srv.User())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.FS().MkdirAll(admin, ops.HostDir); err != nil {
		t.Fatal(err)
	}
	checkStandardUserCannotPlant(t, srv, true)
	r := provision(t, srv, "win11-24h2")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.out.String(), ops.HostDir+" existed (") {
		t.Errorf("the output does not say the folder existed and was set:\n%s", r.out.String())
	}
	checkStandardUserCannotPlant(t, srv, false)
	// The provisioner checks what it set: a folder whose DACL still lets
	// Users write is refused by name.
	if err := provisioner.CheckHostDir("O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;CI;0x116;;;BU)"); err == nil ||
		!strings.Contains(err.Error(), ops.HostDir) {
		t.Errorf("CheckHostDir of a DACL letting Users write: %v", err)
	}
	if err := provisioner.CheckHostDir("O:BAD:AI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"); err == nil ||
		!strings.Contains(err.Error(), "inherits") {
		t.Errorf("CheckHostDir of an unprotected DACL: %v", err)
	}
}

// setRegistry sets values on srv through msilab's own session.
func setRegistry(t *testing.T, srv *sim.Server, sets ...ops.RegistrySetArgs) {
	t.Helper()
	var batch []ops.Op
	for _, a := range sets {
		batch = append(batch, ops.MustNew(ops.OpRegistrySet, a))
	}
	res, err := labSession(t, srv).RunBatch(testContext(t), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if err := r.Decode(nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProvisionAutoLogonLeftOn: an image that still logs its administrator
// on by itself (the answer file's LogonCount 1 gives two automatic logons,
// and leaves AutoAdminLogon on unless the first-logon command turns it off)
// fails the build, naming what is left.
func TestProvisionAutoLogonLeftOn(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	for name, sets := range map[string][]ops.RegistrySetArgs{
		"AutoAdminLogon = 1, AutoLogonCount = 1": {
			{Path: provisioner.WinlogonKey, Name: "AutoAdminLogon", Type: "REG_SZ", String: "1"},
			{Path: provisioner.WinlogonKey, Name: "AutoLogonCount", Type: "REG_DWORD", Number: 1}},
		"DefaultPassword is set": {
			{Path: provisioner.WinlogonKey, Name: "AutoAdminLogon", Type: "REG_SZ", String: "0"},
			{Path: provisioner.WinlogonKey, Name: "DefaultPassword", Type: "REG_SZ", String: "Adm1n<&>Pass"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, "server2022")
			setRegistry(t, srv, sets...)
			r := provision(t, srv, "server2022")
			if r.err == nil || !strings.Contains(r.err.Error(), "automatic logon is still on") || !strings.Contains(r.err.Error(), name) ||
				!strings.Contains(r.err.Error(), "disable-autologon.ps1") {
				t.Fatalf("Provision with %s: %v", name, r.err)
			}
			if strings.Contains(r.err.Error(), "Adm1n") {
				t.Errorf("the error shows the stored password: %v", r.err)
			}
		})
	}
	// Turned off as disable-autologon.ps1 leaves it: passes.
	srv := startSim(t, "server2022")
	setRegistry(t, srv, ops.RegistrySetArgs{Path: provisioner.WinlogonKey, Name: "AutoAdminLogon", Type: "REG_SZ", String: "0"},
		ops.RegistrySetArgs{Path: provisioner.WinlogonKey, Name: "AutoLogonCount", Type: "REG_DWORD", Number: 0})
	if r := provision(t, srv, "server2022"); r.err != nil {
		t.Fatalf("Provision with automatic logon off: %v", r.err)
	}
}

// TestProvisionPendingReboot: a restart pending (servicing or Windows
// Update staged something) fails the build before anything is recorded:
// the build, UBR and msi.dll version would change at shutdown.
func TestProvisionPendingReboot(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	for _, key := range provisioner.RebootPendingKeys {
		t.Run(key[strings.LastIndexByte(key, '\\')+1:], func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, "win10-22h2")
			setRegistry(t, srv, ops.RegistrySetArgs{Path: key, Name: "msilab-test", Type: "REG_DWORD", Number: 1})
			r := provision(t, srv, "win10-22h2")
			if r.err == nil || !strings.Contains(r.err.Error(), "a restart is pending ("+key+")") {
				t.Fatalf("Provision with %s: %v", key, r.err)
			}
			if _, err := os.Stat(r.manifestPath()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a manifest was written with a restart pending: %v", err)
			}
		})
	}
}

// TestProvisionOtherInstall: Global\_MSIExecute held by a process that is
// not msilab's mutex.hold is a real install in progress (an update's MSI,
// servicing), not the mutex-held fault: the provisioner waits for it, with
// a bound, and says which it was.
func TestProvisionOtherInstall(t *testing.T) {
	defer provisioner.SetInstallPollInterval(100 * time.Millisecond)()
	requireStdinRedirect(t)
	const holder = "msiexec.exe (PID 4242)"

	t.Run("ends within the wait", func(t *testing.T) {
		srv := startSim(t, "win11-24h2")
		mutexes := srv.Host().Machine().Mutexes()
		if err := mutexes.Acquire(ops.MutexExecute, holder, time.Time{}); err != nil {
			t.Fatal(err)
		}
		// The other install ends a second after the provisioner said it
		// waits for it.
		watch := &onOutput{text: "waiting up to", do: func() {
			time.AfterFunc(time.Second, func() { mutexes.Release(ops.MutexExecute) })
		}}
		r := provisionWatched(t, srv, "win11-24h2", packerComm(t, srv), nil, watch)
		if r.err != nil {
			t.Fatalf("Provision while another install ran for 1.5 s: %v", r.err)
		}
		out := r.out.String()
		for _, want := range []string{
			`Global\_MSIExecute is held by ` + holder + ` (msiserver stopped; TrustedInstaller absent), not by msilab's mutex.hold: an install is in progress; waiting up to`,
			`Global\_MSIExecute was held by ` + holder + ` (msiserver stopped; TrustedInstaller absent), not by msilab: a real install in progress, which ended after`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("outlasts the wait", func(t *testing.T) {
		srv := startSim(t, "win11-24h2")
		if err := srv.Host().Machine().Mutexes().Acquire(ops.MutexExecute, holder, time.Time{}); err != nil {
			t.Fatal(err)
		}
		r := provisionExtra(t, srv, "win11-24h2", map[string]interface{}{"install_wait_timeout": "1s"})
		var other *provisioner.OtherInstallError
		if !errors.As(r.err, &other) || other.Holder != holder || other.Waited < time.Second {
			t.Fatalf("Provision while another install outlasts the wait: %v", r.err)
		}
		for _, want := range []string{"not msilab's mutex.hold, so not the mutex-held fault", "install_wait_timeout"} {
			if !strings.Contains(r.err.Error(), want) {
				t.Errorf("the error lacks %q: %v", want, r.err)
			}
		}
		var notClean *provisioner.NotCleanError
		if errors.As(r.err, &notClean) {
			t.Error("another install was reported as a fault")
		}
	})

	// msilab's own hold is the fault: no wait, named as mutex-held.
	t.Run("msilab's hold is the fault", func(t *testing.T) {
		srv := startSim(t, "win11-24h2")
		injectFault(t, srv, "mutex-held")
		start := time.Now()
		r := provisionExtra(t, srv, "win11-24h2", map[string]interface{}{"install_wait_timeout": "1m"})
		var notClean *provisioner.NotCleanError
		if !errors.As(r.err, &notClean) || len(notClean.Found) != 1 || notClean.Found[0].Fault != "mutex-held" || time.Since(start) > 30*time.Second {
			t.Fatalf("Provision with the mutex-held fault: %v (after %s)", r.err, time.Since(start))
		}
	})
}

// TestProvisionEvaluationLicense: the manifest records the licence and
// when it ends, and the doctor section carries the expiry; an evaluation
// Server's licence runs on real time.
func TestProvisionEvaluationLicense(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "server2025")
	l := sim.DefaultLicense("ServerStandardEval", "server", srv.Host().Profile().ClockStart)
	l.Status, l.GraceMinutes = "Licensed", 90*24*60 // 90 days left of 180
	srv.Host().SetLicense(l)
	r := provision(t, srv, "server2025")
	if r.err != nil {
		t.Fatal(r.err)
	}
	m := checkManifest(t, r)
	read, err := time.Parse(time.RFC3339, m.License.ReadAt)
	if err != nil {
		t.Fatal(err)
	}
	want := read.Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339) // earlier than the evaluation end
	if !m.License.Evaluation || m.License.Channel != "Retail:TB:Eval" || m.License.Expires != want ||
		m.License.EvaluationEnd != l.EvaluationEnd || m.Doctor.LicenseExpires != want {
		t.Errorf("licence %+v, doctor %+v; want expiry %s", m.License, m.Doctor, want)
	}
	if !strings.Contains(r.out.String(), "an evaluation licence") || !strings.Contains(r.out.String(), "reverting a snapshot does not give it time back") {
		t.Errorf("the output does not warn about the evaluation licence:\n%s", r.out.String())
	}
}

// TestLicenseExpiry: the earlier of the grace period's end and the
// evaluation end; none for a permanent licence.
func TestLicenseExpiry(t *testing.T) {
	for _, tc := range []struct {
		read  string
		grace int64
		end   string
		want  string
	}{
		{"2025-01-01T00:00:00Z", 0, "", ""},
		{"2025-01-01T00:00:00Z", 60 * 24, "", "2025-01-02T00:00:00Z"},
		{"2025-01-01T00:00:00Z", 60 * 24 * 30, "2025-01-10T00:00:00Z", "2025-01-10T00:00:00Z"},
		{"2025-01-01T00:00:00Z", 0, "2025-06-30T12:00:00Z", "2025-06-30T12:00:00Z"},
	} {
		got, err := manifest.LicenseExpiry(tc.read, tc.grace, tc.end)
		if err != nil || got != tc.want {
			t.Errorf("LicenseExpiry(%s, %d, %q) = %q, %v; want %q", tc.read, tc.grace, tc.end, got, err, tc.want)
		}
	}
	if _, err := manifest.LicenseExpiry("yesterday", 5, ""); err == nil {
		t.Error("a bad read_at is accepted")
	}
}

// TestServerPasswordPolicy: user.ensure with a password the Server policy
// refuses fails as InvalidArgs and leaves no account behind (all or
// nothing), on the simulated host as the module does on Windows.
func TestServerPasswordPolicy(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "server2019")
	s := labSession(t, srv)
	res, err := s.RunBatch(testContext(t), []ops.Op{
		ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ops.DefaultStandardUser, Password: "weakpassword"}),
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: ops.DefaultStandardUser}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := res[0].Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeInvalidArgs}) || !strings.Contains(err.Error(), "password policy") {
		t.Fatalf("user.ensure with a weak password on Server: %v", err)
	}
	var u ops.User
	if err := res[1].Decode(&u); err != nil || u.Exists {
		t.Fatalf("a refused password left the account: %+v %v", u, err)
	}
}

// onOutput runs do once, when what is written to it has contained text.
type onOutput struct {
	mu   sync.Mutex
	seen strings.Builder
	text string
	do   func()
	done bool
}

func (o *onOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen.Write(p)
	if !o.done && strings.Contains(o.seen.String(), o.text) {
		o.done = true
		o.do()
	}
	return len(p), nil
}
