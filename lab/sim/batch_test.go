package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/internal/testmsi"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
)

// An op with requires_previous runs only after a success: a failed op
// skips it, a skipped op skips the next one too, and an op without the
// flag runs whatever came before. A skipped change changes nothing.
func TestRequiresPrevious(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2", "permachine")
	dir := func(p string) ops.Op {
		return ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: p, Type: "directory"})
	}
	stat := func(p string) ops.Op { return ops.MustNew(ops.OpPathStat, ops.PathArgs{Path: p}) }
	res := h.Run(
		dir(`C:\msilab-a`).AfterPrevious(), // the first op: nothing before it
		dir(`C:\msilab-b`).AfterPrevious(), // after a success
		ops.MustNew(ops.OpServiceStop, ops.ServiceArgs{Name: "nosuchservice"}),
		dir(`C:\msilab-c`).AfterPrevious(), // after a failure
		dir(`C:\msilab-d`).AfterPrevious(), // after a skip
		dir(`C:\msilab-e`),                 // no flag
		stat(`C:\msilab-c`), stat(`C:\msilab-d`), stat(`C:\msilab-e`),
	)
	want := []string{"", "", ops.CodeNotFound, ops.CodeSkipped, ops.CodeSkipped, "", "", "", ""}
	for i, r := range res {
		err := r.Decode(nil)
		switch {
		case want[i] == "" && err != nil:
			t.Errorf("op %d %s: %v", i, r.Op, err)
		case want[i] != "" && !errors.Is(err, &ops.Error{Code: want[i]}):
			t.Errorf("op %d %s: %v, want %s", i, r.Op, err, want[i])
		}
	}
	if r := res[3]; r.Op != ops.OpPathCreate || r.Error == nil || r.Error.Message != ops.SkippedError(ops.OpServiceStop).Message {
		t.Errorf("skipped result: %+v", r)
	}
	for i, exists := range []bool{false, false, true} {
		var info ops.PathInfo
		if err := res[6+i].Decode(&info); err != nil || info.Exists != exists {
			t.Errorf("%s: exists %v, want %v (%v)", res[6+i].Op, info.Exists, exists, err)
		}
	}
}

// msi.install passes /norestart: a package that schedules a restart
// installs, exits 3010 and is reported as reboot_required; the host keeps
// running its batch (docs/evidence.md#E-reboot).
func TestMsiInstallReportsRebootRequired(t *testing.T) {
	h := testlab.NewSimHost(t, "server2022", "permachine")
	pkg := lab.PackageDir + `\reboot.msi`
	if _, _, err := lab.EnsureFile(h.Ctx, h.S, testmsi.WithAction(t, "permachine", "ScheduleReboot", "NOT Installed", 6650), pkg); err != nil {
		t.Fatal(err)
	}
	res := h.MustRun(
		ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: pkg}),
		ops.MustNew(ops.OpHostInfo, nil).AfterPrevious(),
		ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: lab.PackageDir + `\permachine.msi`}),
	)
	var run, plain ops.MsiRun
	if err := res[0].Decode(&run); err != nil {
		t.Fatal(err)
	}
	if run.ExitCode != ops.ExitRebootRequired || !run.RebootRequired || !strings.Contains(run.CommandLine, " /qn /norestart /L*v ") {
		t.Fatalf("reboot package: exit %d, reboot_required %v, %s", run.ExitCode, run.RebootRequired, run.CommandLine)
	}
	// The same product is now installed: its reinstall asks for nothing.
	if err := res[2].Decode(&plain); err != nil || plain.ExitCode != 0 || plain.RebootRequired {
		t.Fatalf("reinstall: %+v %v", plain, err)
	}
}

// dialSim starts a simulated host with opts and opens a session to it.
func dialSim(t *testing.T, opts sim.Options) (*sim.Server, lab.Session) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	srv, err := sim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	host, port := srv.HostPort()
	s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(),
		Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return srv, s
}

// Constrained Language Mode and an execution policy set by Group Policy
// that stops an unsigned module are answered NotSupported, naming them,
// before the batch imports anything (the module is not even installed);
// RemoteSigned lets the local module run, and MachinePolicy takes
// precedence over UserPolicy (docs/evidence.md#E-module-policy).
func TestModuleBlockedByPolicy(t *testing.T) {
	info := ops.MustNew(ops.OpHostInfo, nil)
	notSupported := func(t *testing.T, s lab.Session, names ...string) {
		t.Helper()
		_, err := s.RunBatch(context.Background(), []ops.Op{info})
		if !errors.Is(err, &ops.Error{Code: ops.CodeNotSupported}) {
			t.Fatalf("batch: %v, want NotSupported", err)
		}
		for _, n := range names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("the error does not name %s: %v", n, err)
			}
		}
	}
	t.Run("ConstrainedLanguage", func(t *testing.T) {
		srv, s := dialSim(t, sim.Options{OS: "win11-24h2", LanguageMode: sim.LanguageConstrained})
		notSupported(t, s, "ConstrainedLanguage")
		if _, err := srv.Host().Machine().FS().Stat(ops.ModulePath); err == nil {
			t.Error("the module was installed on a host that cannot run it")
		}
	})
	for _, policy := range []string{"AllSigned", "Restricted"} {
		t.Run("MachinePolicy "+policy, func(t *testing.T) {
			_, s := dialSim(t, sim.Options{OS: "server2022", MachinePolicy: policy})
			notSupported(t, s, policy, "MachinePolicy")
		})
	}
	t.Run("UserPolicy", func(t *testing.T) {
		_, s := dialSim(t, sim.Options{OS: "server2025"})
		setUserPolicy(t, s, "AllSigned")
		notSupported(t, s, "AllSigned", "UserPolicy")
	})
	t.Run("RemoteSigned", func(t *testing.T) {
		_, s := dialSim(t, sim.Options{OS: "win10-22h2", MachinePolicy: "RemoteSigned"})
		// A user policy of AllSigned too: MachinePolicy takes precedence.
		setUserPolicy(t, s, "AllSigned")
		if _, err := s.RunBatch(context.Background(), []ops.Op{info}); err != nil {
			t.Fatalf("RemoteSigned: %v", err)
		}
	})
}

// setUserPolicy writes what "Turn on Script Execution" writes for the user.
func setUserPolicy(t *testing.T, s lab.Session, policy string) {
	t.Helper()
	key := `HKCU\SOFTWARE\Policies\Microsoft\Windows\PowerShell`
	res, err := s.RunBatch(context.Background(), []ops.Op{
		ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: key, Name: "EnableScripts", Type: "REG_DWORD", Number: 1}),
		ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: key, Name: "ExecutionPolicy", Type: "REG_SZ", String: policy}),
	})
	if err != nil || !res[0].OK || !res[1].OK {
		t.Fatalf("set the user policy: %v %+v", err, res)
	}
}
