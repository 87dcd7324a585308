package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SnapshotDriver returns a host's VM to a named snapshot (a checkpoint).
// Drivers register by name (RegisterSnapshotDriver); a host's lab.yaml
// snapshot block names one and its settings. What a driver can do beyond
// Revert it says through the optional one-method interfaces below.
type SnapshotDriver interface {
	// Revert reverts the VM to the snapshot. A missing snapshot or VM,
	// refused credentials and an unreachable hypervisor are
	// *SnapshotError wrapping ErrNoSnapshot, ErrNoVM, ErrHypervisorAuth or
	// ErrHypervisorUnreachable.
	Revert(ctx context.Context, snapshot string) error
}

// SnapshotChecker is a driver that can tell whether a snapshot exists
// without reverting to it.
type SnapshotChecker interface {
	CheckSnapshot(ctx context.Context, snapshot string) error
}

// PowerOner is a driver whose revert may leave the VM off (a snapshot
// taken without memory): PowerOn starts it, and does nothing when it runs.
type PowerOner interface {
	PowerOn(ctx context.Context) error
}

// SnapshotSaver is a driver that records the clean state itself when the
// run has prepared a host (the simulated host). Other drivers revert to a
// snapshot made outside msilab (by Packer or an administrator).
type SnapshotSaver interface {
	SaveSnapshot(ctx context.Context, snapshot string) error
}

// Typed causes of a failed snapshot operation, wrapped by *SnapshotError.
var (
	ErrNoSnapshot            = errors.New("snapshot not found")
	ErrNoVM                  = errors.New("VM not found")
	ErrHypervisorAuth        = errors.New("the hypervisor refused the credentials")
	ErrHypervisorUnreachable = errors.New("the hypervisor is unreachable")
	ErrNotReady              = errors.New("WinRM did not answer in time after the revert")
)

// SnapshotError is a driver's failure, naming the driver, the VM and the
// snapshot. Err wraps one of the Err* causes above when it is one of them.
type SnapshotError struct {
	Driver, VM, Snapshot string
	Err                  error
}

func (e *SnapshotError) Error() string {
	msg := "snapshot driver " + e.Driver
	if e.VM != "" {
		msg += ": VM " + strconv.Quote(e.VM)
	}
	if e.Snapshot != "" {
		msg += ": snapshot " + strconv.Quote(e.Snapshot)
	}
	return msg + ": " + e.Err.Error()
}

func (e *SnapshotError) Unwrap() error { return e.Err }

// Settings are a snapshot block's driver settings (lab.yaml
// `snapshot.settings`). Secrets are never among them: a key ending in
// _env names the environment variable that holds the value.
type Settings map[string]string

// Get returns a setting, or def when it is not set.
func (s Settings) Get(key, def string) string {
	if v, ok := s[key]; ok && v != "" {
		return v
	}
	return def
}

// Bool returns a true/false setting (default false).
func (s Settings) Bool(key string) (bool, error) {
	v, ok := s[key]
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("setting %s: %q is not true or false", key, v)
	}
	return b, nil
}

// Secret reads the environment variable named by the setting key+"_env".
func (s Settings) Secret(key string) (string, error) {
	name := s[key+"_env"]
	if name == "" {
		return "", fmt.Errorf("setting %s_env is required (the environment variable that holds the %s)", key, key)
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("environment variable %s (setting %s_env) is not set", name, key)
	}
	return v, nil
}

// SnapshotOpen is what a driver gets to open a host's VM.
type SnapshotOpen struct {
	// Host is the host whose VM the driver reverts; its name is the VM's
	// name unless the settings name another.
	Host HostSpec
	// Settings are the host's snapshot settings.
	Settings Settings
	// Inventory is the lab, for a driver that reaches another of its
	// hosts (the Hyper-V host); nil for a host built without one.
	Inventory *Inventory
	// Session is the host's own WinRM session (driver sim).
	Session func(context.Context) (Session, error)
}

