package faults_test

import (
	"encoding/json"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

// contexts are the targets a clean-host check looks at.
var contexts = []string{ops.ContextAdminElevated, ops.ContextStandardUser, ops.ContextSystem}

// Every variant of every fault, injected on a simulated host, is found by
// DetectAll; on the clean host none is (negative controls aside).
func TestDetectAllFindsEveryVariant(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	var targets []faults.Target
	for _, c := range contexts {
		targets = append(targets, l.target(c))
	}
	// present lists what is found; a variant that cannot be checked
	// (installer-acl once C:\Windows\Installer is gone) fails the check
	// only on the clean host.
	present := func(clean bool) map[string]bool {
		ps, err := faults.DetectAll(l.ctx, l.s.RunBatch, faults.Names(), targets)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, p := range ps {
			if p.Err != nil {
				if clean {
					t.Fatalf("%s %s: %v", p.Fault, p.Params, p.Err)
				}
				continue
			}
			info, _ := faults.Lookup(p.Fault)
			if p.Present && !info.NegativeControl {
				out[p.Fault+" "+string(p.Params)] = true
			}
		}
		return out
	}
	if got := present(true); len(got) != 0 {
		t.Fatalf("clean host: %v present", got)
	}
	l.mustRun(ops.MustNew(ops.OpSimSnapshot, ops.SnapshotArgs{Name: "variants"}))
	checked := 0
	for _, name := range faults.Names() {
		if info, _ := faults.Lookup(name); info.NegativeControl {
			continue
		}
		vs, err := faults.Variants(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range vs {
			key := name + " " + string(faults.Params(f))
			tgt := l.target(ops.ContextStandardUser)
			installFor(l, name)
			inject, err := f.Inject(tgt, l.probe(f, tgt))
			if err != nil {
				t.Fatalf("%s: inject: %v", key, err)
			}
			l.mustRun(inject...)
			if got := present(false); !got[key] {
				t.Errorf("%s injected, not detected (found: %v)", key, got)
			}
			checked++
			l.mustRun(ops.MustNew(ops.OpSimRestore, ops.SnapshotArgs{Name: "variants"}))
		}
	}
	if checked < len(faults.Names())+3 {
		t.Errorf("%d variants checked: temp-acl, disable-msi and user-temp have several", checked)
	}
}

// What the variants close: the default temp-acl (SYSTEM read-only) does
// not see BUILTIN\Users' write removed, nor the default disable-msi (2)
// the value 1.
func TestDefaultParametersMissOtherVariants(t *testing.T) {
	l := newSimLab(t, "win11-24h2")
	tgt := l.target(ops.ContextAdminElevated)
	for _, c := range []struct{ name, params string }{
		{"temp-acl", `{"variant":"users-write-removed"}`},
		{"disable-msi", `{"value":1}`},
	} {
		f, err := faults.Decode(c.name, json.RawMessage(c.params))
		if err != nil {
			t.Fatal(err)
		}
		inject, err := f.Inject(tgt, l.probe(f, tgt))
		if err != nil {
			t.Fatal(err)
		}
		l.mustRun(inject...)
		info, _ := faults.Lookup(c.name)
		if d := l.detect(info.New(), tgt); d.Present {
			t.Errorf("%s %s: the default's Detect found it (%s): the variants would not be needed", c.name, c.params, d.Evidence)
		}
	}
}
