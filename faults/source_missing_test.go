package faults_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
)

// installFor installs what a fault works on: source-missing needs the
// permachine product installed (elevated).
func installFor(l *simLab, fault string) {
	l.t.Helper()
	if fault != "source-missing" {
		return
	}
	if run := l.install("permachine", ops.ContextAdminElevated); run.ExitCode != 0 {
		l.t.Fatalf("install permachine for %s: exit %d", fault, run.ExitCode)
	}
}

// uninstallFor removes what installFor installed.
func uninstallFor(l *simLab, fault string) {
	l.t.Helper()
	if fault != "source-missing" {
		return
	}
	if run := l.uninstall("permachine", ops.ContextAdminElevated); run.ExitCode != 0 {
		l.t.Errorf("uninstall permachine after %s: exit %d\n%s", fault, run.ExitCode, run.Log)
	}
}

// The product is installed; with its cached package and its source
// hidden, its removal by product code needs the source and finds none:
// 1612 with the SOURCEMGMT lines, no action. The revert puts both files
// back exactly (the same bytes: the removal then succeeds, and the
// machine is at its baseline once the product is gone).
func TestSourceMissing(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	tgt := l.target(ops.ContextAdminElevated)
	source := lab.PackageDir + `\permachine.msi`
	hashOf := func(path string) ops.PathHash {
		var h ops.PathHash
		if err := l.run(ops.MustNew(ops.OpPathHash, ops.PathHashArgs{Path: path}))[0].Decode(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := hashOf(source)
	installFor(l, "source-missing")
	f, _ := faults.Decode("source-missing", nil)
	undo := l.probe(f, tgt)
	if d, err := f.Detect(tgt, undo); err != nil || d.Present {
		t.Fatalf("before inject: %+v, %v", d, err)
	}
	batch, err := f.Inject(tgt, undo)
	if err != nil {
		t.Fatal(err)
	}
	l.mustRun(batch...)
	if d := l.detect(f, tgt); !d.Present {
		t.Fatalf("after inject: %+v", d)
	}
	run := l.uninstall("permachine", ops.ContextAdminElevated)
	if run.ExitCode != 1612 {
		t.Errorf("removal: exit %d, want 1612\n%s", run.ExitCode, run.Log)
	}
	rest := run.Log
	for _, s := range []string{"Warning: Local cached package 'C:\\Windows\\Installer\\", "SOURCEMGMT: Looking for sourcelist for product {92281016-51D7-4D16-BEF2-82F4FB32D003}",
		"SOURCEMGMT: Trying source C:\\ProgramData\\msilab\\packages\\.", "Note: 1: 2203 2: " + source + " 3: -2147287038 ",
		"SOURCEMGMT: Source is invalid due to missing/inaccessible package.", "Note: 1: 1706 2: -2147483647 3: permachine.msi ",
		"SOURCEMGMT: Processing net source list.", "SOURCEMGMT: Processing media source list.", "SOURCEMGMT: Processing URL source list.",
		"Note: 1: 1706 2:  3: permachine.msi ", "SOURCEMGMT: Failed to resolve source", "MSI (s)", "MainEngineThread is returning 1612",
		"MSI (c)", "MainEngineThread is returning 1612"} {
		i := strings.Index(rest, s)
		if i < 0 {
			t.Fatalf("log lacks %q (in order):\n%s", s, run.Log)
		}
		rest = rest[i+len(s):]
	}
	if strings.Contains(run.Log, "Action start") {
		t.Errorf("an action ran:\n%s", run.Log)
	}
	// Unchanged (what journal.CheckProof asks it) sees the files missing,
	// with the product installed and once it is removed.
	pb := f.(faults.ProductBound)
	if d := pb.Unchanged(tgt, undo, l.proof(f, tgt, undo)); d == "" {
		t.Errorf("Unchanged with the fault in place: no difference")
	}
	// Revert, twice: both files are back, byte for byte.
	l.revert(f, tgt, undo)
	if d := pb.Unchanged(tgt, undo, l.proof(f, tgt, undo)); d != "" {
		t.Errorf("Unchanged after the revert: %s", d)
	}
	if d := l.detect(f, tgt); d.Present {
		t.Errorf("after revert: %+v", d)
	}
	if after := hashOf(source); after != before {
		t.Errorf("source after revert %+v, before %+v", after, before)
	}
	uninstallFor(l, "source-missing")
	if d := pb.Unchanged(tgt, undo, l.proof(f, tgt, undo)); d != "" {
		t.Errorf("Unchanged once the product is removed: %s", d)
	}
	// The product removed with the source still hidden: not back.
	installFor(l, "source-missing")
	undo2 := l.probe(f, tgt)
	l.mustRun(ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: source, To: source + ".msilab-hidden"}))
	if u := l.uninstall("permachine", ops.ContextAdminElevated); u.ExitCode != 0 {
		t.Fatalf("removal with the cached package there: exit %d", u.ExitCode)
	}
	if d := pb.Unchanged(tgt, undo2, l.proof(f, tgt, undo2)); d == "" {
		t.Errorf("Unchanged with the source still hidden: no difference")
	}
	l.mustRun(ops.MustNew(ops.OpPathMove, ops.PathMoveArgs{From: source + ".msilab-hidden", To: source}))
	l.assertBaseline(source, `C:\Windows\Installer`) // moved away and back: the simulated move stamps their modification time
}

// With only the cached package gone, the source resolves and the removal
// succeeds (the fault needs both gone).
func TestSourceResolves(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	installFor(l, "source-missing")
	var lp ops.RegistryValue
	f := &faults.SourceMissing{Product: "{92281016-51D7-4D16-BEF2-82F4FB32D003}"}
	tgt := l.target(ops.ContextAdminElevated)
	if err := l.run(f.Probe(tgt)[0])[0].Decode(&lp); err != nil || !lp.Exists {
		t.Fatalf("LocalPackage: %v %+v", err, lp)
	}
	l.mustRun(ops.MustNew(ops.OpPathRemove, ops.PathRemoveArgs{Path: lp.String}))
	run := l.uninstall("permachine", ops.ContextAdminElevated)
	if run.ExitCode != 0 || !strings.Contains(run.Log, "SOURCEMGMT: Resolved source to: 'permachine.msi'") {
		t.Errorf("removal from the source: exit %d\n%s", run.ExitCode, run.Log)
	}
	// And Inject refuses a product that is not installed.
	if _, err := f.Inject(tgt, l.probe(f, tgt)); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("inject without the product: %v", err)
	}
}

// proof reads the fault's probe again as journal.CheckProof does: the
// first reads, then the follow-up reads the undo data names.
func (l *simLab) proof(f faults.Fault, tgt faults.Target, undo faults.Probe) faults.Probe {
	l.t.Helper()
	p := f.Probe(tgt)
	if fp, ok := f.(faults.FollowUpProber); ok {
		more, err := fp.ProbeFollowUp(tgt, undo[:len(p)])
		if err != nil {
			l.t.Fatal(err)
		}
		p = append(p, more...)
	}
	return l.run(p...)
}
