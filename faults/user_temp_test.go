package faults_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/lab/ops"
)

func TestUserTemp(t *testing.T) {
	t.Parallel()
	for _, c := range []cell{
		{fault: "user-temp", params: `{"state":"missing"}`, context: ops.ContextStandardUser, pkg: "peruser", exit: 1632,
			moved: []string{`C:\Users\msilab-user\AppData\Local\Temp`}},
		{fault: "user-temp", params: `{"state":"missing"}`, context: ops.ContextAdminFiltered, pkg: "permachine", exit: 1632,
			moved: []string{`C:\Users\msilab\AppData\Local\Temp`}},
		{fault: "user-temp", params: `{"state":"unwritable"}`, context: ops.ContextAdminElevated, pkg: "permachine", exit: 1632},
		{fault: "user-temp", params: `{"state":"unwritable"}`, context: ops.ContextStandardUser, pkg: "peruser", exit: 1632},
	} {
		t.Run(c.params+" "+c.context, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			c.installed = func(run ops.MsiRun) {
				// The client fails before the service: no server lines, no events.
				if strings.Contains(run.Log, "MSI (s)") || len(run.Events) != 0 {
					t.Errorf("a 1632 run reached the service: events %v\n%s", eventIDs(run), run.Log)
				}
			}
			l.lifecycle(c)
		})
	}
}

// SYSTEM's %TEMP% is C:\Windows\Temp: user-temp refuses the system context.
func TestUserTempRefusesSystem(t *testing.T) {
	t.Parallel()
	l := newSimLab(t, "")
	for _, state := range []string{"missing", "unwritable"} {
		f, err := faults.Decode("user-temp", []byte(`{"state":"`+state+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		tgt := l.target(ops.ContextSystem)
		if p := f.Probe(tgt); len(p) != 0 {
			t.Errorf("%s: probe for the system context: %v", state, p)
		}
		_, err = f.Inject(tgt, nil)
		var ce *faults.ContextError
		if !errors.As(err, &ce) || !errors.Is(err, faults.ErrContext) || ce.Context != ops.ContextSystem {
			t.Errorf("%s: inject for the system context: %v", state, err)
		}
		if ops, err := f.Revert(tgt, nil); err != nil || len(ops) != 0 {
			t.Errorf("%s: revert for the system context: %v, %v", state, ops, err)
		}
	}
	l.assertBaseline()
}

// TestUploadWhileUserTempBroken: the user-temp fault in the admin-elevated
// context breaks the WinRM account's own %TEMP%; uploads are staged in
// C:\ProgramData\msilab\staging instead, so they still work. Breaking the
// staging folder itself shows that the simulated upload goes through it.
func TestUploadWhileUserTempBroken(t *testing.T) {
	t.Parallel()
	const staging, dst = `C:\ProgramData\msilab\staging`, `C:\ProgramData\msilab\packages\extra.bin`
	data := bytes.Repeat([]byte("msilab upload "), 5000)
	for _, state := range []string{"missing", "unwritable"} {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			l := newSimLab(t, "")
			f, err := faults.Decode("user-temp", []byte(`{"state":"`+state+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			tgt := l.target(ops.ContextAdminElevated)
			undo := l.probe(f, tgt)
			change, err := f.Inject(tgt, undo)
			if err != nil {
				t.Fatal(err)
			}
			l.mustRun(change...)
			if d := l.detect(f, tgt); !d.Present {
				t.Fatalf("the fault is not present: %s", d.Evidence)
			}
			info, err := l.s.Upload(l.ctx, bytes.NewReader(data), dst)
			if err != nil || info.Size != int64(len(data)) {
				t.Fatalf("upload with the admin's %%TEMP%% broken: %+v, %v", info, err)
			}
			var list ops.PathList
			if err := l.run(ops.MustNew(ops.OpPathList, ops.PathArgs{Path: staging}))[0].Decode(&list); err != nil || len(list.Entries) != 0 {
				t.Errorf("the staging folder keeps %v (%v)", list.Entries, err)
			}
			// The staging folder denying the admin write: the upload fails.
			var acl ops.ACL
			if err := l.run(ops.MustNew(ops.OpACLGet, ops.PathArgs{Path: staging}))[0].Decode(&acl); err != nil {
				t.Fatal(err)
			}
			l.mustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: staging, SDDL: "D:P(D;OICI;0x116;;;BA)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"}))
			if _, err := l.s.Upload(l.ctx, bytes.NewReader(data), dst+".2"); err == nil {
				t.Errorf("an upload went through a staging folder that denies the admin write")
			}
			l.mustRun(ops.MustNew(ops.OpACLSet, ops.ACLSetArgs{Path: staging, SDDL: acl.SDDL}))
			l.mustRun(ops.MustNew(ops.OpPathRemove, ops.PathArgs{Path: dst}))
			l.revert(f, tgt, undo)
			l.assertBaseline(`C:\Users\` + l.srv.User() + `\AppData\Local\Temp`)
		})
	}
}
