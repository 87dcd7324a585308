package lab_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"github.com/msilab/msilab/internal/testlab"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/ops"
	"github.com/msilab/msilab/lab/sim"
)

func startSim(t *testing.T, opts sim.Options) *sim.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	srv, err := sim.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func endpointOf(srv *sim.Server, auth lab.AuthMethod) lab.Endpoint {
	host, port := srv.HostPort()
	ep := lab.Endpoint{Host: host, Port: port, HTTPS: srv.HTTPS(), CACert: srv.CertPEM(), Auth: auth, User: srv.User(), Password: srv.Password(), AllowBasicOverHTTP: true}
	return ep
}

func dial(t *testing.T, ep lab.Endpoint) lab.Session {
	t.Helper()
	s, err := lab.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDialErrorsAreTyped(t *testing.T) {
	srv := startSim(t, sim.Options{})
	ctx := context.Background()
	for _, auth := range []lab.AuthMethod{lab.AuthBasic, lab.AuthNTLM} {
		ep := endpointOf(srv, auth)
		ep.Password = "wrong"
		_, err := lab.Dial(ctx, ep)
		var ae *lab.AuthError
		if !errors.As(err, &ae) || ae.User != srv.User() {
			t.Fatalf("%s wrong password: %v", auth, err)
		}
	}
	// A closed port: unreachable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err := lab.Dial(ctx, lab.Endpoint{Host: "127.0.0.1", Port: port, User: "u", Password: "p"})
	var ue *lab.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("closed port: %v", err)
	}
	// Bad options are refused before any network traffic.
	for _, ep := range []lab.Endpoint{{}, {Host: "h"}, {Host: "h", User: "u", Auth: "kerberos"}, {Host: "h", User: "u", HTTPS: true}} {
		if _, err := lab.Dial(ctx, ep); err == nil || errors.As(err, &ue) {
			t.Fatalf("%+v: %v", ep, err)
		}
	}
}

func TestHTTPSPinning(t *testing.T) {
	srv := startSim(t, sim.Options{HTTPS: true})
	s := dial(t, endpointOf(srv, lab.AuthNTLM))
	out, err := s.Run(context.Background(), lab.Command{Line: "hostname"})
	if err != nil || string(out.Stdout) != srv.Host().Hostname()+"\r\n" {
		t.Fatalf("%q %v", out.Stdout, err)
	}
	// Pinned through a CA file too.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, srv.CertPEM(), 0o600)
	ep := endpointOf(srv, lab.AuthBasic)
	ep.CACert, ep.CAFile = nil, caFile
	dial(t, ep)
	// Another server's certificate does not verify this one.
	other := startSim(t, sim.Options{HTTPS: true})
	ep = endpointOf(srv, lab.AuthBasic)
	ep.CACert = other.CertPEM()
	_, err = lab.Dial(context.Background(), ep)
	var te *lab.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("wrong CA: %v", err)
	}
}

func TestRunExitAndFaults(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthNTLM))
	ctx := context.Background()
	out, err := s.Run(ctx, lab.Command{Line: "type C:\\nope.txt"})
	var ee *lab.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(ee.Stderr, "cannot find the file") || out.ExitCode != 1 {
		t.Fatalf("exit error: %v", err)
	}
	_, err = s.Run(ctx, lab.Command{Line: "echo " + strings.Repeat("x", 40000)})
	var wf *lab.WSManFault
	if !errors.As(err, &wf) || wf.Code != 2147942606 || wf.HTTPStatus != 500 {
		t.Fatalf("CreateProcess limit: %v", err)
	}
	// The session still works after a fault.
	if _, err := s.Run(ctx, lab.Command{Line: "exit /b 0"}); err != nil {
		t.Fatal(err)
	}
}

