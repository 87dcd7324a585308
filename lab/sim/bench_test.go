package sim_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/masterzen/winrm"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
)

// benchClients is how many clients run commands at once, each in its own
// shell reused for all its commands.
const benchClients = 8

// runConcurrently splits b.N commands among benchClients workers (set up
// before the timer starts) and reports commands per second.
func runConcurrently(b *testing.B, newWorker func(b *testing.B) (run func() error, done func())) {
	runs := make([]func() error, benchClients)
	for i := range runs {
		run, done := newWorker(b)
		runs[i] = run
		b.Cleanup(done)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchClients)
	b.ReportAllocs()
	b.ResetTimer()
	for _, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := run(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
}

// masterzenWorker is one masterzen/winrm client with one shell, running
// `hostname` as a real client would: Execute, drain both streams, Wait, Close.
func masterzenWorker(srv *sim.Server, ntlm bool) func(b *testing.B) (func() error, func()) {
	return func(b *testing.B) (func() error, func()) {
		host, port := srv.HostPort()
		params := winrm.NewParameters("PT60S", "en-US", 153600)
		if ntlm {
			params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
		}
		client, err := winrm.NewClientWithParameters(&winrm.Endpoint{Host: host, Port: port}, srv.User(), srv.Password(), params)
		if err != nil {
			b.Fatal(err)
		}
		shell, err := client.CreateShell()
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		want := int64(len(benchHostname) + 2)
		run := func() error {
			cmd, err := shell.ExecuteWithContext(ctx, "hostname")
			if err != nil {
				return err
			}
			var wg sync.WaitGroup
			var n int64
			wg.Add(2)
			go func() { defer wg.Done(); n, _ = io.Copy(io.Discard, cmd.Stdout) }()
			go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, cmd.Stderr) }()
			cmd.Wait()
			wg.Wait()
			_ = cmd.Close()
			if err := cmd.Error(); err != nil {
				return err
			}
			if cmd.ExitCode() != 0 || n != want {
				return fmt.Errorf("hostname: exit %d, %d bytes of stdout; want 0, %d", cmd.ExitCode(), n, want)
			}
			return nil
		}
		return run, func() { _ = shell.Close() }
	}
}

// benchHostname is the host name the benchmark servers report.
const benchHostname = "MSILAB-BENCH"

// benchServer starts a simulated host (HTTP, loopback) for one benchmark.
func benchServer(b *testing.B) *sim.Server {
	b.Helper()
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0", OS: conformanceOS, Hostname: benchHostname})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// BenchmarkCommandsMasterzen: `hostname` through masterzen/winrm with Basic
// auth over HTTP, 8 concurrent clients each reusing its own shell.
func BenchmarkCommandsMasterzen(b *testing.B) {
	srv := benchServer(b)
	runConcurrently(b, masterzenWorker(srv, false))
}

// BenchmarkCommandsMasterzenNTLM: the same with NTLM (one handshake per
// connection, then the connection's identity).
func BenchmarkCommandsMasterzenNTLM(b *testing.B) {
	srv := benchServer(b)
	runConcurrently(b, masterzenWorker(srv, true))
}

// BenchmarkCommandsLabSession: `hostname` through lab.Session.Run (one
// reused shell per session), 8 concurrent sessions, Basic and NTLM.
func BenchmarkCommandsLabSession(b *testing.B) {
	for _, auth := range []lab.AuthMethod{lab.AuthBasic, lab.AuthNTLM} {
		b.Run(string(auth), func(b *testing.B) {
			srv := benchServer(b)
			host, port := srv.HostPort()
			ep := lab.Endpoint{Host: host, Port: port, Auth: auth, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true}
			runConcurrently(b, func(b *testing.B) (func() error, func()) {
				ctx := context.Background()
				s, err := lab.Dial(ctx, ep)
				if err != nil {
					b.Fatal(err)
				}
				want := benchHostname + "\r\n"
				return func() error {
					out, err := s.Run(ctx, lab.Command{Line: "hostname"})
					if err != nil {
						return err
					}
					if string(out.Stdout) != want {
						return fmt.Errorf("hostname: stdout %q, want %q", out.Stdout, want)
					}
					return nil
				}, func() { _ = s.Close() }
			})
		})
	}
}
