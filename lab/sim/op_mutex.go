package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
	"github.com/msilab/msilab/win"
)

func init() {
	name := func(a ops.MutexArgs) error { return required("name", a.Name) }
	registerOp(ops.OpMutexHold, typed(func(a ops.MutexHoldArgs) error {
		if a.Seconds < 1 || a.Seconds > 86400 {
			return invalidArgs("seconds must be from 1 to 86400")
		}
		return required("name", a.Name)
	}, mutexHold))
	registerOp(ops.OpMutexRelease, typed(name, mutexRelease))
	registerOp(ops.OpMutexGet, typed(name, func(c opCall, a ops.MutexArgs) (any, error) { return c.h.mutex(a.Name), nil }))
}

func (h *Host) mutex(name string) ops.Mutex {
	owner, held := h.m.Mutexes().Holder(name)
	m := ops.Mutex{Name: name, Held: held}
	if held {
		m.Holder = owner
	}
	return m
}

// As the module does: one LocalSystem task per hold, \msilab\mutex-<id>,
// whose process outlives the WinRM command that started it, and one
// folder per hold, mutexRoot\<id>: hold.json (the request, written by the
// op), state.json (the holder's report: its PID) and holder.json (the PID
// and start time the op recorded once it had checked the process).
const (
	holderTasks = `\msilab\mutex-`
	mutexRoot   = ops.HostDir + `\mutex`
	// holderImage and holderAction are the task's action: powershell.exe
	// with the module's holder script (its -EncodedCommand stands here as
	// a name).
	holderImage  = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	holderAction = holderImage + ` -NoLogo -NoProfile -NonInteractive -EncodedCommand <msilab mutex holder>`
	systemUser   = `NT AUTHORITY\SYSTEM`
)

// holdFiles are a hold's files, as JSON.
type holdFiles struct {
	Hold   struct{ Name string }
	State  struct{ PID uint32 }
	Holder *struct {
		PID   uint32
		Start string // the process's start, UTC ticks
	}
}