func TestUploadDownloadLarge(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	ctx := context.Background()
	data := make([]byte, 5<<20+123)
	rand.Read(data)
	info, err := s.Upload(ctx, bytes.NewReader(data), `C:\Windows\Temp\pkg\big.msi`)
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("upload: %+v %v", info, err)
	}
	var back bytes.Buffer
	got, err := s.Download(ctx, `c:/windows/temp/PKG/big.msi`, &back)
	if err != nil || !bytes.Equal(back.Bytes(), data) || got.SHA256 != info.SHA256 {
		t.Fatalf("download: %+v %v equal=%v", got, err, bytes.Equal(back.Bytes(), data))
	}
	// Empty files travel too.
	if _, err := s.Upload(ctx, bytes.NewReader(nil), `C:\Windows\Temp\empty`); err != nil {
		t.Fatal(err)
	}
	back.Reset()
	if info, err := s.Download(ctx, `C:\Windows\Temp\empty`, &back); err != nil || info.Size != 0 || back.Len() != 0 {
		t.Fatalf("empty: %+v %v", info, err)
	}
	// A missing file is an error naming it, and writes nothing.
	back.Reset()
	_, err = s.Download(ctx, `C:\Windows\Temp\missing.bin`, &back)
	var ee *lab.ExitError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "missing.bin") || back.Len() != 0 {
		t.Fatalf("missing: %v", err)
	}
	// A source that fails midway uploads nothing.
	_, err = s.Upload(ctx, &failingReader{n: 1 << 20}, `C:\Windows\Temp\half.bin`)
	if err == nil {
		t.Fatal("upload from a failing reader succeeded")
	}
	if _, err := s.Run(ctx, lab.Command{Line: `type C:\Windows\Temp\half.bin`}); !errors.As(err, &ee) {
		t.Fatalf("half upload left a file: %v", err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(len(p), f.n)
	f.n -= n
	return n, nil
}

func TestRunBatchInstallsModuleOnce(t *testing.T) {
	srv := startSim(t, sim.Options{OS: "win11-24h2", Hostname: "WIN11-LAB"})
	s := dial(t, endpointOf(srv, lab.AuthNTLM))
	ctx := context.Background()
	info, _ := ops.New(ops.OpHostInfo, nil)
	bad, _ := ops.New(ops.OpHostInfo, map[string]int{"verbose": 1})
	results, err := s.RunBatch(ctx, []ops.Op{info, {Name: "no.such.op"}, bad})
	if err != nil {
		t.Fatal(err)
	}
	var hi ops.HostInfo
	if err := results[0].Decode(&hi); err != nil || hi.Hostname != "WIN11-LAB" || hi.Profile != "win11-24h2" {
		t.Fatalf("host.info: %+v %v", hi, err)
	}
	if err := results[1].Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeUnknownOp}) {
		t.Fatalf("unknown op: %v", err)
	}
	if err := results[2].Decode(nil); !errors.Is(err, &ops.Error{Code: ops.CodeInvalidArgs}) {
		t.Fatalf("bad args: %v", err)
	}
	// The module is on the host, byte for byte.
	var mod bytes.Buffer
	if _, err := s.Download(ctx, ops.ModulePath, &mod); err != nil || !bytes.Equal(mod.Bytes(), ops.Module) {
		t.Fatalf("module on host: %v", err)
	}
	// A host whose module differs gets the right one back.
	if _, err := s.Upload(ctx, strings.NewReader("# stale"), ops.ModulePath); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunBatch(ctx, []ops.Op{info}); err != nil {
		t.Fatal(err)
	}
	mod.Reset()
	s.Download(ctx, ops.ModulePath, &mod)
	if !bytes.Equal(mod.Bytes(), ops.Module) {
		t.Fatal("stale module not replaced")
	}
}

