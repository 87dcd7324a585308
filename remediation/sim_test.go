package remediation_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/remediation"
	"github.com/msilab/msilab/testpkgs"
)

// simLab is a simulated host reached through the real WinRM path, with
// the lab user and the test packages, snapshotted as "clean" once set up.
type simLab struct {
	*testlab.SimHost
	t       testing.TB
	ctx     context.Context
	srv     *sim.Server
	s       lab.Session
	profile string
}

func newSimLab(t testing.TB, osProfile string) *simLab {
	t.Helper()
	h := testlab.NewSimHost(t, osProfile)
	l := &simLab{SimHost: h, t: t, ctx: h.Ctx, srv: h.Srv, s: h.S, profile: osProfile}
	l.mustRun(ops.MustNew(ops.OpSimSnapshot, ops.SnapshotArgs{Name: "clean"}))
	return l
}

// reset restores the clean snapshot.
func (l *simLab) reset() {
	l.t.Helper()
	l.mustRun(ops.MustNew(ops.OpSimRestore, ops.SnapshotArgs{Name: "clean"}))
}

func (l *simLab) target(context string) faults.Target {
	return faults.Target{AdminUser: l.srv.User(), StandardUser: ops.DefaultStandardUser, Context: context}
}

func (l *simLab) run(batch ...ops.Op) []ops.Result     { l.t.Helper(); return l.Run(batch...) }
func (l *simLab) mustRun(batch ...ops.Op) []ops.Result { l.t.Helper(); return l.MustRun(batch...) }

func (l *simLab) probe(context string) *remediation.HostState {
	l.t.Helper()
	st, err := remediation.Probe(l.ctx, l.s, l.target(context))
	if err != nil {
		l.t.Fatal(err)
	}
	return st
}

func (l *simLab) msi(op ops.Op) ops.MsiRun {
	l.t.Helper()
	var run ops.MsiRun
	if err := l.run(op)[0].Decode(&run); err != nil {
		l.t.Fatal(err)
	}
	return run
}

func (l *simLab) install(pkg, context string, props map[string]string, ui string) ops.MsiRun {
	l.t.Helper()
	return l.installLogon(pkg, context, "", props, ui)
}

// installLogon installs with a logon of the context ("" is its default).
func (l *simLab) installLogon(pkg, context, logon string, props map[string]string, ui string) ops.MsiRun {
	l.t.Helper()
	user := ""
	if context == ops.ContextStandardUser {
		user = ops.DefaultStandardUser
	}
	return l.msi(ops.MustNew(ops.OpMsiInstall, ops.MsiInstallArgs{Package: lab.PackageDir + `\` + pkg + ".msi",
		Context: context, User: user, Properties: props, UI: ui, Logon: logon}))
}

func (l *simLab) uninstall(pkg, context string) ops.MsiRun {
	l.t.Helper()
	info, err := testpkgs.Lookup(pkg)
	if err != nil {
		l.t.Fatal(err)
	}
	user := ""
	if context == ops.ContextStandardUser {
		user = ops.DefaultStandardUser
	}
	return l.msi(ops.MustNew(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: info.ProductCode, Context: context, User: user}))
}

// inject injects a fault for a context and returns its undo probe.
func (l *simLab) inject(name string, params []byte, tgt faults.Target) (faults.Fault, faults.Probe) {
	l.t.Helper()
	f, err := faults.Decode(name, params)
	if err != nil {
		l.t.Fatal(err)
	}
	undo, err := faults.RunProbe(l.ctx, l.s, f, tgt)
	if err != nil {
		l.t.Fatal(err)
	}
	batch, err := f.Inject(tgt, undo)
	if err != nil {
		l.t.Fatalf("inject %s: %v", name, err)
	}
	l.mustRun(batch...)
	return f, undo
}

// modelBaseline is the model's state without what an install run changes
// by itself (events, msiserver's run state and PID).
func (l *simLab) modelState() model.State {
	var out model.State
	for _, s := range l.srv.Host().Machine().State() {
		if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver ") {
			out = append(out, s)
		}
	}
	return out
}

// modifiedStamp is the modified time of a file system state line.
var modifiedStamp = regexp.MustCompile(` (created|modified)=\S+`)

// assertModelBaseline compares the model's whole state with base; the
// created and modified times of the folders in touched are not compared
// (a folder moved away and back, or removed and recreated, is stamped anew).
func (l *simLab) assertModelBaseline(base model.State, touched ...string) {
	l.t.Helper()
	norm := func(st model.State) model.State {
		out := make(model.State, 0, len(st))
		for _, s := range st {
			for _, p := range touched {
				if strings.HasPrefix(s, "fs "+strings.ToLower(p)+" ") {
					s = modifiedStamp.ReplaceAllString(s, "")
				}
			}
			out = append(out, s)
		}
		return out
	}
	onlyBefore, onlyAfter := model.DiffState(norm(base), norm(l.modelState()))
	for _, s := range onlyBefore {
		if perUserUninstallOddity.MatchString(s) {
			continue
		}
		l.t.Errorf("not back to the model baseline: lost %s", s)
	}
	for _, s := range onlyAfter {
		l.t.Errorf("not back to the model baseline: gained %s", s)
	}
}

// perUserUninstallOddity is a model oddity, not a remediation's doing:
// uninstalling a per-user product removes HKU\<SID>\Software\Microsoft,
// which the model's profile has empty (on Windows it is never empty), in
// the hive loaded or in its file.
var perUserUninstallOddity = regexp.MustCompile(`^reg (hku\\|ntuser\.dat of )s-1-5-21-[0-9-]+\\software\\microsoft$`)

// isNotFound is an op result that found its object gone.
func isNotFound(r ops.Result) bool {
	return errors.Is(r.Decode(nil), &ops.Error{Code: ops.CodeNotFound})
}