func mutexHold(c opCall, a ops.MutexHoldArgs) (any, error) {
	before := c.h.mutex(a.Name)
	if before.Held {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Name + " is already held"}
	}
	fs, sys := c.h.m.FS(), win.SystemToken()
	var id, dir string
	for n := len(c.h.m.Tasks().List(holderTasks)) + 1; ; n++ {
		id = strconv.Itoa(n)
		dir = mutexRoot + `\` + id
		if !fs.Exists(dir) {
			break
		}
	}
	if err := fs.MkdirAll(c.tok, dir); err != nil {
		return nil, opError(err)
	}
	req, _ := json.Marshal(map[string]any{"name": a.Name, "seconds": a.Seconds})
	if err := fs.WriteFile(c.tok, dir+`\hold.json`, req); err != nil {
		_ = fs.RemoveAll(c.tok, dir)
		return nil, opError(err)
	}
	task := holderTasks + id
	if err := c.h.m.Tasks().Register(c.tok, model.Task{Path: task, RunAs: systemUser, Action: holderAction, WorkDir: dir}); err != nil {
		_ = fs.RemoveAll(c.tok, dir)
		if errors.Is(err, model.ErrExists) {
			return nil, &ops.Error{Code: ops.CodeConflict, Message: "the holder task " + task + " is registered already"}
		}
		return nil, opError(err)
	}
	// The task's process: it reports its PID in state.json, as SYSTEM.
	proc := c.h.m.Processes().Start(model.Process{Image: holderImage, CommandLine: holderAction, User: win.SIDSystem})
	state, _ := json.Marshal(map[string]any{"pid": proc.PID, "state": "held", "message": ""})
	undo := func() {
		_ = c.h.m.Processes().Stop(c.tok, proc.PID)
		_ = c.h.m.Tasks().Delete(c.tok, task)
		_ = fs.RemoveAll(c.tok, dir)
	}
	if err := fs.WriteFile(sys, dir+`\state.json`, state); err != nil {
		undo()
		return nil, opError(err)
	}
	// The hold lasts in model time, which advances with every event; the
	// simulated engine sees it held until then or until mutex.release.
	until := c.h.m.Now().Add(time.Duration(a.Seconds) * time.Second)
	if err := c.h.m.Mutexes().Acquire(a.Name, ops.MutexHolder, until); err != nil {
		undo()
		return nil, opError(err)
	}
	// The op checks the process is its holder, then records its start.
	rec, _ := json.Marshal(map[string]any{"pid": proc.PID, "start": startTicks(proc.Started)})
	if err := fs.WriteFile(c.tok, dir+`\holder.json`, rec); err != nil {
		c.h.m.Mutexes().Release(a.Name)
		undo()
		return nil, opError(err)
	}
	return ops.MutexChange{Before: before, After: c.h.mutex(a.Name)}, nil
}

// startTicks is a process start as the module records it: UTC ticks
// (100 ns since 0001-01-01), as text.
func startTicks(t time.Time) string {
	const unixTicks = 621355968000000000
	return strconv.FormatInt(unixTicks+t.UTC().UnixNano()/100, 10)
}

// mutexRelease ends msilab's holds of a mutex and reaps every holder task,
// those whose hold ended at its deadline included. It first checks every
// hold is msilab's: its task is \msilab\mutex-<id>, runs as SYSTEM the
// action msilab wrote in that hold's folder, and state.json names the
// process msilab recorded; anything else is Conflict and nothing is
// stopped. A recorded process that no longer runs with the recorded start
// time has exited (its PID may be reused, docs/evidence.md#E-process-id):
// it is not stopped.
func mutexRelease(c opCall, a ops.MutexArgs) (any, error) {
	before := c.h.mutex(a.Name)
	if before.Held && before.Holder != ops.MutexHolder {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Name + " is held by " + before.Holder + ", not by msilab"}
	}
	type hold struct {
		dir, task string
		pid       uint32 // 0: no process of msilab's to stop
	}
	var holds []hold
	fs := c.h.m.FS()
	dirs, err := fs.ReadDir(c.tok, mutexRoot)
	if err != nil && model.Code(err) != model.ErrorPathNotFound {
		return nil, opError(err)
	}
	for _, d := range dirs {
		f, ok := c.h.readHold(c.tok, d.Path)
		if !ok || f.Hold.Name != a.Name {
			continue
		}
		hd := hold{dir: d.Path, task: holderTasks + d.Name}
		if err := c.h.checkHolder(hd.dir, hd.task, f); err != nil {
			return nil, err
		}
		if p, ok := c.h.m.Processes().Get(f.Holder.PID); ok && startTicks(p.Started) == f.Holder.Start && p.CommandLine == holderAction {
			hd.pid = p.PID
		}
		holds = append(holds, hd)
	}
	c.h.m.Mutexes().Release(a.Name)
	for _, hd := range holds {
		if hd.pid != 0 {
			if err := c.h.m.Processes().Stop(c.tok, hd.pid); err != nil {
				return nil, opError(err)
			}
		}
		if err := c.h.m.Tasks().Delete(c.tok, hd.task); err != nil {
			return nil, opError(err)
		}
		if err := fs.RemoveAll(c.tok, hd.dir); err != nil {
			return nil, opError(err)
		}
	}
	// Holder tasks whose folder is gone (holds that ended at their
	// deadline: the holder removed its folder).
	for _, t := range c.h.m.Tasks().List(holderTasks) {
		if !fs.Exists(mutexRoot + `\` + strings.TrimPrefix(t.Path, holderTasks)) {
			if err := c.h.m.Tasks().Delete(c.tok, t.Path); err != nil {
				return nil, opError(err)
			}
		}
	}
	if left, err := fs.ReadDir(c.tok, mutexRoot); err == nil && len(left) == 0 {
		_ = fs.Remove(c.tok, mutexRoot)
	}
	return ops.MutexChange{Before: before, After: c.h.mutex(a.Name)}, nil
}

// readHold reads a hold's files; false while it has no hold.json or
// state.json (its holder is starting, or it has ended).
func (h *Host) readHold(tok *win.Token, dir string) (holdFiles, bool) {
	var f holdFiles
	for _, part := range []struct {
		name string
		v    any
	}{{"hold.json", &f.Hold}, {"state.json", &f.State}, {"holder.json", &f.Holder}} {
		data, err := h.m.FS().ReadFile(tok, dir+`\`+part.name)
		if err != nil {
			if part.name == "holder.json" {
				break
			}
			return f, false
		}
		if json.Unmarshal(data, part.v) != nil {
			return f, false
		}
	}
	return f, true
}

// checkHolder is Conflict unless a hold is msilab's: state.json names the
// process msilab recorded in holder.json, and its task, if registered, is
// the one msilab registered for that folder.
func (h *Host) checkHolder(dir, task string, f holdFiles) error {
	refuse := func(format string, a ...any) error {
		return &ops.Error{Code: ops.CodeConflict, Message: fmt.Sprintf("the mutex hold in %s is not msilab's: ", dir) + fmt.Sprintf(format, a...) + "; msilab stops nothing it did not start"}
	}
	switch {
	case f.Holder == nil:
		return refuse("state.json names PID %d, which msilab did not record starting (no holder.json)", f.State.PID)
	case f.Holder.PID != f.State.PID:
		return refuse("state.json names PID %d, not the holder msilab started (PID %d)", f.State.PID, f.Holder.PID)
	}
	t, ok := h.m.Tasks().Get(task)
	switch {
	case !ok:
	case !strings.EqualFold(t.RunAs, systemUser):
		return refuse("its task %s runs as %s, not as SYSTEM", task, t.RunAs)
	case t.Action != holderAction || !strings.EqualFold(t.WorkDir, dir):
		return refuse("its task %s runs %q in %q, not msilab's holder", task, t.Action, t.WorkDir)
	}
	return nil
}