func TestSessionSurvivesExpiredShellAndConcurrency(t *testing.T) {
	srv := startSim(t, sim.Options{Hostname: "H1"})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	ctx := context.Background()
	// Another session of the same user fills nothing; deleting all shells on
	// the host (as an idle timeout does) is survived by re-creating ours.
	srv.CloseShells()
	out, err := s.Run(ctx, lab.Command{Line: "hostname"})
	if err != nil || string(out.Stdout) != "H1\r\n" {
		t.Fatalf("after expiry: %v %v", out, err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := s.Run(ctx, lab.Command{Line: "whoami"}); err != nil || !strings.HasPrefix(string(out.Stdout), "h1\\") {
				t.Errorf("concurrent run: %q %v", out.Stdout, err)
			}
		}()
	}
	wg.Wait()
	s.Close()
	if _, err := s.Run(ctx, lab.Command{Line: "hostname"}); !errors.Is(err, lab.ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestRunHonoursContext(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthBasic))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The upload script waits for stdin that never ends: only the
	// cancelled context can end the command.
	pr, pw := net.Pipe()
	defer pw.Close()
	done := make(chan error, 1)
	go func() {
		_, err := s.Run(ctx, lab.Command{Line: ops.EncodedCommand(ops.UploadScript), Stdin: pr})
		done <- err
	}()
	// Once Run reads stdin the command is running on the host.
	if _, err := pw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel: %v", err)
		}
	case <-time.After(2 * time.Minute): // a hang guard, not a speed limit
		t.Fatal("Run did not return after its context was cancelled")
	}
}

