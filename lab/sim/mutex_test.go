package sim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/faults"
	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
)

// TestMutexHolderIsATask: mutex.hold's holder is a LocalSystem scheduled
// task, so the hold outlives the WinRM shell that made it; mutex.release
// and the mutex-held fault's revert end the hold and unregister the task,
// an expired hold's included, leaving the host as it was.
func TestMutexHolderIsATask(t *testing.T) {
	h := testlab.NewSimHost(t, "win11-24h2", "permachine")
	m := h.Srv.Host().Machine()
	before := m.State()
	mutex := ops.MutexArgs{Name: ops.MutexExecute}
	get := func(s lab.Session) ops.Mutex {
		t.Helper()
		res, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpMutexGet, mutex)})
		if err != nil {
			t.Fatal(err)
		}
		var got ops.Mutex
		if err := res[0].Decode(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	holders := func() int { return len(m.Tasks().List(`\msilab\mutex-`)) }

	// The fault's hold, from a shell that then closes.
	f, err := faults.Decode("mutex-held", []byte(`{"seconds":600}`))
	if err != nil {
		t.Fatal(err)
	}
	tgt := faults.Target{AdminUser: h.Srv.User(), StandardUser: ops.DefaultStandardUser, Context: ops.ContextAdminElevated}
	undo, err := faults.RunProbe(h.Ctx, h.S, f, tgt)
	if err != nil {
		t.Fatal(err)
	}
	inject, err := f.Inject(tgt, undo)
	if err != nil {
		t.Fatal(err)
	}
	h.MustRun(inject...)
	tasks := m.Tasks().List(`\msilab\mutex-`)
	if len(tasks) != 1 || tasks[0].RunAs != `NT AUTHORITY\SYSTEM` || !tasks[0].Running {
		t.Fatalf("the holder is not one running LocalSystem task: %+v", tasks)
	}
	if err := h.S.Close(); err != nil {
		t.Fatal(err)
	}
	host, port := h.Srv.HostPort()
	s, err := lab.Dial(context.Background(), lab.Endpoint{Host: host, Port: port, User: h.Srv.User(), Password: h.Srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := get(s); !got.Held || got.Holder != ops.MutexHolder {
		t.Fatalf("after its shell closed the hold is gone: %+v", got)
	}
	revert, err := f.Revert(tgt, undo)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.RunBatch(context.Background(), revert); err != nil || res[0].Decode(nil) != nil {
		t.Fatalf("revert: %v %v", res, err)
	}
	if got := get(s); got.Held || holders() != 0 {
		t.Errorf("after the revert: %+v, %d holder tasks", got, holders())
	}

	// A hold that ends at its deadline leaves its task registered, as Task
	// Scheduler does; the next release reaps it.
	if res, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: ops.MutexExecute, Seconds: 1})}); err != nil || res[0].Decode(nil) != nil {
		t.Fatalf("hold: %v %v", res, err)
	}
	for range 1100 { // the model clock advances a millisecond per read
		m.Now()
	}
	if got := get(s); got.Held || holders() != 1 {
		t.Fatalf("after the deadline: %+v, %d holder tasks", got, holders())
	}
	if res, err := s.RunBatch(context.Background(), []ops.Op{ops.MustNew(ops.OpMutexRelease, mutex)}); err != nil || res[0].Decode(nil) != nil {
		t.Fatalf("release: %v %v", res, err)
	}
	if holders() != 0 {
		t.Errorf("release left %d holder tasks", holders())
	}
	onlyBefore, onlyAfter := model.DiffState(before, m.State())
	for _, l := range append(onlyBefore, onlyAfter...) {
		if strings.HasPrefix(l, "task ") || strings.HasPrefix(l, "mutex ") {
			t.Errorf("the host changed: %s", l)
		}
	}
}
