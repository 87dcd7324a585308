package faults_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/win"
)

const msilabDir = `C:\Program Files (x86)\MsiLab`

// lines1303 is the log of an elevated permachine install whose folder
// cannot be created or written (docs/evidence.md#E-target-acl).
var lines1303 = []string{`Note: 1: 1303 2: ` + msilabDir + `\PerMachine `,
	`Error 1303. The installer has insufficient privileges to access this directory: ` + msilabDir + `\PerMachine.`,
	"InstallFinalize. Return value 3.", "MainEngineThread is returning 1603"}

func want1303Events(t *testing.T) func(ops.MsiRun) {
	return func(run ops.MsiRun) {
		ids := eventIDs(run)
		for _, id := range []int{11303, 11708, 1033} {
			if !slices.Contains(ids, id) {
				t.Errorf("events %v, want 11303, 11708 and 1033", ids)
				return
			}
		}
	}
}

// The folder is missing: the fault creates it denying SYSTEM write, the
// elevated install cannot create the product's folder in it (1303 naming
// that folder), and the revert removes the folder it created (the
// lifecycle compares the whole machine with its baseline).
func TestTargetACLCreatesFolder(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	l.lifecycle(cell{fault: "target-acl", context: ops.ContextAdminElevated, pkg: "permachine", exit: 1603, log: lines1303,
		injected: adminKeepsDACL(msilabDir), installed: want1303Events(t)})
}

// The folder exists (a product folder left behind): the fault puts its
// deny in front of the DACL, the install cannot add its file there (1303
// naming the folder, not 1310), and the revert puts the probed DACL back.
func TestTargetACLExistingFolder(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	product := msilabDir + `\PerMachine`
	l.lifecycle(cell{fault: "target-acl", params: `{"folder":"` + jsonPath(product) + `"}`, context: ops.ContextSystem, pkg: "permachine",
		exit: 1603, log: lines1303, installed: want1303Events(t),
		setup: func(l *simLab) {
			l.mustRun(ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: product, Type: "directory"}))
			l.baseline = l.srv.Host().Machine().State()
		},
		injected: adminKeepsDACL(product)})
	// The revert restored the DACL by the rights it grants.
	var a ops.ACL
	if err := l.run(ops.MustNew(ops.OpACLGet, ops.ACLGetArgs{Path: product}))[0].Decode(&a); err != nil || !a.Exists {
		t.Fatalf("acl.get: %v %+v", err, a)
	}
	sd, err := win.ParseSDDL(a.SDDL)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := win.AccessCheck(&sd, win.SystemToken(), win.FileAddFile|win.FileAddSubdirectory, win.FileMapping); !ok {
		t.Errorf("SYSTEM still may not write %s after the revert: %s", product, a.SDDL)
	}
}

// Inject refuses a folder whose parent is missing, and a file.
func TestTargetACLRefuses(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	tgt := l.target(ops.ContextAdminElevated)
	f, err := faults.Decode("target-acl", []byte(`{"folder":"C:\\No Such Vendor\\Product"}`))
	if err != nil {
		t.Fatal(err)
	}
	undo := l.probe(f, tgt)
	if _, err := f.Inject(tgt, undo); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("a folder without its parent: %v, want ErrHostState", err)
	}
	if batch, err := f.Revert(tgt, undo); err != nil || len(batch) != 0 {
		t.Errorf("revert of a refused inject: %v, %v", batch, err)
	}
	l.mustRun(ops.MustNew(ops.OpPathCreate, ops.PathCreateArgs{Path: `C:\ProgramData\msilab-file`, Type: "file", Content: []byte("x")}))
	f, _ = faults.Decode("target-acl", []byte(`{"folder":"C:\\ProgramData\\msilab-file"}`))
	if _, err := f.Inject(tgt, l.probe(f, tgt)); !errors.Is(err, faults.ErrHostState) {
		t.Errorf("a file: %v, want ErrHostState", err)
	}
}

func jsonPath(p string) string { return strings.ReplaceAll(p, `\`, `\\`) }
