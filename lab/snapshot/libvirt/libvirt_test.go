package libvirt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testlab"
	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
)

// The tests run against a real libvirtd (Debian's), started for each test
// with only its built-in test driver: test:///default has one domain,
// "test", running, and implements domain snapshots. Its state lives as
// long as the connection, so each test does its whole sequence on one
// driver.

func newDriver(t *testing.T, uri, domain string) *Driver {
	t.Helper()
	d, err := New(Options{URI: uri, Domain: domain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// snapshot makes a snapshot of the domain through the driver's own
// connection (as Packer or an administrator would, outside msilab).
func snapshot(t *testing.T, d *Driver, name string) {
	t.Helper()
	conn, dom, err := d.domain()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.DomainSnapshotCreateXML(dom, "<domainsnapshot><name>"+name+"</name></domainsnapshot>", 0); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, d *Driver) string {
	t.Helper()
	st, err := d.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func powerOff(t *testing.T, d *Driver) {
	t.Helper()
	conn, dom, err := d.domain()
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.DomainDestroy(dom); err != nil {
		t.Fatal(err)
	}
}

// A clean snapshot taken with the domain off (as after a Packer build):
// reverting a running domain to it leaves it off, PowerOn starts it. A
// snapshot taken while running brings an off domain back running.
func TestRevertAndPowerOn(t *testing.T) {
	lv := testlab.StartLibvirtd(t)
	d := newDriver(t, lv.TestURI(), "test")
	ctx := t.Context()
	if got := state(t, d); got != "running" {
		t.Fatalf("setup: domain is %s, want running", got)
	}
	powerOff(t, d)
	snapshot(t, d, "msilab-clean")
	if err := d.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	snapshot(t, d, "running")
	if got := state(t, d); got != "running" {
		t.Fatalf("domain is %s after PowerOn, want running", got)
	}
	if err := d.CheckSnapshot(ctx, "msilab-clean"); err != nil {
		t.Fatal(err)
	}
	if err := d.Revert(ctx, "msilab-clean"); err != nil {
		t.Fatal(err)
	}
	if got := state(t, d); got != "shutoff" {
		t.Errorf("domain is %s after reverting to a snapshot of it off, want shutoff", got)
	}
	if err := d.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state(t, d); got != "running" {
		t.Errorf("domain is %s after PowerOn, want running", got)
	}
	powerOff(t, d)
	if err := d.Revert(ctx, "running"); err != nil {
		t.Fatal(err)
	}
	if got := state(t, d); got != "running" {
		t.Errorf("domain is %s after reverting to a snapshot of it running, want running", got)
	}
}

func TestMissingSnapshot(t *testing.T) {
	lv := testlab.StartLibvirtd(t)
	d := newDriver(t, lv.TestURI(), "test")
	err := d.Revert(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrNoSnapshot) || !strings.Contains(err.Error(), "has no snapshots") {
		t.Errorf("no snapshot at all: %v, want ErrNoSnapshot", err)
	}
	snapshot(t, d, "base")
	err = d.CheckSnapshot(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrNoSnapshot) || !strings.Contains(err.Error(), "base") || !strings.Contains(err.Error(), `"test"`) {
		t.Errorf("missing snapshot: %v, want ErrNoSnapshot naming the domain and the snapshots it has", err)
	}
}

func TestMissingDomain(t *testing.T) {
	lv := testlab.StartLibvirtd(t)
	d := newDriver(t, lv.TestURI(), "win11-nope")
	err := d.Revert(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrNoVM) || !strings.Contains(err.Error(), "win11-nope") {
		t.Errorf("missing domain: %v, want ErrNoVM naming it", err)
	}
}

// A daemon that demands credentials (SASL) the driver does not have.
func TestRefusedCredentials(t *testing.T) {
	lv := testlab.StartLibvirtd(t)
	d := newDriver(t, "test+tcp://"+lv.SASLAddr+"/default", "test")
	err := d.Revert(t.Context(), "msilab-clean")
	if !errors.Is(err, lab.ErrHypervisorAuth) {
		t.Errorf("SASL-only daemon: %v, want ErrHypervisorAuth", err)
	}
}

func TestUnreachable(t *testing.T) {
	d := newDriver(t, "test+unix:///default?socket="+t.TempDir()+"/none", "test")
	if err := d.Revert(t.Context(), "msilab-clean"); !errors.Is(err, lab.ErrHypervisorUnreachable) {
		t.Errorf("no daemon: %v, want ErrHypervisorUnreachable", err)
	}
}

// Through lab.Host, as the runner uses it: the driver from lab.yaml's
// snapshot block, the revert, the power-on, and the wait until the
// host's WinRM answers, each timed.
func TestHostRevert(t *testing.T) {
	lv := testlab.StartLibvirtd(t)
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: "win11-24h2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	host, port := srv.HostPort()
	spec := lab.HostSpec{Name: "test", OS: "win11-24h2", Endpoint: srv.URL(), User: srv.User(),
		Snapshot: lab.SnapshotSpec{Driver: "libvirt", Name: "msilab-clean", ReadyTimeout: time.Minute,
			Settings: lab.Settings{"uri": lv.TestURI()}}}
	h := lab.NewHost(spec, lab.Endpoint{Host: host, Port: port, Auth: lab.AuthBasic, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})
	t.Cleanup(h.Close)
	drv, err := h.SnapshotDriver(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	d := drv.(*Driver)
	powerOff(t, d)
	snapshot(t, d, "msilab-clean")
	if err := d.PowerOn(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.CheckSnapshot(t.Context()); err != nil {
		t.Fatal(err)
	}
	rv, err := h.Revert(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := state(t, d); got != "running" {
		t.Errorf("domain is %s after Host.Revert, want running (powered on)", got)
	}
	if rv.Driver != "libvirt" || rv.Snapshot != "msilab-clean" || rv.Revert <= 0 || rv.PowerOn <= 0 || rv.Ready <= 0 || rv.Total < rv.Revert+rv.PowerOn+rv.Ready {
		t.Errorf("Reverted = %+v, want each part timed", rv)
	}
	if s, err := h.Session(t.Context()); err != nil || s == nil {
		t.Errorf("no WinRM session after the revert: %v", err)
	}
}
