// Package libvirt is the libvirt/KVM snapshot driver
// (github.com/digitalocean/go-libvirt, libvirt's RPC protocol in pure Go):
// it reverts a domain to a named snapshot, starts it when the snapshot
// left it off, and tells a missing snapshot, a missing domain, a refused
// connection and an unreachable daemon apart. It registers as lab
// snapshot driver "libvirt":
//
//	snapshot:
//	  driver: libvirt
//	  name: msilab-clean
//	  settings:
//	    uri: qemu+ssh://qa@kvm1.lab.example/system?keyfile=/home/qa/.ssh/id_ed25519
//	    domain: win11-a          # default: the host's name
//
// The URI is libvirt's own (qemu:///system through the local socket,
// qemu+tcp, qemu+tls, qemu+ssh). Its credentials are the transport's:
// the socket's permissions, an SSH key file or TLS client certificates
// (pkipath), never a password in lab.yaml. go-libvirt has no SASL: a
// daemon that demands SASL refuses the driver with ErrHypervisorAuth.
//
// A driver holds one connection, opened on first use, for its lifetime;
// libvirt's test driver (test:///default) keeps its state only while a
// connection is open, so a sequence on it must use one driver.
package libvirt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	golibvirt "github.com/digitalocean/go-libvirt"

	"github.com/msilab/msilab/lab"
)

func init() {
	lab.RegisterSnapshotDriver(lab.SnapshotDriverInfo{Name: "libvirt",
		Summary:  "libvirt / KVM through libvirtd's RPC protocol (go-libvirt): local socket, tcp, tls or ssh",
		Settings: []string{"uri", "domain"},
		Required: []string{"uri"},
		Open: func(_ context.Context, o lab.SnapshotOpen) (lab.SnapshotDriver, error) {
			return New(Options{URI: o.Settings["uri"], Domain: o.Settings.Get("domain", o.Host.Name)})
		}})
}

// Options configure a driver for one domain.
type Options struct {
	// URI is the libvirt connection URI.
	URI string
	// Domain is the domain's name.
	Domain string
}

// Driver reverts one domain over one connection. Its methods are safe for
// concurrent use.
type Driver struct {
	opts Options
	u    *url.URL

	mu   sync.Mutex
	conn *golibvirt.Libvirt
}

var (
	_ lab.SnapshotChecker = (*Driver)(nil)
	_ lab.PowerOner       = (*Driver)(nil)
)

// New checks opts and makes a driver; it does not connect yet.
func New(opts Options) (*Driver, error) {
	if opts.Domain == "" {
		return nil, errors.New("libvirt: the domain's name is required")
	}
	u, err := url.Parse(opts.URI)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("libvirt: uri %q is not a libvirt URI (driver[+transport]://[host]/path)", opts.URI)
	}
	return &Driver{opts: opts, u: u}, nil
}

func (d *Driver) fail(snapshot string, err error) error {
	return &lab.SnapshotError{Driver: "libvirt", VM: d.opts.Domain, Snapshot: snapshot, Err: err}
}

// where names the daemon without the URI's query (which may hold paths).
func (d *Driver) where() string {
	u := *d.u
	u.RawQuery = ""
	return u.String()
}

// connection returns the driver's connection, opening it when there is
// none or the last one dropped.
func (d *Driver) connection() (*golibvirt.Libvirt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil && d.conn.IsConnected() {
		return d.conn, nil
	}
	conn, err := golibvirt.ConnectToURI(d.u)
	if err != nil {
		if isAuth(err) {
			return nil, d.fail("", fmt.Errorf("%w: %s: %v (this driver authenticates by the transport: the socket's permissions, an SSH key or TLS client certificates; it has no SASL)", lab.ErrHypervisorAuth, d.where(), err))
		}
		var le golibvirt.Error
		if errors.As(err, &le) { // the daemon answered: a wrong URI or driver
			return nil, d.fail("", fmt.Errorf("connect to %s: %w (libvirt error %d)", d.where(), err, le.Code))
		}
		return nil, d.fail("", fmt.Errorf("%w: %s: %v", lab.ErrHypervisorUnreachable, d.where(), err))
	}
	d.conn = conn
	return conn, nil
}

func isAuth(err error) bool {
	var le golibvirt.Error
	if !errors.As(err, &le) {
		return false
	}
	switch golibvirt.ErrorNumber(le.Code) {
	case golibvirt.ErrRPC:
		// libvirtd answers any call of a client that has not done the
		// authentication it demands (SASL, which go-libvirt lacks) with
		// VIR_ERR_RPC "authentication required".
		return strings.Contains(le.Message, "authentication required")
	case golibvirt.ErrAuthFailed, golibvirt.ErrAuthCancelled, golibvirt.ErrAuthUnavailable,
		golibvirt.ErrAccessDenied, golibvirt.ErrOperationDenied:
		return true
	}
	return false
}

