package faults_test

import (
	"context"
	"encoding/json"
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
	"github.com/msilab/msilab/testpkgs"
)

// simLab is a simulated host reached through the real WinRM path, with the
// lab user and the test packages, and its state once set up (the baseline).
type simLab struct {
	*testlab.SimHost
	t        *testing.T
	ctx      context.Context
	srv      *sim.Server
	s        lab.Session
	baseline model.State
}

func newSimLab(t *testing.T, osProfile string) *simLab {
	t.Helper()
	h := testlab.NewSimHost(t, osProfile, "permachine", "peruser")
	return &simLab{SimHost: h, t: t, ctx: h.Ctx, srv: h.Srv, s: h.S, baseline: h.Srv.Host().Machine().State()}
}

func (l *simLab) target(context string) faults.Target {
	return faults.Target{AdminUser: l.srv.User(), StandardUser: ops.DefaultStandardUser, Context: context}
}

func (l *simLab) run(batch ...ops.Op) []ops.Result     { l.t.Helper(); return l.Run(batch...) }
func (l *simLab) mustRun(batch ...ops.Op) []ops.Result { l.t.Helper(); return l.MustRun(batch...) }

func (l *simLab) probe(f faults.Fault, tgt faults.Target) faults.Probe {
	l.t.Helper()
	p, err := faults.RunProbe(l.ctx, l.s, f, tgt)
	if err != nil {
		l.t.Fatal(err)
	}
	return p
}

// detect takes a probe now and returns Detect's answer.
func (l *simLab) detect(f faults.Fault, tgt faults.Target) faults.Detection {
	l.t.Helper()
	d, err := f.Detect(tgt, l.probe(f, tgt))
	if err != nil {
		l.t.Fatalf("detect: %v", err)
	}
	return d
}

func (l *simLab) msi(op string, args any) ops.MsiRun {
	l.t.Helper()
	var run ops.MsiRun
	if err := l.run(ops.MustNew(op, args))[0].Decode(&run); err != nil {
		l.t.Fatal(err)
	}
	return run
}

