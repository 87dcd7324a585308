package faults_test

import (
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