func code(err error) golibvirt.ErrorNumber {
	var le golibvirt.Error
	if errors.As(err, &le) {
		return golibvirt.ErrorNumber(le.Code)
	}
	return -1
}

func (d *Driver) domain() (*golibvirt.Libvirt, golibvirt.Domain, error) {
	conn, err := d.connection()
	if err != nil {
		return nil, golibvirt.Domain{}, err
	}
	dom, err := conn.DomainLookupByName(d.opts.Domain)
	if err != nil {
		if code(err) == golibvirt.ErrNoDomain {
			return nil, dom, d.fail("", fmt.Errorf("%w at %s", lab.ErrNoVM, d.where()))
		}
		return nil, dom, d.fail("", d.classify(err))
	}
	return conn, dom, nil
}

// classify marks a failure that lost the connection as unreachable.
func (d *Driver) classify(err error) error {
	if code(err) == -1 {
		return fmt.Errorf("%w: %s: %v", lab.ErrHypervisorUnreachable, d.where(), err)
	}
	if isAuth(err) {
		return fmt.Errorf("%w: %v", lab.ErrHypervisorAuth, err)
	}
	return err
}

func (d *Driver) snapshot(name string) (*golibvirt.Libvirt, golibvirt.DomainSnapshot, error) {
	conn, dom, err := d.domain()
	if err != nil {
		return nil, golibvirt.DomainSnapshot{}, err
	}
	snap, err := conn.DomainSnapshotLookupByName(dom, name, 0)
	if err == nil {
		return conn, snap, nil
	}
	if code(err) != golibvirt.ErrNoDomainSnapshot {
		return nil, snap, d.fail(name, d.classify(err))
	}
	all, _, lerr := conn.DomainListAllSnapshots(dom, 1, 0)
	if lerr != nil {
		return nil, snap, d.fail(name, d.classify(lerr))
	}
	if len(all) == 0 {
		return nil, snap, d.fail(name, fmt.Errorf("%w: the domain has no snapshots", lab.ErrNoSnapshot))
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return nil, snap, d.fail(name, fmt.Errorf("%w (the domain has: %s)", lab.ErrNoSnapshot, strings.Join(names, ", ")))
}

// CheckSnapshot reports whether the domain has the snapshot.
func (d *Driver) CheckSnapshot(_ context.Context, snapshot string) error {
	_, _, err := d.snapshot(snapshot)
	return err
}

// Revert reverts the domain to the snapshot; the domain is then running
// or off as it was when the snapshot was taken.
func (d *Driver) Revert(_ context.Context, snapshot string) error {
	conn, snap, err := d.snapshot(snapshot)
	if err != nil {
		return err
	}
	if err := conn.DomainRevertToSnapshot(snap, 0); err != nil {
		return d.fail(snapshot, fmt.Errorf("revert: %w", d.classify(err)))
	}
	return nil
}

// State is the domain's state as libvirt names it (running, shutoff...).
func (d *Driver) State(context.Context) (string, error) {
	conn, dom, err := d.domain()
	if err != nil {
		return "", err
	}
	st, _, err := conn.DomainGetState(dom, 0)
	if err != nil {
		return "", d.fail("", d.classify(err))
	}
	return stateName(golibvirt.DomainState(st)), nil
}

func stateName(s golibvirt.DomainState) string {
	switch s {
	case golibvirt.DomainRunning:
		return "running"
	case golibvirt.DomainBlocked:
		return "blocked"
	case golibvirt.DomainPaused:
		return "paused"
	case golibvirt.DomainShutdown:
		return "shutdown"
	case golibvirt.DomainShutoff:
		return "shutoff"
	case golibvirt.DomainCrashed:
		return "crashed"
	case golibvirt.DomainPmsuspended:
		return "pmsuspended"
	}
	return "nostate"
}

// PowerOn starts the domain when it is off, resumes it when paused, and
// does nothing when it runs.
func (d *Driver) PowerOn(context.Context) error {
	conn, dom, err := d.domain()
	if err != nil {
		return err
	}
	st, _, err := conn.DomainGetState(dom, 0)
	if err != nil {
		return d.fail("", d.classify(err))
	}
	switch golibvirt.DomainState(st) {
	case golibvirt.DomainRunning, golibvirt.DomainBlocked:
		return nil
	case golibvirt.DomainPaused, golibvirt.DomainPmsuspended:
		err = conn.DomainResume(dom)
	default:
		err = conn.DomainCreate(dom)
	}
	if err != nil {
		return d.fail("", fmt.Errorf("power on (was %s): %w", stateName(golibvirt.DomainState(st)), d.classify(err)))
	}
	return nil
}

// Close closes the connection.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil
	}
	err := d.conn.Disconnect()
	d.conn = nil
	return err
}
