package doctor

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	_ "github.com/msilab/msilab/lab/snapshot/hyperv"
	"github.com/msilab/msilab/win"
)

// simHost is a simulated host as a lab host: a WinRM server on loopback
// with the wall clock, the lab user made unless noUser.
type simHost struct {
	srv  *sim.Server
	host *lab.Host
}

func start(t *testing.T, opts sim.Options) *sim.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.OS == "" {
		opts.OS = "win11-24h2"
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	srv, err := sim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func newSimHost(t *testing.T, opts sim.Options, noUser bool) *simHost {
	t.Helper()
	srv := start(t, opts)
	host, port := srv.HostPort()
	spec := lab.HostSpec{Name: "h1", OS: srv.Host().Profile().Name, Endpoint: srv.URL(), Auth: "basic", User: srv.User(),
		PasswordEnv: "H1_PASSWORD", StandardUser: ops.DefaultStandardUser, Snapshot: lab.SnapshotSpec{Driver: "none", Name: "msilab-clean"}}
	ep := lab.Endpoint{Host: host, Port: port, HTTPS: opts.HTTPS, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(),
		AllowBasicOverHTTP: true} // loopback
	h := &simHost{srv: srv, host: lab.NewHost(spec, ep)}
	t.Cleanup(h.host.Close)
	if !noUser {
		h.mustRun(t, ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ops.DefaultStandardUser, Password: "Std-Passw0rd!"}))
	}
	return h
}

