package images_test

// A real `packer build` (Packer 1.9.4, built by .ci/run) of images/test:
// the null builder's WinRM communicator pointed at a simulated Windows host
// started here, and this plugin, built here and installed the way Packer
// 1.9 finds plugins (PACKER_PLUGIN_PATH/<source>/packer-plugin-msilab_v<version>_x5.0_<os>_<arch>
// with its _SHA256SUM file).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msilab/msilab/images/internal/packertest"
	"github.com/msilab/msilab/images/manifest"
	"github.com/msilab/msilab/images/version"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
)

const stdPassword = "Std-Passw0rd!"

// TestMain removes the plugin binary the tests build.
func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

var (
	pluginOnce sync.Once
	pluginDir  string
	pluginBin  string
	pluginErr  error
)

// buildPlugin builds the plugin (cmd/packer-plugin-msilab) once for the
// package's tests.
func buildPlugin(t *testing.T) string {
	t.Helper()
	pluginOnce.Do(func() {
		if pluginDir, pluginErr = os.MkdirTemp("", "msilab-plugin-"); pluginErr != nil {
			return
		}
		pluginBin = filepath.Join(pluginDir, "packer-plugin-msilab")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(gobin, "build", "-o", pluginBin, "github.com/msilab/msilab/cmd/packer-plugin-msilab").CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("go build the plugin: %v\n%s", err, out)
		}
	})
	if pluginErr != nil {
		t.Fatal(pluginErr)
	}
	return pluginBin
}

// installPlugins returns a plugin folder holding the msilab plugin (and
// the given hypervisor plugins), as Packer 1.9 finds what a template requires.
func installPlugins(t *testing.T, hypervisor ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "plugins")
	packertest.InstallPlugin(t, dir, "github.com/msilab/msilab", buildPlugin(t))
	for _, name := range hypervisor {
		packertest.InstallPlugin(t, dir, "github.com/hashicorp/"+name, packertest.PluginPath(t, name))
	}
	return dir
}

// repoRoot is the module root (the folder above images/).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type build struct {
	srv    *sim.Server
	out    string
	output string // the -var output_root folder
	err    error
}

// packerBuild runs `packer build images/test` against srv.
func packerBuild(t *testing.T, packer, plugins string, srv *sim.Server) *build {
	t.Helper()
	b := &build{srv: srv, output: t.TempDir()}
	host, port := srv.HostPort()
	cmd := packertest.Command(t, packer, repoRoot(t), []string{"PACKER_PLUGIN_PATH=" + plugins},
		"build", "-color=false",
		"-var", "winrm_host="+host,
		"-var", "winrm_port="+strconv.Itoa(port),
		"-var", "winrm_use_ssl="+strconv.FormatBool(srv.HTTPS()),
		"-var", "winrm_username="+srv.User(),
		"-var", "winrm_password="+srv.Password(),
		"-var", "standard_password="+stdPassword,
		"-var", "git_revision=test-revision",
		"-var", "output_root="+b.output,
		"images/test")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case b.err = <-done:
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("packer build did not end in 5 minutes:\n%s", out.String())
	}
	b.out = out.String()
	t.Logf("packer build output:\n%s", b.out)
	return b
}

func startSim(t *testing.T, https bool) *sim.Server {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "win11-24h2", HTTPS: https})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	requireStdinRedirect(t, srv)
	return srv
}

// requireStdinRedirect checks that srv runs `command < file` (cmd.exe stdin
// redirection), which the provisioner relies on because Packer's WinRM
// communicator sends no stdin; without it a batch would wait for its input
// until Packer gives up.
func requireStdinRedirect(t *testing.T, srv *sim.Server) {
	t.Helper()
	s := labSession(t, srv)
	ctx := testContext(t)
	if _, err := s.Upload(ctx, strings.NewReader("x"), `C:\Windows\Temp\msilab-redirect-check.txt`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, lab.Command{Line: `exit /b 0 < C:\Windows\Temp\msilab-redirect-check.txt`}); err != nil {
		t.Fatalf("the simulated host does not run cmd.exe's `command < file` (%v): the provisioner needs stdin "+
			"redirection in lab/sim, because its op batches read their request on stdin and Packer's WinRM "+
			"communicator sends none", err)
	}
}