// SnapshotDriverInfo registers a driver.
type SnapshotDriverInfo struct {
	Name, Summary string
	// Settings lists every key the driver reads, Required those it needs.
	Settings, Required []string
	// InGuest: the driver acts through the host's own WinRM session, so a
	// revert that succeeded proves WinRM answers.
	InGuest bool
	// Open makes a driver for one host. Nil for "none".
	Open func(ctx context.Context, o SnapshotOpen) (SnapshotDriver, error)
}

var (
	driversMu sync.RWMutex
	drivers   = map[string]SnapshotDriverInfo{}
)

// RegisterSnapshotDriver adds a driver; it panics on a repeated name.
func RegisterSnapshotDriver(info SnapshotDriverInfo) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if _, dup := drivers[info.Name]; dup || info.Name == "" {
		panic("lab: bad or repeated snapshot driver: " + info.Name)
	}
	drivers[info.Name] = info
}

// SnapshotDrivers lists the registered drivers, sorted.
func SnapshotDrivers() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	out := make([]string, 0, len(drivers))
	for n := range drivers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupSnapshotDriver returns a registered driver's Info.
func LookupSnapshotDriver(name string) (SnapshotDriverInfo, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	info, ok := drivers[name]
	return info, ok
}

// checkSettings checks a snapshot block against its driver's Info.
func checkSettings(info SnapshotDriverInfo, s Settings) []string {
	var bad []string
	for _, k := range sortedSettingKeys(s) {
		switch {
		case !contains(info.Settings, k):
			bad = append(bad, fmt.Sprintf("driver %s has no setting %q (it reads: %s)", info.Name, k, strings.Join(info.Settings, ", ")))
		case strings.HasSuffix(k, "_env") && !envName.MatchString(s[k]):
			bad = append(bad, fmt.Sprintf("setting %s must name an environment variable (credentials are never written in lab.yaml)", k))
		}
	}
	for _, k := range info.Required {
		if s[k] == "" {
			bad = append(bad, fmt.Sprintf("driver %s needs setting %q", info.Name, k))
		}
	}
	return bad
}

func sortedSettingKeys(s Settings) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reverted says what a revert did and how long each part took.
type Reverted struct {
	Driver   string `json:"driver"`
	Snapshot string `json:"snapshot"`
	// Revert, PowerOn and Ready are the parts' durations; Total their sum
	// and whatever ran between them.
	Revert  time.Duration `json:"revert_ns"`
	PowerOn time.Duration `json:"power_on_ns,omitempty"`
	Ready   time.Duration `json:"ready_ns,omitempty"`
	Total   time.Duration `json:"total_ns"`
}

func (r Reverted) String() string {
	s := fmt.Sprintf("%s:%s in %s (revert %s", r.Driver, r.Snapshot, r.Total.Round(time.Millisecond), r.Revert.Round(time.Millisecond))
	if r.PowerOn > 0 {
		s += ", power on " + r.PowerOn.Round(time.Millisecond).String()
	}
	if r.Ready > 0 {
		s += ", WinRM ready " + r.Ready.Round(time.Millisecond).String()
	}
	return s + ")"
}

// ErrNoDriver is a snapshot operation on a host whose driver is none.
var ErrNoDriver = errors.New("lab: the host has no snapshot driver (driver: none)")

// snapshotDriver opens the host's driver once.
func (h *Host) snapshotDriver(ctx context.Context) (SnapshotDriver, SnapshotDriverInfo, error) {
	h.dmu.Lock()
	defer h.dmu.Unlock()
	info, ok := LookupSnapshotDriver(h.Spec.Snapshot.Driver)
	if !ok {
		return nil, info, fmt.Errorf("lab: host %s: unknown snapshot driver %q (this build has: %s)", h.Spec.Name, h.Spec.Snapshot.Driver, strings.Join(SnapshotDrivers(), ", "))
	}
	if info.Open == nil {
		return nil, info, ErrNoDriver
	}
	if h.driver == nil {
		d, err := info.Open(ctx, SnapshotOpen{Host: h.Spec, Settings: h.Spec.Snapshot.Settings, Inventory: h.Inventory, Session: h.Session})
		if err != nil {
			return nil, info, &SnapshotError{Driver: info.Name, VM: h.Spec.Name, Err: err}
		}
		h.driver = d
	}
	return h.driver, info, nil
}