func (h *simHost) mustRun(t *testing.T, batch ...ops.Op) []ops.Result {
	t.Helper()
	s, err := h.host.Session(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunBatch(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		if err := r.Decode(nil); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (h *simHost) check(t *testing.T) []Row {
	t.Helper()
	h.host.Reset() // as a new run would: a fresh session
	return Check(t.Context(), h.host, Options{})
}

func rowsOf(rows []Row, check string) []Row {
	var out []Row
	for _, r := range rows {
		if r.Check == check {
			out = append(out, r)
		}
	}
	return out
}

func table(rows []Row) string {
	var b bytes.Buffer
	Print(&b, rows)
	return b.String()
}

// want finds a row of check with status and reason containing text.
func want(t *testing.T, rows []Row, check string, status Status, text string) {
	t.Helper()
	for _, r := range rowsOf(rows, check) {
		if r.Status == status && strings.Contains(r.Reason, text) {
			if (status == Failed || status == Warning) && r.Fix == "" {
				t.Errorf("%s %s has no fix", check, status)
			}
			return
		}
	}
	t.Errorf("no %s row %q containing %q in:\n%s", status, check, text, table(rows))
}

// A clean simulated host passes: no failure, every check has a row.
func TestCleanHostPasses(t *testing.T) {
	h := newSimHost(t, sim.Options{}, false)
	rows := h.check(t)
	if AnyFailed(rows) {
		t.Errorf("a clean host failed:\n%s", table(rows))
	}
	for _, ch := range []string{CheckEndpoint, CheckTLS, CheckAuth, CheckModule, CheckAdmin, CheckPowerShell, CheckWinRM,
		CheckLabUser, CheckLogon, CheckMsiserver, CheckFaults, CheckPending, CheckReboot, CheckDisk, CheckClock, CheckSnapshot, CheckBuild} {
		if len(rowsOf(rows, ch)) == 0 {
			t.Errorf("no %s row:\n%s", ch, table(rows))
		}
	}
	want(t, rows, CheckAdmin, OK, "elevated")
	want(t, rows, CheckFaults, OK, "none of the")
	want(t, rows, CheckBuild, OK, "win11-24h2")
	want(t, rows, CheckSnapshot, Warning, "driver none")
	want(t, rows, CheckTLS, Warning, "plain HTTP")
	want(t, rows, CheckClock, OK, "within")
}

// Every variant of every fault, planted one at a time, is a failed row
// naming it.
func TestFindsEveryFaultVariant(t *testing.T) {
	h := newSimHost(t, sim.Options{}, false)
	h.mustRun(t, ops.MustNew(ops.OpSimSnapshot, ops.SnapshotArgs{Name: "clean"}))
	tgt := faults.Target{AdminUser: h.srv.User(), StandardUser: ops.DefaultStandardUser, Context: ops.ContextStandardUser}
	s, _ := h.host.Session(t.Context())
	n := 0
	for _, name := range faults.Names() {
		if info, _ := faults.Lookup(name); info.NegativeControl {
			continue
		}
		vs, _ := faults.Variants(name)
		for _, f := range vs {
			if err := testlab.PrepareFault(t.Context(), s, f); err != nil {
				t.Fatal(err)
			}
			p, err := faults.RunProbe(t.Context(), s, f, tgt)
			if err != nil {
				t.Fatal(err)
			}
			inject, err := f.Inject(tgt, p)
			if err != nil {
				t.Fatal(err)
			}
			h.mustRun(t, inject...)
			rows := h.check(t)
			what := name
			if ps := string(faults.Params(f)); ps != "{}" {
				what += " " + ps
			}
			want(t, rows, CheckFaults, Failed, what+" is present")
			if !AnyFailed(rows) {
				t.Errorf("%s: the host passes", what)
			}
			n++
			s, _ = h.host.Session(t.Context())
			h.mustRun(t, ops.MustNew(ops.OpSimRestore, ops.SnapshotArgs{Name: "clean"}))
		}
	}
	if n < 12 {
		t.Errorf("%d variants planted", n)
	}
}

func TestMissingLabUser(t *testing.T) {
	h := newSimHost(t, sim.Options{}, true)
	rows := h.check(t)
	want(t, rows, CheckLabUser, Failed, "does not exist")
}

// A module of another msilab version: found before msilab replaces it.
func TestWrongModuleHash(t *testing.T) {
	h := newSimHost(t, sim.Options{}, false)
	s, _ := h.host.Session(t.Context())
	if _, err := s.Upload(t.Context(), strings.NewReader("# MsiLab.psm1 of another version\r\n"), ops.ModulePath); err != nil {
		t.Fatal(err)
	}
	rows := h.check(t)
	want(t, rows, CheckModule, Warning, "another msilab version")
	if rows := h.check(t); len(rowsOf(rows, CheckModule)) != 1 || rowsOf(rows, CheckModule)[0].Status != OK {
		t.Errorf("after a run the module is msilab's:\n%s", table(rows))
	}
}

// WinRM's account is a member of Remote Management Users, not an administrator.
func TestNonAdminAccount(t *testing.T) {
	h := newSimHost(t, sim.Options{}, false)
	m := h.srv.Host().Machine()
	tok, err := m.Token(win.KindAdminElevated, h.srv.User())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Users().Ensure(tok, model.UserSpec{Name: h.srv.User(), Password: h.srv.Password(), Admin: false}); err != nil {
		t.Fatal(err)
	}
	rows := h.check(t)
	want(t, rows, CheckAdmin, Failed, "is not an administrator")
}

// The OS profile lab.yaml claims is not the host's build.
func TestBuildDoesNotMatchProfile(t *testing.T) {
	h := newSimHost(t, sim.Options{}, false)
	h.host.Spec.OS = "win10-22h2"
	rows := h.check(t)
	want(t, rows, CheckBuild, Failed, "lab.yaml says win10-22h2")
	for _, r := range rowsOf(rows, CheckBuild) {
		if !strings.Contains(r.Fix, "os: win11-24h2") {
			t.Errorf("the fix does not name the host's profile: %q", r.Fix)
		}
	}
}

// The hyperv driver's VM has no checkpoint of that name.
func TestMissingSnapshot(t *testing.T) {
	hv := start(t, sim.Options{OS: "server2022"})
	guest := start(t, sim.Options{})
	hv.AddVM("h1", guest)
	if err := hv.Checkpoint("h1", "before-sysprep", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HV_PASSWORD", hv.Password())
	t.Setenv("H1_PASSWORD", guest.Password())
	yaml := fmt.Sprintf(`hosts:
  - {name: hv, role: hypervisor, os: server2022, endpoint: %q, auth: basic, allow_basic_over_http: true, user: %s, password_env: HV_PASSWORD}
  - name: h1
    os: win11-24h2
    endpoint: %q
    auth: basic
    allow_basic_over_http: true
    user: %s
    password_env: H1_PASSWORD
    snapshot: {driver: hyperv, name: msilab-clean, settings: {host: hv}}
`, hv.URL(), hv.User(), guest.URL(), guest.User())
	inv, err := lab.ParseInventory("lab.yaml", []byte(yaml), win.ProfileNames())
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Connect(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hosts[0].Close)
	rows := Check(t.Context(), hosts[0], Options{})
	want(t, rows, CheckSnapshot, Failed, "before-sysprep")
	if err := hv.Checkpoint("h1", "msilab-clean", sim.CheckpointProduction); err != nil {
		t.Fatal(err)
	}
	rows = Check(t.Context(), hosts[0], Options{})
	want(t, rows, CheckSnapshot, OK, "hyperv:msilab-clean")
}

// More planted problems, one per check.
func TestPlantedProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   sim.Options
		plant  func(t *testing.T, h *simHost)
		check  string
		status Status
		text   string
	}{
		// (Far smaller and msilab could not even install its op module.)
		{name: "winrm envelope", opts: sim.Options{MaxEnvelopeSizeKB: 499}, check: CheckWinRM, status: Failed, text: "MaxEnvelopeSizekb is 499"},
		{name: "winrm shells", opts: sim.Options{MaxShellsPerUser: 1}, check: CheckWinRM, status: Failed, text: "MaxShellsPerUser is 1"},
		{name: "disk full", opts: sim.Options{DiskFreeBytes: 1 << 30}, check: CheckDisk, status: Failed, text: "1.0 GiB free"},
		{name: "clock", opts: sim.Options{Clock: func() time.Time { return time.Now().Add(time.Hour) }}, check: CheckClock, status: Warning, text: "1h0m0s"},
		{name: "reboot pending", check: CheckReboot, status: Failed, text: "PendingFileRenameOperations",
			plant: func(t *testing.T, h *simHost) {
				h.mustRun(t, ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: sessionManagerKey, Name: "PendingFileRenameOperations",
					Type: "REG_MULTI_SZ", Strings: []string{`\??\C:\Windows\Temp\x.dll`, ""}}))
			}},
		{name: "install in progress", check: CheckPending, status: Failed, text: "inprogressinstallinfo.ipi",
			plant: func(t *testing.T, h *simHost) {
				h.mustRun(t, ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: markerPath, Type: "file"}))
			}},
		{name: "install running", check: CheckPending, status: Failed, text: "is held",
			plant: func(t *testing.T, h *simHost) {
				h.mustRun(t, ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: executeMutex, Seconds: 600}))
			}},
		{name: "deny local logon", check: CheckLogon, status: Failed, text: "is denied",
			plant: func(t *testing.T, h *simHost) {
				u, _ := h.srv.Host().Machine().Users().Lookup(ops.DefaultStandardUser)
				h.srv.Host().Machine().SetRight(model.RightDenyInteractiveLogon, u.SID, true)
			}},
		{name: "no local logon", check: CheckLogon, status: Failed, text: "does not hold",
			plant: func(t *testing.T, h *simHost) {
				h.srv.Host().Machine().SetRight(model.RightInteractiveLogon, win.SIDUsers, false)
			}},
		{name: "msiserver", check: CheckMsiserver, status: Failed, text: "start type Automatic",
			plant: func(t *testing.T, h *simHost) {
				h.mustRun(t, ops.MustNew(ops.OpServiceSetStart, ops.ServiceSetStartArgs{Name: "msiserver", StartType: "Automatic"}))
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSimHost(t, tc.opts, false)
			clean := Check(t.Context(), h.host, Options{})
			for _, r := range rowsOf(clean, tc.check) {
				if tc.plant != nil && r.Status == tc.status && strings.Contains(r.Reason, tc.text) {
					t.Fatalf("found before it was planted: %+v", r)
				}
			}
			if tc.plant != nil {
				tc.plant(t, h)
			}
			want(t, h.check(t), tc.check, tc.status, tc.text)
		})
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		h := lab.NewHost(lab.HostSpec{Name: "gone", OS: "win11-24h2", User: "u", Snapshot: lab.SnapshotSpec{Driver: "none"}},
			lab.Endpoint{Host: "127.0.0.1", Port: port, Auth: lab.AuthBasic, User: "u", Password: "p", AllowBasicOverHTTP: true})
		rows := Check(t.Context(), h, Options{})
		want(t, rows, CheckEndpoint, Failed, "cannot connect")
		want(t, rows, CheckFaults, Skipped, "could not be reached")
	})
	t.Run("wrong password", func(t *testing.T) {
		h := newSimHost(t, sim.Options{}, false)
		h.host.Endpoint.Password = "wrong"
		want(t, h.check(t), CheckAuth, Failed, "refused the credentials")
	})
	t.Run("certificate pin", func(t *testing.T) {
		srv := start(t, sim.Options{HTTPS: true})
		other := start(t, sim.Options{HTTPS: true}) // another self-signed certificate
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, other.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		host, port := srv.HostPort()
		h := lab.NewHost(lab.HostSpec{Name: "pinned", OS: "win11-24h2", User: srv.User(), Snapshot: lab.SnapshotSpec{Driver: "none"}},
			lab.Endpoint{Host: host, Port: port, HTTPS: true, CAFile: ca, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password()})
		t.Cleanup(h.Close)
		rows := Check(t.Context(), h, Options{})
		want(t, rows, CheckTLS, Failed, "TLS handshake failed")
		if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		h.Reset()
		want(t, Check(context.Background(), h, Options{}), CheckTLS, OK, "verified against")
	})
}