func (l *simLab) install(pkg, context string) ops.MsiRun {
	l.t.Helper()
	return l.msi(ops.OpMsiInstall, ops.MsiInstallArgs{Package: lab.PackageDir + `\` + pkg + ".msi", Context: context})
}

func (l *simLab) uninstall(pkg, context string) ops.MsiRun {
	l.t.Helper()
	info, err := testpkgs.Lookup(pkg)
	if err != nil {
		l.t.Fatal(err)
	}
	return l.msi(ops.OpMsiUninstall, ops.MsiUninstallArgs{Product: info.ProductCode, Context: context})
}

// alreadyRunning is the simulated host's service.start of a running
// service: Conflict, ERROR_SERVICE_ALREADY_RUNNING (1056), where the real
// module's Start-Service succeeds (PowerShell's Start-Service ignores
// 1056, as Stop-Service ignores 1062). Restarting msiserver is then
// already done (an install started it). Reported as a simulator
// discrepancy; accepted in revert results until the simulator agrees.
func alreadyRunning(r ops.Result) bool {
	var oe *ops.Error
	return r.Op == ops.OpServiceStart && errors.As(r.Decode(nil), &oe) && oe.Code == ops.CodeConflict && oe.Win32 == 1056
}

// revert sends Revert's ops twice: the first send must succeed, the second
// may find its objects gone (NotFound: "already reverted").
func (l *simLab) revert(f faults.Fault, tgt faults.Target, undo faults.Probe) {
	l.t.Helper()
	batch, err := f.Revert(tgt, undo)
	if err != nil {
		l.t.Fatalf("revert: %v", err)
	}
	for i, send := range []string{"first", "second"} {
		for _, r := range l.run(batch...) {
			err := r.Decode(nil)
			if err == nil || alreadyRunning(r) || i > 0 && errors.Is(err, &ops.Error{Code: ops.CodeNotFound}) {
				continue
			}
			l.t.Errorf("revert, %s send: %v", send, err)
		}
	}
}

// assertBaseline checks that the host is as it was once set up, apart
// from events and msiserver's run state (an install starts it). The
// folders in moved were moved away and back: the model stamps a moved
// folder's modified time (see stripModified), so theirs is not compared.
func (l *simLab) assertBaseline(moved ...string) {
	l.t.Helper()
	norm := func(st model.State) model.State {
		out := make(model.State, 0, len(st))
		for _, s := range st {
			if !strings.HasPrefix(s, "event ") && !strings.HasPrefix(s, "svc msiserver ") {
				out = append(out, stripModified(s, moved))
			}
		}
		return out
	}
	onlyBefore, onlyAfter := model.DiffState(norm(l.baseline), norm(l.srv.Host().Machine().State()))
	for _, s := range onlyBefore {
		l.t.Errorf("not back to baseline: lost %s", s)
	}
	for _, s := range onlyAfter {
		l.t.Errorf("not back to baseline: gained %s", s)
	}
}

// modifiedStamp is the modified time of a state line of the file system.
var modifiedStamp = regexp.MustCompile(` modified=\S+`)

// stripModified drops the modified time from the state line of a moved
// folder: model.FS.Move stamps the moved object's own modified time,
// so moving a folder away and back changes it (on NTFS a rename keeps the
// object's last-write time: reported as a model oddity).
func stripModified(line string, moved []string) string {
	for _, p := range moved {
		if strings.HasPrefix(line, "fs "+strings.ToLower(p)+" ") {
			return modifiedStamp.ReplaceAllString(line, "")
		}
	}
	return line
}

// cell is one fault's lifecycle on a host, with the install that shows it.
type cell struct {
	fault, params string
	context, pkg  string
	exit          int
	log           []string         // the install's log has these, in order
	setup         func(l *simLab)  // before the probe
	injected      func(l *simLab)  // checks once the fault is in
	installed     func(ops.MsiRun) // checks of the install run
	uninstallAs   string           // context of the uninstall after a successful install ("" is the cell's)
	moved         []string         // folders the fault moves away and back (assertBaseline)
}

// lifecycle runs probe → Detect (absent) → Inject → Detect (present) →
// install → uninstall if it succeeded → Revert twice → Detect (absent) →
// baseline, and returns the install's run.
func (l *simLab) lifecycle(c cell) ops.MsiRun {
	l.t.Helper()
	f, err := faults.Decode(c.fault, json.RawMessage(c.params))
	if err != nil {
		l.t.Fatal(err)
	}
	tgt := l.target(c.context)
	if c.setup != nil {
		c.setup(l)
	}
	undo := l.probe(f, tgt)
	if d, err := f.Detect(tgt, undo); err != nil || d.Present {
		l.t.Fatalf("before inject: detect %+v, %v; want absent", d, err)
	}
	batch, err := f.Inject(tgt, undo)
	if err != nil {
		l.t.Fatalf("inject: %v", err)
	}
	if len(batch) == 0 {
		l.t.Fatalf("inject: no ops")
	}
	l.mustRun(batch...)
	d := l.detect(f, tgt)
	if !d.Present {
		l.t.Fatalf("after inject: detect %+v; want present", d)
	}
	l.t.Logf("detected: %s", d.Evidence)
	if c.injected != nil {
		c.injected(l)
	}
	run := l.install(c.pkg, c.context)
	if run.ExitCode != c.exit {
		l.t.Errorf("install %s as %s: exit %d, want %d\n%s", c.pkg, c.context, run.ExitCode, c.exit, run.Log)
	}
	rest := run.Log
	for _, s := range c.log {
		i := strings.Index(rest, s)
		if i < 0 {
			l.t.Errorf("install log lacks %q (in order):\n%s", s, run.Log)
			break
		}
		rest = rest[i+len(s):]
	}
	if c.installed != nil {
		c.installed(run)
	}
	if run.ExitCode == 0 {
		as := c.uninstallAs
		if as == "" {
			as = c.context
		}
		if u := l.uninstall(c.pkg, as); u.ExitCode != 0 {
			l.t.Errorf("uninstall %s as %s: exit %d\n%s", c.pkg, as, u.ExitCode, u.Log)
		}
	}
	l.revert(f, tgt, undo)
	if d := l.detect(f, tgt); d.Present {
		l.t.Errorf("after revert: detect %+v; want absent", d)
	}
	l.assertBaseline(c.moved...)
	return run
}

// eventIDs lists a run's event IDs.
func eventIDs(run ops.MsiRun) []int {
	var ids []int
	for _, e := range run.Events {
		ids = append(ids, e.EventID)
	}
	return ids
}
