package sim

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"
)

// shell is one WinRM shell (winrs): its owner and its commands.
type shell struct {
	id       string
	owner    string
	codepage string

	mu       sync.Mutex
	lastUsed time.Time
	cmds     map[string]*process
}

// shells is the WinRM service's shell table.
type shells struct {
	mu      sync.Mutex
	byID    map[string]*shell
	perUser map[string]int
}

func newShells() *shells {
	return &shells{byID: map[string]*shell{}, perUser: map[string]int{}}
}

func (t *shells) create(owner, codepage string, max int, now time.Time) (*shell, error) {
	key := strings.ToLower(owner)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.perUser[key] >= max {
		return nil, faultQuota(max)
	}
	sh := &shell{id: newGUID(), owner: owner, codepage: codepage, lastUsed: now, cmds: map[string]*process{}}
	t.byID[sh.id] = sh
	t.perUser[key]++
	return sh, nil
}

// get finds a shell owned by owner (another user's shell is as unknown as a
// missing one, as on Windows).
func (t *shells) get(id, owner string, now time.Time) (*shell, error) {
	t.mu.Lock()
	sh := t.byID[strings.ToUpper(strings.TrimSpace(id))]
	t.mu.Unlock()
	if id == "" {
		return nil, faultInvalidSelectors("The request has no ShellId selector.")
	}
	if sh == nil || !strings.EqualFold(sh.owner, owner) {
		return nil, faultInvalidSelectors("No shell with ShellId " + id + " exists.")
	}
	sh.mu.Lock()
	sh.lastUsed = now
	sh.mu.Unlock()
	return sh, nil
}

func (t *shells) remove(sh *shell) {
	t.mu.Lock()
	if t.byID[sh.id] == sh {
		delete(t.byID, sh.id)
		key := strings.ToLower(sh.owner)
		if t.perUser[key]--; t.perUser[key] <= 0 {
			delete(t.perUser, key)
		}
	}
	t.mu.Unlock()
	sh.mu.Lock()
	cmds := sh.cmds
	sh.cmds = map[string]*process{}
	sh.mu.Unlock()
	for _, p := range cmds {
		p.terminate()
	}
}

// expire removes shells idle for longer than idle.
func (t *shells) expire(now time.Time, idle time.Duration) {
	t.mu.Lock()
	var stale []*shell
	for _, sh := range t.byID {
		sh.mu.Lock()
		if now.Sub(sh.lastUsed) > idle {
			stale = append(stale, sh)
		}
		sh.mu.Unlock()
	}
	t.mu.Unlock()
	for _, sh := range stale {
		t.remove(sh)
	}
}

func (t *shells) closeAll() {
	t.mu.Lock()
	all := make([]*shell, 0, len(t.byID))
	for _, sh := range t.byID {
		all = append(all, sh)
	}
	t.mu.Unlock()
	for _, sh := range all {
		t.remove(sh)
	}
}

func (sh *shell) command(id string) (*process, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	p := sh.cmds[strings.ToUpper(strings.TrimSpace(id))]
	if p == nil {
		return nil, faultInvalidCommand("No command with CommandId " + id + " runs in shell " + sh.id + ".")
	}
	return p, nil
}

func (sh *shell) start(id string, prog Program) (*process, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, dup := sh.cmds[id]; dup {
		return nil, faultInvalidCommand("A command with CommandId " + id + " already runs in this shell.")
	}
	p := startProcess(id, prog)
	sh.cmds[id] = p
	return p, nil
}

func (sh *shell) stop(id string) {
	sh.mu.Lock()
	p := sh.cmds[strings.ToUpper(strings.TrimSpace(id))]
	delete(sh.cmds, strings.ToUpper(strings.TrimSpace(id)))
	sh.mu.Unlock()
	if p != nil {
		p.terminate()
	}
}

// newGUID returns an uppercase random GUID, as Windows formats shell and command ids.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
