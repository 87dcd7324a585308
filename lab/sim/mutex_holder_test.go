package sim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

// mutex.release stops only the holder msilab started: a state.json that
// names another process, or a holder task that is not msilab's, is
// refused (Conflict) and nothing is stopped; the real hold is then still
// released normally.
func TestMutexReleaseChecksTheHolder(t *testing.T) {
	const holdDir = `C:\ProgramData\msilab\mutex\1`
	for _, tc := range []struct {
		name   string
		tamper func(m *model.Machine, victim uint32) error
		want   string
	}{
		{"state.json names another PID", func(m *model.Machine, victim uint32) error {
			return m.FS().WriteFile(win.SystemToken(), holdDir+`\state.json`, fmt.Appendf(nil, `{"pid":%d,"state":"held","message":""}`, victim))
		}, "state.json names PID"},
		{"holder.json removed", func(m *model.Machine, victim uint32) error {
			if err := m.FS().Remove(win.SystemToken(), holdDir+`\holder.json`); err != nil {
				return err
			}
			return m.FS().WriteFile(win.SystemToken(), holdDir+`\state.json`, fmt.Appendf(nil, `{"pid":%d,"state":"held","message":""}`, victim))
		}, "which msilab did not record starting"},
		{"task not SYSTEM", func(m *model.Machine, victim uint32) error {
			task, _ := m.Tasks().Get(`\msilab\mutex-1`)
			if err := m.Tasks().Delete(win.SystemToken(), task.Path); err != nil {
				return err
			}
			task.RunAs = `WIN11-LAB\msilab-user`
			return m.Tasks().Register(win.SystemToken(), task)
		}, "not as SYSTEM"},
		{"task runs something else", func(m *model.Machine, victim uint32) error {
			task, _ := m.Tasks().Get(`\msilab\mutex-1`)
			if err := m.Tasks().Delete(win.SystemToken(), task.Path); err != nil {
				return err
			}
			task.Action = `C:\Users\Public\evil.exe`
			return m.Tasks().Register(win.SystemToken(), task)
		}, "not msilab's holder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testlab.NewSimHost(t, "win11-24h2")
			m := h.Srv.Host().Machine()
			victim := m.Processes().Start(model.Process{Image: `C:\Windows\System32\lsass.exe`, CommandLine: `C:\Windows\system32\lsass.exe`, User: win.SIDSystem})
			mutex := ops.MutexArgs{Name: ops.MutexExecute}
			if err := h.Run(ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: ops.MutexExecute, Seconds: 600}))[0].Decode(nil); err != nil {
				t.Fatal(err)
			}
			if err := tc.tamper(m, victim.PID); err != nil {
				t.Fatal(err)
			}
			before := m.State()
			err := h.Run(ops.MustNew(ops.OpMutexRelease, mutex))[0].Decode(nil)
			if !errors.Is(err, &ops.Error{Code: ops.CodeConflict}) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("release: %v, want a Conflict saying %q", err, tc.want)
			}
			if _, ok := m.Processes().Get(victim.PID); !ok {
				t.Fatal("the process named in state.json was stopped")
			}
			if onlyBefore, onlyAfter := model.DiffState(before, m.State()); len(onlyBefore)+len(onlyAfter) > 0 {
				t.Errorf("the refused release changed the host: -%v +%v", onlyBefore, onlyAfter)
			}
		})
	}

	// Untampered: the holder process is stopped, its task and folder go.
	h := testlab.NewSimHost(t, "win11-24h2")
	m := h.Srv.Host().Machine()
	before := m.State()
	if err := h.Run(ops.MustNew(ops.OpMutexHold, ops.MutexHoldArgs{Name: ops.MutexExecute, Seconds: 600}))[0].Decode(nil); err != nil {
		t.Fatal(err)
	}
	var holders int
	for _, l := range m.State() {
		if strings.HasPrefix(l, "process ") && strings.Contains(l, "msilab mutex holder") {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d holder processes after mutex.hold", holders)
	}
	if err := h.Run(ops.MustNew(ops.OpMutexRelease, ops.MutexArgs{Name: ops.MutexExecute}))[0].Decode(nil); err != nil {
		t.Fatal(err)
	}
	onlyBefore, onlyAfter := model.DiffState(before, m.State())
	for _, l := range append(onlyBefore, onlyAfter...) {
		t.Errorf("not back after the release: %s", l)
	}
}
