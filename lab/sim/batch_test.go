package sim_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/internal/testmsi"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
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
