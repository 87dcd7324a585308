package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim/model"
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

// holderTasks is where the module registers its mutex holders: one
// LocalSystem task per hold, \msilab\mutex-<id>, whose process outlives
// the WinRM command that started it.
const holderTasks = `\msilab\mutex-`

func mutexHold(c opCall, a ops.MutexHoldArgs) (any, error) {
	before := c.h.mutex(a.Name)
	if before.Held {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Name + " is already held"}
	}
	var task string
	for n := len(c.h.m.Tasks().List(holderTasks)) + 1; ; n++ {
		task = fmt.Sprintf("%s%d", holderTasks, n)
		err := c.h.m.Tasks().Register(c.tok, model.Task{Path: task, RunAs: `NT AUTHORITY\SYSTEM`})
		if err == nil {
			break
		}
		if !errors.Is(err, model.ErrExists) {
			return nil, opError(err)
		}
	}
	// The hold lasts in model time, which advances with every event; the
	// simulated engine sees it held until then or until mutex.release.
	until := c.h.m.Now().Add(time.Duration(a.Seconds) * time.Second)
	if err := c.h.m.Mutexes().Acquire(a.Name, ops.MutexHolder, until); err != nil {
		_ = c.h.m.Tasks().Delete(c.tok, task)
		return nil, opError(err)
	}
	return ops.MutexChange{Before: before, After: c.h.mutex(a.Name)}, nil
}

// mutexRelease ends msilab's hold and reaps every holder task, those whose
// hold ended at its deadline included.
func mutexRelease(c opCall, a ops.MutexArgs) (any, error) {
	before := c.h.mutex(a.Name)
	if before.Held && before.Holder != ops.MutexHolder {
		return nil, &ops.Error{Code: ops.CodeConflict, Message: a.Name + " is held by " + before.Holder + ", not by msilab"}
	}
	c.h.m.Mutexes().Release(a.Name)
	for _, t := range c.h.m.Tasks().List(holderTasks) {
		if err := c.h.m.Tasks().Delete(c.tok, t.Path); err != nil {
			return nil, opError(err)
		}
	}
	return ops.MutexChange{Before: before, After: c.h.mutex(a.Name)}, nil
}
