package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/scenarios/results"
)

// On a host whose display language is German, MsiInstaller's messages are
// German: recovery reads the rerun's status from the events' data, so a
// fixed cell still recovers (docs/evidence.md#E-localized-events). The
// rerun's 1033 has no English "status: 0." for a text match to find.
func TestRecoveryOnALocalisedHost(t *testing.T) {
	const os = "win10-22h2"
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: os, Locale: "de-DE"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	host, port := srv.HostPort()
	spec := lab.HostSpec{Name: "gated", OS: os, Endpoint: srv.URL(), Auth: "basic", AllowBasicOverHTTP: true, User: srv.User(),
		StandardUser: "msilab-user", Snapshot: lab.SnapshotSpec{Driver: "sim", Name: "msilab-clean"}}
	pool := lab.NewPool([]*lab.Host{lab.NewHost(spec, lab.Endpoint{Host: host, Port: port, Auth: lab.AuthBasic,
		User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true})})
	t.Cleanup(pool.Close)

	cells := builtinCells(t, "temp-acl-system-read-only", os)[:1]
	sum, err := Run(context.Background(), pool, cells, Options{Out: t.TempDir(), Remediate: true})
	if err != nil {
		t.Fatal(err)
	}
	c := sum.Cells[0]
	rem := c.Remediation
	if c.Status != results.StatusPass || rem == nil || !rem.Recovered || rem.Rerun == nil || rem.Rerun.Run == nil {
		t.Fatalf("%s: %s (%s), remediation %+v: want recovered", c.ID, c.Status, c.Reason, rem)
	}
	german := false
	for _, e := range rem.Rerun.Run.Events {
		if e.EventID != ops.EventInstalled {
			continue
		}
		status, ok := e.Status()
		german = ok && status == 0 && strings.Contains(e.Message, "Fehlerstatus der Installation: 0.") && !strings.Contains(e.Message, "status: 0.")
	}
	if !german {
		t.Fatalf("the rerun's 1033 is not a German event with status 0 in its data: %+v", rem.Rerun.Run.Events)
	}
}