// A dropped connection while stdin is sent fails the command with a
// *TransportError at once, instead of leaving it waiting for its input.
// The batch changes the host and has no ID, so it is not resent; a batch
// that only reads is (TestDroppedReadIsResent).
func TestDroppedStdinIsTransportError(t *testing.T) {
	_, g, s := gated(t)
	g.DropWhen(testlab.StdinHas(`"op":"registry.set"`))
	op := ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SOFTWARE\msilab-test`, Name: "v", Type: "REG_SZ", String: "x"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.RunBatch(ctx, []ops.Op{op})
	var te *lab.TransportError
	if !errors.As(err, &te) || ctx.Err() != nil {
		t.Fatalf("RunBatch after a dropped Send: %v, want a *lab.TransportError before the deadline", err)
	}
	if _, err := s.RunBatch(context.Background(), []ops.Op{op}); err != nil {
		t.Errorf("the session is unusable after a dropped Send: %v", err)
	}
}

// A batch that only reads (every op Changes false in the catalog) is safe
// to send twice: its lost answer is resent without an ID, and counted.
func TestDroppedReadIsResent(t *testing.T) {
	_, g, s := gated(t)
	g.DropWhen(testlab.StdinHas(`"op":"host.info"`))
	var st lab.BatchStats
	ctx, cancel := context.WithTimeout(lab.WithBatchStats(context.Background(), &st), 30*time.Second)
	defer cancel()
	if _, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpHostInfo, nil)}); err != nil {
		t.Fatalf("a read-only batch whose Send was dropped: %v, want it resent", err)
	}
	if c := st.Snapshot(); c.Resends != 1 || len(c.Errors) != 1 {
		t.Errorf("counts %+v, want one resend after one transport error", c)
	}
	if ops.ReadOnly([]ops.Op{ops.MustNew(ops.OpHostInfo, nil), ops.MustNew(ops.OpRegistrySet, ops.RegistrySetArgs{Path: `HKLM\SOFTWARE\x`, Name: "v", Type: "REG_SZ"})}) {
		t.Error("a batch with registry.set counts as read-only")
	}
}

// RunBatchWith runs the batch script over any run, with the request on
// stdin, and installs the module once when the host asks for it.
func TestRunBatchWith(t *testing.T) {
	var lines []string
	installs := 0
	run := func(_ context.Context, cmd lab.Command) (*lab.Output, error) {
		lines = append(lines, cmd.Line)
		var req ops.Request
		if err := json.NewDecoder(cmd.Stdin).Decode(&req); err != nil || len(req.Ops) != 1 {
			t.Fatalf("request %+v: %v", req, err)
		}
		resp := ops.Response{Version: ops.ProtocolVersion, Module: ops.ModuleMissing}
		if installs > 0 {
			resp = ops.Response{Version: ops.ProtocolVersion, Results: []ops.Result{{Op: req.Ops[0].Name, OK: true}}}
		}
		out, _ := json.Marshal(resp)
		return &lab.Output{Stdout: out}, nil
	}
	install := func(context.Context) error { installs++; return nil }
	res, err := lab.RunBatchWith(t.Context(), []ops.Op{ops.MustNew(ops.OpHostInfo, nil)}, run, install)
	if err != nil || len(res) != 1 || res[0].Op != ops.OpHostInfo {
		t.Fatalf("results %+v: %v", res, err)
	}
	if installs != 1 || len(lines) != 2 || lines[0] != lines[1] || !strings.Contains(lines[0], "-EncodedCommand") {
		t.Errorf("%d installs, command lines %q", installs, lines)
	}
}

func TestCommandCaptureFinish(t *testing.T) {
	var out lab.Output
	cmd := lab.Command{Line: "prog"}
	stdout, stderr := cmd.Capture(&out)
	io.WriteString(stdout, "out")
	io.WriteString(stderr, " err\n")
	out.ExitCode = 3
	got, err := cmd.Finish(&out)
	var exit *lab.ExitError
	if got != &out || string(out.Stdout) != "out" || !errors.As(err, &exit) || exit.Code != 3 || exit.Stderr != "err" || exit.Command != "prog" {
		t.Errorf("output %+v, error %v", got, err)
	}

	var mine, mineErr bytes.Buffer
	out = lab.Output{}
	cmd = lab.Command{Line: "prog", Stdout: &mine, Stderr: &mineErr}
	stdout, stderr = cmd.Capture(&out)
	io.WriteString(stdout, "out")
	io.WriteString(stderr, "err")
	if _, err := cmd.Finish(&out); err != nil || mine.String() != "out" || len(out.Stdout) != 0 || mineErr.String() != "err" || string(out.Stderr) != "err" {
		t.Errorf("caller's streams: stdout %q (kept %q), stderr %q (kept %q), %v", mine.String(), out.Stdout, mineErr.String(), out.Stderr, err)
	}
}

func TestDigest(t *testing.T) {
	d := lab.NewDigest()
	io.WriteString(d, "a")
	io.WriteString(d, "bc")
	if d.Size() != 3 || d.SHA256() != "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" {
		t.Errorf("size %d, SHA-256 %s", d.Size(), d.SHA256())
	}
}

// Commands that carry stdin ask for it as a pipe
// (WINRS_CONSOLEMODE_STDIN=FALSE); others keep masterzen/winrm's TRUE.
func TestStdinIsAPipe(t *testing.T) {
	srv := startSim(t, sim.Options{})
	s := dial(t, endpointOf(srv, lab.AuthNTLM))
	ctx := context.Background()
	if _, err := s.Run(ctx, lab.Command{Line: "exit /b 0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunBatch(ctx, []ops.Op{ops.MustNew(ops.OpHostInfo, nil)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, lab.Command{Line: "exit /b 0", Stdin: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	recs := srv.Host().Commands()
	var batch, upload int
	for i, r := range recs {
		want := "FALSE"
		if r.Line == "exit /b 0" && i == 0 {
			want = "TRUE"
		}
		if r.ConsoleModeStdin != want {
			t.Errorf("command %d (%.60s): WINRS_CONSOLEMODE_STDIN %q, want %q", i, r.Line, r.ConsoleModeStdin, want)
		}
		if r.Line == ops.EncodedCommand(ops.BatchScript) {
			batch++
		}
		if r.Line == ops.EncodedCommand(ops.UploadScript) {
			upload++
		}
	}
	// The first batch finds no module; the host folder is checked, the
	// module uploaded, and the batch sent again.
	if batch != 2 || upload != 1 || len(recs) != 6 {
		t.Fatalf("commands: %d batches, %d uploads, %d in all: %+v", batch, upload, len(recs), recs)
	}
}