func labSession(t *testing.T, srv *sim.Server) lab.Session {
	t.Helper()
	host, port := srv.HostPort()
	s, err := lab.Dial(testContext(t), lab.Endpoint{Host: host, Port: port, HTTPS: srv.HTTPS(), CACert: srv.CertPEM(),
		User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
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

// TestPackerBuild: `packer build` provisions a clean simulated host over
// WinRM (HTTPS, NTLM, as the image templates connect) and writes the
// manifest beside the output and on the host; with a fault injected
// first, the build fails naming it.
func TestPackerBuild(t *testing.T) {
	packer := packertest.PackerPath(t)
	plugins := installPlugins(t)

	t.Run("clean", func(t *testing.T) {
		t.Parallel()
		srv := startSim(t, true)
		b := packerBuild(t, packer, plugins, srv)
		if b.err != nil {
			t.Fatalf("packer build on a clean host: %v", b.err)
		}
		path := filepath.Join(b.output, "win11-24h2-null.manifest.json")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := manifest.Template{Name: "images/test", GitRevision: "test-revision", BuildName: "sim", Builder: "null"}
		if m.Template != want || m.Tools.Packer != packertest.PackerVersion || m.Tools.Plugin != version.PluginVersion.String() ||
			m.Host.OSProfile != "win11-24h2" || m.Host.MsiVersion == "" || m.Lab.AdminUser != srv.User() || len(m.Baseline.Faults) == 0 {
			t.Errorf("manifest: template %+v tools %+v host %+v admin %q, %d faults", m.Template, m.Tools, m.Host, m.Lab.AdminUser, len(m.Baseline.Faults))
		}
		var onHost bytes.Buffer
		if _, err := labSession(t, srv).Download(testContext(t), manifest.PathOnHost, &onHost); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(onHost.Bytes(), data) {
			t.Errorf("the manifest on the host differs from %s", path)
		}
		// The lab.yaml entry's endpoint is the template's, made from
		// build.Host and build.Port.
		entry, err := os.ReadFile(filepath.Join(b.output, "win11-24h2-null.manifest.lab.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		host, port := srv.HostPort()
		if want := fmt.Sprintf("endpoint: https://%s:%d/wsman\n", host, port); !strings.Contains(string(entry), want) ||
			!strings.Contains(string(entry), "insecure: true") {
			t.Errorf("lab.yaml entry lacks %q and insecure: true:\n%s", want, entry)
		}
		for _, secret := range []string{stdPassword, srv.Password()} {
			if strings.Contains(b.out, secret) {
				t.Errorf("packer's output shows a password")
			}
		}
	})

	t.Run("fault", func(t *testing.T) {
		t.Parallel()
		srv := startSim(t, true)
		op, err := ops.New(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer`,
			Name: "DisableMSI", Type: "REG_DWORD", Number: 2})
		if err != nil {
			t.Fatal(err)
		}
		res, err := labSession(t, srv).RunBatch(testContext(t), []ops.Op{op})
		if err != nil || res[0].Decode(nil) != nil {
			t.Fatalf("inject DisableMSI = 2: %v %+v", err, res)
		}
		b := packerBuild(t, packer, plugins, srv)
		var exit *exec.ExitError
		if !errors.As(b.err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("packer build with DisableMSI = 2: %v, want exit status 1", b.err)
		}
		for _, want := range []string{
			"the image is not clean: 1 fault(s) present:",
			`- disable-msi: HKLM\SOFTWARE\Policies\Microsoft\Windows\Installer\DisableMSI = 2`,
			"Build 'null.sim' errored",
		} {
			if !strings.Contains(b.out, want) {
				t.Errorf("packer's output lacks %q", want)
			}
		}
		if _, err := os.Stat(filepath.Join(b.output, "win11-24h2-null.manifest.json")); !os.IsNotExist(err) {
			t.Errorf("a manifest was written for a faulty host: %v", err)
		}
	})
}
