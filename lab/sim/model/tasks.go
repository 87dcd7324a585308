package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/msilab/msilab/win"
)

// Scheduled tasks: what msilab registers on a host (the mutex holder runs
// as a LocalSystem task, so that it outlives the WinRM command that started
// it). A task runs as its account until stopped; its registration stays
// until deleted (D: Task Scheduler keeps a task registered after its run
// ends).

// Task is a registered scheduled task.
type Task struct {
	Path    string // \folder\name
	RunAs   string // the account, e.g. NT AUTHORITY\SYSTEM
	Action  string // the command line it runs
	WorkDir string // its working directory
	Running bool
}

// Tasks are the machine's scheduled tasks.
type Tasks struct{ m *Machine }

// Tasks returns the scheduled tasks.
func (m *Machine) Tasks() Tasks { return Tasks{m} }

// Register registers and starts a task; it needs an admin token, and a
// path that is not registered yet (ErrExists).
func (t Tasks) Register(tok *win.Token, task Task) error {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if !tok.IsAdmin() {
		return deniedErr("RegisterTaskDefinition", task.Path, win.KeyWrite, tok)
	}
	key := strings.ToLower(task.Path)
	if _, ok := t.m.st.tasks[key]; ok {
		return pathErr("RegisterTaskDefinition", task.Path, ErrorAlreadyExists, ErrExists)
	}
	task.Running = true
	t.m.st.tasks[key] = task
	return nil
}

// List returns the tasks whose path starts with prefix (case-insensitive), sorted.
func (t Tasks) List(prefix string) []Task {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	var out []Task
	for _, k := range slices.Sorted(maps.Keys(t.m.st.tasks)) {
		if strings.HasPrefix(k, strings.ToLower(prefix)) {
			out = append(out, t.m.st.tasks[k])
		}
	}
	return out
}

// Get returns the registered task of a path (case-insensitive).
func (t Tasks) Get(path string) (Task, bool) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	task, ok := t.m.st.tasks[strings.ToLower(path)]
	return task, ok
}

// Stop ends a task's run; the task stays registered.
func (t Tasks) Stop(path string) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if task, ok := t.m.st.tasks[strings.ToLower(path)]; ok {
		task.Running = false
		t.m.st.tasks[strings.ToLower(path)] = task
	}
}

// Delete stops and unregisters a task; it needs an admin token. A task
// that is not registered is gone already.
func (t Tasks) Delete(tok *win.Token, path string) error {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if !tok.IsAdmin() {
		return deniedErr("DeleteTask", path, win.KeyWrite, tok)
	}
	delete(t.m.st.tasks, strings.ToLower(path))
	return nil
}

func taskLines(out *[]string, st *state) {
	for _, k := range slices.Sorted(maps.Keys(st.tasks)) {
		task := st.tasks[k]
		*out = append(*out, fmt.Sprintf("task %s runas=%q action=%q dir=%q running=%v", k, task.RunAs, task.Action, task.WorkDir, task.Running))
	}
}