// SnapshotDriver returns the host's driver, opened on first use (a
// driver holds its connection until Close).
func (h *Host) SnapshotDriver(ctx context.Context) (SnapshotDriver, error) {
	d, _, err := h.snapshotDriver(ctx)
	return d, err
}

// HasSnapshots reports whether the host's driver can revert it.
func (h *Host) HasSnapshots() bool {
	info, ok := LookupSnapshotDriver(h.Spec.Snapshot.Driver)
	return ok && info.Open != nil
}

// SaveClean records the host's clean state under its snapshot name when
// its driver does that itself (driver sim); other drivers revert to a
// snapshot made outside msilab, and driver none has none.
func (h *Host) SaveClean(ctx context.Context) error {
	d, _, err := h.snapshotDriver(ctx)
	if errors.Is(err, ErrNoDriver) {
		return nil
	}
	if err != nil {
		return err
	}
	if s, ok := d.(SnapshotSaver); ok {
		return s.SaveSnapshot(ctx, h.Spec.Snapshot.Name)
	}
	return nil
}

// CheckSnapshot reports whether the host's snapshot exists (ErrNoDriver
// for driver none; nil when the driver cannot tell without reverting).
func (h *Host) CheckSnapshot(ctx context.Context) error {
	d, _, err := h.snapshotDriver(ctx)
	if err != nil {
		return err
	}
	if c, ok := d.(SnapshotChecker); ok {
		return c.CheckSnapshot(ctx, h.Spec.Snapshot.Name)
	}
	return nil
}

// Revert returns the host to its clean snapshot: the driver's revert, a
// power-on when the driver can leave the VM off, then a wait until WinRM
// answers (at most the snapshot block's ready_timeout, default 10 min).
// With driver none it fails with ErrNoDriver.
func (h *Host) Revert(ctx context.Context) (Reverted, error) {
	start := time.Now()
	rv := Reverted{Driver: h.Spec.Snapshot.Driver, Snapshot: h.Spec.Snapshot.Name}
	d, info, err := h.snapshotDriver(ctx)
	if err != nil {
		return rv, err
	}
	if err := d.Revert(ctx, rv.Snapshot); err != nil {
		return rv, err
	}
	rv.Revert = time.Since(start)
	if !info.InGuest {
		h.Reset() // the old shell died with the VM's state
		timeout := h.Spec.Snapshot.ReadyTimeout
		if timeout <= 0 {
			timeout = DefaultReadyTimeout
		}
		// ready_timeout bounds the power-on and the wait for WinRM together.
		rctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if p, ok := d.(PowerOner); ok {
			t := time.Now()
			if err := p.PowerOn(rctx); err != nil {
				return rv, err
			}
			rv.PowerOn = time.Since(t)
		}
		t := time.Now()
		if err := h.WaitReady(rctx, timeout); err != nil {
			return rv, &SnapshotError{Driver: rv.Driver, VM: h.Spec.Name, Snapshot: rv.Snapshot, Err: err}
		}
		rv.Ready = time.Since(t)
	}
	rv.Total = time.Since(start)
	return rv, nil
}

// WaitReady dials the host until WinRM answers (a shell opens), backing
// off between tries, for at most timeout (default 10 min). It fails with
// ErrNotReady wrapping the last error.
func (h *Host) WaitReady(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 250 * time.Millisecond
	for {
		h.Reset()
		_, err := h.Session(ctx)
		if err == nil {
			return nil
		}
		var auth *AuthError
		// Credentials and settings will not get better by waiting.
		if errors.As(err, &auth) || errors.Is(err, ErrBasicOverHTTP) || errors.Is(err, ErrNTLMNotOffered) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%s): %v", ErrNotReady, timeout, err)
		case <-t.C:
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// DefaultReadyTimeout bounds the wait for WinRM after a revert.
const DefaultReadyTimeout = 10 * time.Minute

// closeDriver closes the host's driver if it holds a connection.
func (h *Host) closeDriver() {
	h.dmu.Lock()
	defer h.dmu.Unlock()
	if c, ok := h.driver.(io.Closer); ok {
		c.Close()
	}
	h.driver = nil
}
