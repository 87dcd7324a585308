package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/msilab/msilab/win"
)

// state is everything a snapshot holds. Methods of Machine that take no
// lock work on m.st with m.mu held.
type state struct {
	drives map[string]*fnode // "C:" -> root
	hives  map[string]*rkey  // "HKLM", "HKU"
	// hiveFiles are the user hives not loaded, by lower-case SID: what
	// NTUSER.DAT holds while HKU\<SID> is absent.
	hiveFiles map[string]*rkey
	rights    map[string][]win.SID // user right -> holders
	svc       map[string]*svcRun   // lower-case name -> run state (absent: stopped)
	users     map[string]*User     // lower-case name -> account
	events    []Event
	mutexes   map[string]mutexHold
	tasks     map[string]Task       // lower-case path -> task
	groups    map[win.SID][]win.SID // local group -> members by SID alone (groups.go)
	procs     map[uint32]Process    // running long-lived processes (processes.go)
	handles   map[string][]string   // process name -> paths it holds open
	stuck     map[string]bool       // lower-case service name -> hangs in StartPending/StopPending
	ticks     int64                 // default clock: reads so far
	nextPID   uint32
}

func newState() *state {
	return &state{drives: map[string]*fnode{},
		hives:     map[string]*rkey{"HKLM": newKey("HKLM"), "HKU": newKey("HKU")},
		hiveFiles: map[string]*rkey{}, rights: defaultRights(),
		svc: map[string]*svcRun{}, users: map[string]*User{}, mutexes: map[string]mutexHold{},
		tasks: map[string]Task{}, groups: map[win.SID][]win.SID{},
		procs: map[uint32]Process{}, handles: map[string][]string{}, stuck: map[string]bool{},
		nextPID: 1000}
}

// clone deep-copies st; nothing is shared with the original.
func (st *state) clone() *state {
	c := *st
	c.drives = make(map[string]*fnode, len(st.drives))
	for k, v := range st.drives {
		c.drives[k] = v.clone()
	}
	c.hives = make(map[string]*rkey, len(st.hives))
	for k, v := range st.hives {
		c.hives[k] = v.clone()
	}
	c.hiveFiles = make(map[string]*rkey, len(st.hiveFiles))
	for k, v := range st.hiveFiles {
		c.hiveFiles[k] = v.clone()
	}
	c.rights = make(map[string][]win.SID, len(st.rights))
	for k, v := range st.rights {
		c.rights[k] = slices.Clone(v)
	}
	c.svc = make(map[string]*svcRun, len(st.svc))
	for k, v := range st.svc {
		r := *v
		r.open = slices.Clone(v.open)
		c.svc[k] = &r
	}
	c.users = make(map[string]*User, len(st.users))
	for k, v := range st.users {
		u := *v
		c.users[k] = &u
	}
	c.events = make([]Event, len(st.events))
	for i, e := range st.events {
		c.events[i] = e.clone()
	}
	c.mutexes = maps.Clone(st.mutexes)
	c.tasks = maps.Clone(st.tasks)
	c.procs = maps.Clone(st.procs)
	c.groups = make(map[win.SID][]win.SID, len(st.groups))
	for k, v := range st.groups {
		c.groups[k] = slices.Clone(v)
	}
	c.stuck = maps.Clone(st.stuck)
	c.handles = make(map[string][]string, len(st.handles))
	for k, v := range st.handles {
		c.handles[k] = slices.Clone(v)
	}
	return &c
}

// State is the canonical description of a machine: sorted lines, one per
// object, that two machines share exactly when they are in the same
// state. The clock is not part of it.
type State []string

// Digest is the SHA-256 of the lines.
func (s State) Digest() string {
	h := sha256.New()
	for _, l := range s {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DiffState returns the lines only in a and only in b.
func DiffState(a, b State) (onlyA, onlyB []string) {
	inB := map[string]bool{}
	for _, l := range b {
		inB[l] = true
	}
	inA := map[string]bool{}
	for _, l := range a {
		inA[l] = true
		if !inB[l] {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !inA[l] {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (st *state) lines() State {
	var out []string
	for _, d := range slices.Sorted(maps.Keys(st.drives)) {
		fsLines(&out, d+`\`, st.drives[d])
	}
	for _, h := range slices.Sorted(maps.Keys(st.hives)) {
		regLines(&out, h, st.hives[h])
	}
	for _, sid := range slices.Sorted(maps.Keys(st.hiveFiles)) {
		regLines(&out, "ntuser.dat of "+sid, st.hiveFiles[sid])
	}
	rightLines(&out, st)
	svcLines(&out, st)
	userLines(&out, st)
	eventLines(&out, st)
	mutexLines(&out, st)
	taskLines(&out, st)
	groupLines(&out, st)
	processLines(&out, st)
	handleLines(&out, st)
	slices.Sort(out)
	return out
}

func fsLines(out *[]string, path string, n *fnode) {
	sum := sha256.Sum256(n.data)
	kind := "file"
	if n.dir {
		kind = "dir"
	}
	*out = append(*out, fmt.Sprintf("fs %s %s attrs=%#x size=%d sha256=%x version=%q created=%s modified=%s sd=%s",
		strings.ToLower(path), kind, uint32(n.attrs), len(n.data), sum[:8], n.version,
		stamp(n.created), stamp(n.modified), n.sd.String()))
	if n.target != "" {
		(*out)[len(*out)-1] += fmt.Sprintf(" target=%q", n.target)
	}
	for _, k := range sortedKids(n) {
		fsLines(out, strings.TrimSuffix(path, `\`)+`\`+k.name, k)
	}
}
