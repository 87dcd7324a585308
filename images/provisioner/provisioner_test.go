package provisioner_test

// The msilab provisioner run in-process, as Packer runs it, through
// packer-plugin-sdk's own WinRM communicator (sdk-internals/communicator/
// winrm, uploading with winrmcp) against a simulated Windows host.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	packerwinrm "github.com/hashicorp/packer-plugin-sdk/sdk-internals/communicator/winrm"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/images/provisioner"
	"github.com/msilab/msilab/images/version"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/testpkgs"
	"github.com/msilab/msilab/win"
)

// The lab profiles the templates build.
var imageProfiles = []string{"win10-22h2", "win11-24h2", "server2019", "server2022", "server2025"}

const stdPassword = "Std-Passw0rd!ü" // a non-ASCII character travels as \u escape

var buildTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func startSim(t *testing.T, profile string) *sim.Server {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: profile})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// packerComm is Packer's WinRM communicator connected to srv.
func packerComm(t *testing.T, srv *sim.Server) packersdk.Communicator {
	t.Helper()
	host, port := srv.HostPort()
	comm, err := packerwinrm.New(&packerwinrm.Config{Host: host, Port: port, Username: srv.User(), Password: srv.Password(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return comm
}

// requireStdinRedirect checks that the host runs `command < file` (cmd.exe
// stdin redirection), which the provisioner relies on because Packer's
// WinRM communicator sends no stdin; without it a batch would wait for its
// input forever. `exit /b 0 < file` exits 0 where cmd redirects.
func requireStdinRedirect(t *testing.T) {
	t.Helper()
	comm := packerComm(t, startSim(t, "win11-24h2"))
	if err := comm.Upload(`$env:TEMP\msilab-redirect-check.txt`, strings.NewReader("redirected"), nil); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	rc := &packersdk.RemoteCmd{Command: `exit /b 0 < "%TEMP%\msilab-redirect-check.txt"`, Stdout: &out, Stderr: &errOut}
	if err := comm.Start(testContext(t), rc); err != nil {
		t.Fatal(err)
	}
	if code := rc.Wait(); code != 0 {
		t.Fatalf("the simulated host does not run cmd.exe's `command < file` (exit %d, stderr %q): the provisioner needs "+
			"stdin redirection in lab/sim, because its op batches read their request on stdin and Packer's WinRM "+
			"communicator sends none", code, errOut.String())
	}
}

// labSession is msilab's own session with srv, to set up and inspect the
// host beside the provisioner.
func labSession(t *testing.T, srv *sim.Server) lab.Session {
	t.Helper()
	host, port := srv.HostPort()
	s, err := lab.Dial(testContext(t), lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type run struct {
	dir     string
	out     bytes.Buffer
	err     error
	srv     *sim.Server
	profile string
}

// provision runs the provisioner on srv as Packer would, with its output
// in a temporary folder.
// provisionMu serializes provisioner runs: packer-plugin-sdk keeps its log
// secret filter in a package-level map that Prepare writes and the UI
// reads, unguarded. Packer runs each plugin component in its own process,
// so only tests that run several in one process need this.
var provisionMu sync.Mutex

func provision(t *testing.T, srv *sim.Server, profile string) *run {
	t.Helper()
	return provisionWatched(t, srv, profile, packerComm(t, srv), nil, nil)
}

// provisionWith is provision through a given communicator.
func provisionWith(t *testing.T, srv *sim.Server, profile string, comm packersdk.Communicator) *run {
	t.Helper()
	return provisionWatched(t, srv, profile, comm, nil, nil)
}

// provisionExtra is provision with more configuration.
func provisionExtra(t *testing.T, srv *sim.Server, profile string, extra map[string]interface{}) *run {
	t.Helper()
	return provisionWatched(t, srv, profile, packerComm(t, srv), extra, nil)
}

// provisionWatched is provisionWith with more configuration, whose UI
// output also goes to watch (if not nil), as it is written.
func provisionWatched(t *testing.T, srv *sim.Server, profile string, comm packersdk.Communicator, extra map[string]interface{}, watch io.Writer) *run {
	t.Helper()
	provisionMu.Lock()
	defer provisionMu.Unlock()
	r := &run{dir: t.TempDir(), srv: srv, profile: profile}
	p := &provisioner.Provisioner{Now: func() time.Time { return buildTime }}
	err := p.Prepare(extra, map[string]interface{}{
		"os_profile":          profile,
		"standard_password":   stdPassword,
		"template_name":       "images/windows",
		"git_revision":        "0123456789abcdef",
		"manifest_path":       filepath.Join(r.dir, "out", profile+".manifest.json"),
		"packer_build_name":   "windows",
		"packer_builder_type": "qemu",
		"packer_core_version": "1.9.4",
	})
	if err != nil {
		t.Fatal(err)
	}
	host, port := srv.HostPort()
	var w io.Writer = &r.out
	if watch != nil {
		w = io.MultiWriter(&r.out, watch)
	}
	ui := &packersdk.BasicUi{Reader: strings.NewReader(""), Writer: w, ErrorWriter: w}
	r.err = p.Provision(testContext(t), ui, comm, map[string]interface{}{
		"ConnType": "winrm", "Host": host, "Port": port, "User": srv.User(), "Password": srv.Password(),
	})
	t.Logf("provisioner output:\n%s", r.out.String())
	return r
}

func (r *run) manifestPath() string { return filepath.Join(r.dir, "out", r.profile+".manifest.json") }
func (r *run) labYAMLPath() string {
	return filepath.Join(r.dir, "out", r.profile+".manifest.lab.yaml")
}

// TestProvisionCleanHost: on a clean host of each image profile the
// provisioner passes, prepares the host and writes a manifest whose
// fields are right, on the image and beside the output, with a lab.yaml.
func TestProvisionCleanHost(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	for _, profile := range imageProfiles {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile)
			r := provision(t, srv, profile)
			if r.err != nil {
				t.Fatalf("Provision on a clean %s host: %v", profile, r.err)
			}
			m := checkManifest(t, r)
			checkLabYAML(t, r, m)

			// A second run on the prepared host changes nothing: same baseline.
			r2 := provision(t, srv, profile)
			if r2.err != nil {
				t.Fatalf("second Provision: %v", r2.err)
			}
			m2 := checkManifest(t, r2)
			if m2.BaselineSHA256 != m.BaselineSHA256 {
				t.Errorf("second run: baseline %s, first %s", m2.BaselineSHA256, m.BaselineSHA256)
			}
			for _, want := range []string{"Op module already current.", "already existed", "already current"} {
				if !strings.Contains(r2.out.String(), want) {
					t.Errorf("second run's output lacks %q", want)
				}
			}
			checkHostPrepared(t, r, m)
		})
	}
}

// checkManifest reads the local manifest, checks its fields, and checks
// that the image holds the same document.
func checkManifest(t *testing.T, r *run) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(r.manifestPath())
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	p, err := win.LookupProfile(r.profile)
	if err != nil {
		t.Fatal(err)
	}
	want := struct {
		template manifest.Template
		tools    manifest.Tools
		host     manifest.Host
		admin    string
		logging  string
	}{
		manifest.Template{Name: "images/windows", GitRevision: "0123456789abcdef", BuildName: "windows", Builder: "qemu"},
		manifest.Tools{Plugin: version.PluginVersion.String(), Packer: "1.9.4", OpModuleSHA256: ops.ModuleSHA256},
		manifest.Host{OSProfile: r.profile, Hostname: r.srv.Host().Hostname(), ProductName: p.DisplayName, Edition: p.EditionID,
			Build: p.Version(), DisplayVersion: p.DisplayVersion, MsiVersion: p.MsiVersion,
			MachineSID: string(win.SID(m.Lab.StandardUser.SID).Domain())},
		r.srv.User(),
		"voicewarmupx",
	}
	if m.Template != want.template || m.Tools != want.tools || m.Host != want.host || m.Lab.AdminUser != want.admin ||
		m.Lab.InstallerLogging != want.logging || !m.Created.Equal(buildTime) || m.Schema != manifest.SchemaVersion {
		t.Errorf("manifest:\n template %+v\n tools %+v\n host %+v\n admin %q logging %q created %v\nwant:\n %+v", m.Template, m.Tools,
			m.Host, m.Lab.AdminUser, m.Lab.InstallerLogging, m.Created, want)
	}
	if m.Lab.StandardUser.Name != ops.DefaultStandardUser || !strings.HasPrefix(m.Lab.StandardUser.SID, "S-1-5-21-") {
		t.Errorf("standard user %+v", m.Lab.StandardUser)
	}
	// The machine SID is the account domain of the host's local accounts
	// (the administrator's too).
	admin, err := r.srv.Host().Machine().Token(win.KindAdminElevated, r.srv.User())
	if err != nil || string(admin.User.Domain()) != m.Host.MachineSID || !strings.HasPrefix(m.Host.MachineSID, "S-1-5-21-") {
		t.Errorf("machine SID %q; the administrator is %v (%v)", m.Host.MachineSID, admin, err)
	}
	// The host folder's descriptor as set, automatic updates off.
	if err := provisioner.CheckHostDir(m.Lab.HostDirSDDL); err != nil || m.Lab.AutomaticUpdates != "off" {
		t.Errorf("host folder %q (%v), automatic updates %q", m.Lab.HostDirSDDL, err, m.Lab.AutomaticUpdates)
	}
	// The licence, as host.license reports it, with its expiry (the
	// simulated profiles are retail and activated: none, unless a test
	// sets another licence); doctor gets the expiry.
	lic := r.srv.Host().License()
	expires, _ := manifest.LicenseExpiry(m.License.ReadAt, lic.GraceMinutes, lic.EvaluationEnd)
	if m.License.Name != lic.Name || m.License.Status != lic.Status || m.License.Channel != lic.Channel ||
		m.License.Evaluation != lic.Evaluation || m.License.GraceMinutes != lic.GraceMinutes || m.License.EvaluationEnd != lic.EvaluationEnd ||
		m.License.ReadAt == "" || m.License.Expires != expires || m.Doctor.LicenseExpires != expires ||
		(!lic.Evaluation && lic.GraceMinutes == 0 && expires != "") {
		t.Errorf("licence %+v, doctor %+v; the host says %+v", m.License, m.Doctor, lic)
	}
	checkDoctor(t, m)
	// Packages: every test package, at lab.PackageDir, with its hash.
	names := testpkgs.Names()
	if len(m.Lab.Packages) != len(names) {
		t.Fatalf("packages %+v, want %v", m.Lab.Packages, names)
	}
	for i, pkg := range m.Lab.Packages {
		data, _ := testpkgs.Bytes(names[i])
		if pkg.Name != names[i] || pkg.Path != lab.PackageDir+`\`+names[i]+".msi" || pkg.Size != int64(len(data)) || pkg.SHA256 != sha256Upper(data) {
			t.Errorf("package %d: %+v", i, pkg)
		}
	}
	// Baseline: every variant of every registered fault, absent, with its probe.
	if m.Baseline.AdminUser != r.srv.User() || m.Baseline.StandardUser != ops.DefaultStandardUser || m.Baseline.Context != ops.ContextAdminElevated {
		t.Errorf("baseline target %q %q %q", m.Baseline.AdminUser, m.Baseline.StandardUser, m.Baseline.Context)
	}
	// One entry per variant of each fault (faults.Variants), in order.
	var wantFaults []string
	for _, name := range faults.Names() {
		vs, _ := faults.Variants(name)
		for _, f := range vs {
			wantFaults = append(wantFaults, name+" "+string(faults.Params(f)))
		}
	}
	if got, want := len(m.Baseline.Faults), len(wantFaults); got != want {
		t.Fatalf("baseline has %d fault variants, want %d (%v)", got, want, wantFaults)
	}
	for i, f := range m.Baseline.Faults {
		var params bytes.Buffer
		json.Compact(&params, f.Params)
		if f.Name+" "+params.String() != wantFaults[i] || (f.Present && !negativeControl(f.Name)) || f.Evidence == "" || len(f.Probe) == 0 {
			t.Errorf("baseline fault %d: %s %s present=%v evidence %q, %d probe results; want %s", i, f.Name, f.Params, f.Present, f.Evidence, len(f.Probe), wantFaults[i])
		}
	}
	if h, _ := manifest.BaselineHash(m.Baseline); h != m.BaselineSHA256 || len(h) != 64 {
		t.Errorf("baseline hash %s, manifest says %s", h, m.BaselineSHA256)
	}
	// The image holds the same manifest.
	var onHost bytes.Buffer
	if _, err := labSession(t, r.srv).Download(testContext(t), manifest.PathOnHost, &onHost); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onHost.Bytes(), data) {
		t.Errorf("the manifest on the image differs from the local one:\n%s", onHost.String())
	}
	return m
}

// checkDoctor: the doctor section names fields that each hold a value, and
// the licence warning is a duration.
func checkDoctor(t *testing.T, m *manifest.Manifest) {
	t.Helper()
	if strings.Join(m.Doctor.Same, " ") != strings.Join(manifest.DoctorSame, " ") || m.Doctor.LicenseWarn != manifest.DoctorLicenseWarn.String() {
		t.Errorf("doctor %+v", m.Doctor)
	}
	for _, path := range m.Doctor.Same {
		if v, err := m.Field(path); err != nil || v == "" {
			t.Errorf("doctor compares %s, which is %q (%v)", path, v, err)
		}
	}
	if _, err := time.ParseDuration(m.Doctor.LicenseWarn); err != nil {
		t.Error(err)
	}
}

// checkHostPrepared looks at the host through msilab's own session: the
// standard user, the logging policy, automatic updates, the host folder's
// ACL, the packages.
func checkHostPrepared(t *testing.T, r *run, m *manifest.Manifest) {
	t.Helper()
	s := labSession(t, r.srv)
	res, err := s.RunBatch(testContext(t), []ops.Op{
		ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: provisioner.WindowsUpdatePolicyKey, Name: "NoAutoUpdate"}),
		ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: ops.HostDir}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var nau ops.RegistryValue
	if err := res[0].Decode(&nau); err != nil || nau.Type != "REG_DWORD" || nau.Number != 1 {
		t.Errorf("NoAutoUpdate: %+v, %v", nau, err)
	}
	var acl ops.ACL
	if err := res[1].Decode(&acl); err != nil || !acl.Protected || provisioner.CheckHostDir(acl.SDDL) != nil {
		t.Errorf("%s: %+v, %v", ops.HostDir, acl, err)
	}
	checkStandardUserCannotPlant(t, r.srv, false)
	batch := []ops.Op{
		ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: ops.DefaultStandardUser}),
		ops.MustNew(ops.OpRegistryGet, ops.RegistryValueArgs{Path: provisioner.InstallerPolicyKey, Name: "Logging"}),
	}
	for _, pkg := range m.Lab.Packages {
		batch = append(batch, ops.MustNew(ops.OpPathHash, ops.PathHashArgs{Path: pkg.Path}))
	}
	res, err = s.RunBatch(testContext(t), batch)
	if err != nil {
		t.Fatal(err)
	}
	var u ops.User
	if err := res[0].Decode(&u); err != nil || !u.Exists || u.Admin || u.SID != m.Lab.StandardUser.SID {
		t.Errorf("standard user: %+v, %v", u, err)
	}
	var v ops.RegistryValue
	if err := res[1].Decode(&v); err != nil || v.Type != "REG_SZ" || v.String != "voicewarmupx" {
		t.Errorf("Logging policy: %+v, %v", v, err)
	}
	for i, pkg := range m.Lab.Packages {
		var h ops.PathHash
		if err := res[2+i].Decode(&h); err != nil || !h.Exists || h.SHA256 != pkg.SHA256 {
			t.Errorf("%s on the host: %+v, %v", pkg.Path, h, err)
		}
	}
	// On a client edition the standard user installs an uploaded per-user
	// package (on Server an absent DisableMSI acts as 1 and refuses it).
	if p, _ := win.LookupProfile(r.profile); p.Edition == win.EditionClient {
		ctx := lab.WithLogons(testContext(t), ops.Logon{User: ops.DefaultStandardUser, Password: stdPassword})
		res, err = s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{
			Package: lab.PackageDir + `\peruser.msi`, Context: ops.ContextStandardUser})})
		if err != nil {
			t.Fatal(err)
		}
		var run ops.MsiRun
		if err := res[0].Decode(&run); err != nil || run.ExitCode != 0 {
			t.Errorf("per-user install as the standard user: exit %d, %v", run.ExitCode, err)
		}
	}
}

// checkLabYAML parses the lab.yaml entry with msilab's inventory parser.
func checkLabYAML(t *testing.T, r *run, m *manifest.Manifest) {
	t.Helper()
	data, err := os.ReadFile(r.labYAMLPath())
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for _, p := range win.Profiles() {
		known = append(known, p.Name)
	}
	inv, err := lab.ParseInventory(r.labYAMLPath(), data, known)
	if err != nil {
		t.Fatalf("lab.yaml: %v\n%s", err, data)
	}
	h := inv.Hosts[0]
	host, port := r.srv.HostPort()
	env := "MSILAB_" + strings.ToUpper(strings.ReplaceAll(r.profile, "-", "_"))
	want := lab.HostSpec{Name: r.profile, OS: r.profile, Endpoint: "http://" + host + ":" + itoa(port) + "/wsman", Auth: "ntlm",
		User: r.srv.User(), PasswordEnv: env + "_PASSWORD", StandardUser: ops.DefaultStandardUser,
		StandardPasswordEnv: env + "_STANDARD_PASSWORD", Line: h.Line,
		// Built by Packer's qemu builder: the libvirt driver, on the local system daemon.
		Snapshot: lab.SnapshotSpec{Driver: "libvirt", Name: "msilab-clean", Settings: lab.Settings{"uri": "qemu:///system"}}}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("lab.yaml host:\n %+v\nwant\n %+v", h, want)
	}
	if !bytes.Contains(data, []byte(m.BaselineSHA256)) || bytes.Contains(data, []byte(stdPassword)) || bytes.Contains(data, []byte(r.srv.Password())) {
		t.Errorf("lab.yaml must name the baseline hash and hold no password:\n%s", data)
	}
	// The entry connects: msilab's own session reaches the host with it.
	// (os.Setenv: t.Setenv refuses parallel tests; the name is this profile's.)
	os.Setenv(want.PasswordEnv, r.srv.Password())
	t.Cleanup(func() { os.Unsetenv(want.PasswordEnv) })
	ep, err := h.Connect()
	if err != nil {
		t.Fatal(err)
	}
	s, err := lab.Dial(testContext(t), ep)
	if err != nil {
		t.Fatalf("dial the lab.yaml entry: %v", err)
	}
	s.Close()
}

// TestProvisionFaultyHost: a fault injected first (with its default
// parameters, by the faults package through msilab's own session) fails
// the build, naming the fault with what Detect saw, and no manifest is
// written.
func TestProvisionFaultyHost(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	for _, name := range faults.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, "win11-24h2")
			evidence := injectFault(t, srv, name)
			r := provision(t, srv, "win11-24h2")
			if name == "user-temp" {
				// The admin's %TEMP% is gone: Packer's WinRM uploads
				// (winrmcp) stage there, so no op batch can run; the
				// provisioner says so, naming the fault.
				var tempErr *provisioner.TempError
				if !errors.As(r.err, &tempErr) || !strings.Contains(r.err.Error(), "user-temp") {
					t.Fatalf("Provision with user-temp injected: %v, want a TempError naming user-temp", r.err)
				}
				return
			}
			if name == "source-missing" {
				// The provisioner uploads the test packages before it
				// checks: the hidden source is back in place, so the
				// product's removal would run from it and the fault is
				// absent (its Detect says which file exists).
				if r.err != nil || !strings.Contains(r.out.String(), "source-missing") || !strings.Contains(r.out.String(), "exists: true") {
					t.Fatalf("Provision with source-missing injected: %v\n%s", r.err, r.out.String())
				}
				return
			}
			if negativeControl(name) {
				// Its "fault" is the clean host's own state: the build passes.
				if r.err != nil {
					t.Fatalf("Provision with the negative control %s: %v", name, r.err)
				}
				return
			}
			var notClean *provisioner.NotCleanError
			if !errors.As(r.err, &notClean) || !errors.Is(r.err, provisioner.ErrNotClean) {
				t.Fatalf("Provision with %s injected: %v, want a NotCleanError", name, r.err)
			}
			// Only the injected fault is found; a fault that depends on
			// what it broke may be unchecked (installer-acl without
			// C:\Windows\Installer), and is named too.
			if len(notClean.Found) != 1 || notClean.Found[0].Fault != name {
				t.Fatalf("found %+v, unchecked %+v; want %s only", notClean.Found, notClean.Unchecked, name)
			}
			msg := r.err.Error()
			if !strings.Contains(msg, "- "+name+": "+evidence) {
				t.Errorf("the error does not name %s with Detect's evidence %q:\n%s", name, evidence, msg)
			}
			if !strings.Contains(r.out.String(), name) {
				t.Errorf("the UI does not name %s:\n%s", name, r.out.String())
			}
			if _, err := os.Stat(r.manifestPath()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a manifest was written for a faulty host: %v", err)
			}
		})
	}
}

// TestProvisionDisableMSIByOp: the example of images/README.md, DisableMSI
// = 2 set with one registry.set op, names disable-msi and the value.
func TestProvisionDisableMSIByOp(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "server2022")
	s := labSession(t, srv)
	res, err := s.RunBatch(testContext(t), []ops.Op{ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{
		Path: provisioner.InstallerPolicyKey, Name: "DisableMSI", Type: "REG_DWORD", Number: 2})})
	if err != nil || res[0].Decode(nil) != nil {
		t.Fatalf("registry.set DisableMSI: %v %+v", err, res)
	}
	r := provision(t, srv, "server2022")
	want := `disable-msi: HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer\DisableMSI = 2`
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("Provision with DisableMSI = 2: %v, want an error containing %q", r.err, want)
	}
}

// TestProvisionWrongOS: a template's os_profile that does not match the
// machine fails before anything is changed.
func TestProvisionWrongOS(t *testing.T) {
	t.Parallel()
	requireStdinRedirect(t)
	srv := startSim(t, "win10-22h2")
	r := provision(t, srv, "server2019")
	if r.err == nil || !strings.Contains(r.err.Error(), "simulated win10-22h2, not server2019") {
		t.Fatalf("Provision of a win10-22h2 host as server2019: %v", r.err)
	}
	res, err := labSession(t, srv).RunBatch(testContext(t), []ops.Op{ops.MustNew(ops.OpUserGet, ops.UserArgs{Name: ops.DefaultStandardUser})})
	if err != nil {
		t.Fatal(err)
	}
	var u ops.User
	if err := res[0].Decode(&u); err != nil || u.Exists {
		t.Fatalf("the standard user was created on a host of the wrong OS: %+v %v", u, err)
	}
}

// injectFault injects a registered fault with its default parameters in
// the admin-elevated context and returns what its Detect then says.
func injectFault(t *testing.T, srv *sim.Server, name string) string {
	t.Helper()
	ctx := testContext(t)
	s := labSession(t, srv)
	info, err := faults.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	f := info.New()
	target := faults.Target{AdminUser: srv.User(), StandardUser: ops.DefaultStandardUser, Context: ops.ContextAdminElevated}
	if err := testlab.PrepareFault(ctx, s, f); err != nil {
		t.Fatal(err)
	}
	p, err := faults.RunProbe(ctx, s, f, target)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := f.Inject(target, p)
	if err != nil {
		t.Fatalf("inject %s: %v", name, err)
	}
	res, err := s.RunBatch(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if err := r.Decode(nil); err != nil {
			t.Fatalf("inject %s: %v", name, err)
		}
	}
	now, err := faults.RunProbe(ctx, s, f, target)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Detect(target, now)
	if err != nil || !d.Present {
		t.Fatalf("%s injected but not detected: %+v %v", name, d, err)
	}
	return d.Evidence
}

func sha256Upper(b []byte) string {
	sum := sha256.Sum256(b)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func itoa(n int) string { return strconv.Itoa(n) }

// negativeControl: the fault's "presence" is a clean host's own state.
func negativeControl(name string) bool {
	info, err := faults.Lookup(name)
	return err == nil && info.NegativeControl
}
