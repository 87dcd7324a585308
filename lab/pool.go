package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// Host is a lab host as the runner uses it: its spec, one session
// (dialed on first use, dialed again after Reset), and its snapshot driver.
type Host struct {
	Spec     HostSpec
	Endpoint Endpoint
	// Inventory is the lab the host was read from (nil for a host made
	// without one); a snapshot driver may reach another of its hosts.
	Inventory *Inventory

	mu      sync.Mutex
	session Session

	dmu    sync.Mutex
	driver SnapshotDriver
}

// NewHost makes a host from its spec and endpoint (credentials included).
func NewHost(spec HostSpec, ep Endpoint) *Host { return &Host{Spec: spec, Endpoint: ep} }

// Session returns the host's session, dialing it if needed.
func (h *Host) Session(ctx context.Context) (Session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.session == nil {
		s, err := Dial(ctx, h.Endpoint)
		if err != nil {
			return nil, err
		}
		h.session = s
	}
	return h.session, nil
}

// Reset closes the session so that the next call dials again (after a
// dropped connection).
func (h *Host) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.session != nil {
		h.session.Close()
		h.session = nil
	}
}

// Close closes the host's session and its snapshot driver.
func (h *Host) Close() {
	h.Reset()
	h.closeDriver()
}

// Pool leases hosts to parallel workers, by OS profile. Within a process
// a host is leased to one worker at a time; with LockDir set, also across
// processes (Ginkgo's -p), through a lock file per host.
type Pool struct {
	free map[string]chan *Host
	all  []*Host
	// LockDir, when set, holds one lock file per host name.
	LockDir string

	mu    sync.Mutex
	locks map[*Host]*os.File
}

// NewPool makes a pool of hosts.
func NewPool(hosts []*Host) *Pool {
	p := &Pool{free: map[string]chan *Host{}, all: hosts}
	count := map[string]int{}
	for _, h := range hosts {
		count[h.Spec.OS]++
	}
	for profile, n := range count {
		p.free[profile] = make(chan *Host, n)
	}
	for _, h := range hosts {
		p.free[h.Spec.OS] <- h
	}
	return p
}

// OSes lists the OS profiles the pool has, sorted.
func (p *Pool) OSes() []string {
	out := make([]string, 0, len(p.free))
	for profile := range p.free {
		out = append(out, profile)
	}
	sort.Strings(out)
	return out
}

// Hosts lists every host.
func (p *Pool) Hosts() []*Host { return p.all }

// Lease waits for a free host of the OS profile.
func (p *Pool) Lease(ctx context.Context, profile string) (*Host, error) {
	ch, ok := p.free[profile]
	if !ok {
		return nil, fmt.Errorf("lab: no host with OS profile %s", profile)
	}
	for {
		select {
		case h := <-ch:
			if p.LockDir == "" {
				return h, nil
			}
			locked, err := p.lock(h)
			if err != nil {
				ch <- h
				return nil, err
			}
			if locked {
				return h, nil
			}
			ch <- h // another process has it: wait a little, try again
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// lock takes h's lock file without waiting.
func (p *Pool) lock(h *Host) (bool, error) {
	f, err := os.OpenFile(filepath.Join(p.LockDir, "msilab-host-"+h.Spec.Name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return false, fmt.Errorf("lab: lease lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("lab: lease lock: %w", err)
	}
	p.mu.Lock()
	if p.locks == nil {
		p.locks = map[*Host]*os.File{}
	}
	p.locks[h] = f
	p.mu.Unlock()
	return true, nil
}

// Remove takes a free host out of the pool for good (a host refused by
// the preflight); it reports whether the host was free to take.
func (p *Pool) Remove(h *Host) bool {
	ch, ok := p.free[h.Spec.OS]
	if !ok {
		return false
	}
	var keep []*Host
	found := false
	for n := len(ch); n > 0; n-- {
		select {
		case x := <-ch:
			if x == h {
				found = true
			} else {
				keep = append(keep, x)
			}
		default:
		}
	}
	for _, x := range keep {
		ch <- x
	}
	return found
}

// Release returns a leased host.
func (p *Pool) Release(h *Host) {
	p.mu.Lock()
	if f := p.locks[h]; f != nil {
		f.Close() // closing the file drops the lock
		delete(p.locks, h)
	}
	p.mu.Unlock()
	p.free[h.Spec.OS] <- h
}

// Close closes every host's session.
func (p *Pool) Close() {
	for _, h := range p.all {
		h.Close()
	}
}