// A host whose PowerShell cannot import the op module, because of
// Constrained Language Mode or an execution policy set by Group Policy,
// fails the powershell row naming it, with the fix for it; the checks that
// need the module are skipped, not failed for a wrong reason.
func TestModuleBlockedByPolicy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      sim.Options
		text, fix string
	}{
		{"constrained language", sim.Options{LanguageMode: sim.LanguageConstrained}, "ConstrainedLanguage", "WDAC/AppLocker"},
		{"machine policy AllSigned", sim.Options{MachinePolicy: "AllSigned"}, "execution policy AllSigned is set by Group Policy (MachinePolicy)", "Turn on Script Execution"},
		{"scripts turned off", sim.Options{MachinePolicy: "Restricted"}, "execution policy Restricted is set by Group Policy (MachinePolicy)", "gpupdate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSimHost(t, tc.opts, true)
			rows := h.check(t)
			want(t, rows, CheckPowerShell, Failed, tc.text)
			if r := rowsOf(rows, CheckPowerShell)[0]; !strings.Contains(r.Fix, tc.fix) {
				t.Errorf("fix %q lacks %q", r.Fix, tc.fix)
			}
			want(t, rows, CheckMsiserver, Skipped, "op module cannot run")
			if got := Failures(rows); len(got) != 1 {
				t.Errorf("failures %v, want the powershell row alone", got)
			}
		})
	}
	// RemoteSigned from Group Policy lets the local module run.
	h := newSimHost(t, sim.Options{MachinePolicy: "RemoteSigned"}, false)
	if rows := h.check(t); AnyFailed(rows) {
		t.Errorf("RemoteSigned:\n%s", table(rows))
	}
}
