package testlab

import (
	"context"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
	"github.com/msilab/msilab/testpkgs"
)

// StandardPassword is the password NewSimHost gives the lab's standard user.
const StandardPassword = "Std-Passw0rd!"

// SimHost is a simulated Windows host for a test: a WinRM server on
// loopback, a session to it (Basic auth), the lab's standard user, and
// test packages under lab.PackageDir. Everything is closed at the test's end.
type SimHost struct {
	T testing.TB
	// Ctx bounds the test's talk with the host (a stuck command fails, not
	// hangs) and carries the logons of the standard user and the
	// administrator (lab.WithLogons), as the runner's batches do.
	Ctx context.Context
	Srv *sim.Server
	S   lab.Session
}

// NewSimHost starts a host of the OS profile with the named test packages
// (none named: all of them).
func NewSimHost(t testing.TB, osProfile string, packages ...string) *SimHost {
	t.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: osProfile})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	host, port := srv.HostPort()
	s, err := lab.Dial(ctx, lab.Endpoint{Host: host, Port: port, User: srv.User(), Password: srv.Password(), Auth: lab.AuthBasic, AllowBasicOverHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx = lab.WithLogons(ctx, ops.Logon{User: ops.DefaultStandardUser, Password: StandardPassword},
		ops.Logon{User: srv.User(), Password: srv.Password()})
	h := &SimHost{T: t, Ctx: ctx, Srv: srv, S: s}
	h.MustRun(ops.MustNew(ops.OpUserEnsure, ops.UserEnsureArgs{Name: ops.DefaultStandardUser, Password: StandardPassword}))
	if len(packages) == 0 {
		packages = testpkgs.Names()
	}
	for _, name := range packages {
		data, err := testpkgs.Bytes(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := lab.EnsureFile(ctx, s, data, lab.PackageDir+`\`+name+".msi"); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// Run sends a batch and returns its results.
func (h *SimHost) Run(batch ...ops.Op) []ops.Result {
	h.T.Helper()
	if len(batch) == 0 {
		return nil
	}
	res, err := h.S.RunBatch(h.Ctx, batch)
	if err != nil {
		h.T.Fatal(err)
	}
	return res
}

// MustRun sends a batch whose ops must all succeed.
func (h *SimHost) MustRun(batch ...ops.Op) []ops.Result {
	h.T.Helper()
	res := h.Run(batch...)
	for _, r := range res {
		if err := r.Decode(nil); err != nil {
			h.T.Fatalf("%v", err)
		}
	}
	return res
}
