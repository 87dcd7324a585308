package testlab

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msilab/msilab/internal/testtool"
)

// LibvirtInstall is how the libvirt tests get libvirtd (CI's .ci/run does it).
const LibvirtInstall = "apt-get install libvirt-daemon-system"

// Libvirtd is a private libvirtd for one test: its own socket directory,
// no hypervisor driver modules (so it shares no state with another
// daemon), and only the built-in test driver, whose test:///default
// domain "test" supports snapshots. It also listens on loopback TCP with
// SASL authentication required, to show a daemon that refuses a client
// without credentials.
type Libvirtd struct {
	// Socket is the read-write Unix socket (auth none).
	Socket string
	// SASLAddr is host:port of the TCP listener that demands SASL.
	SASLAddr string
}

// TestURI is the test driver's URI through the Unix socket.
func (l *Libvirtd) TestURI() string { return "test+unix:///default?socket=" + l.Socket }

// StartLibvirtd starts libvirtd -t (it exits when idle) for the test and
// stops it at the test's end. It waits for the daemon's own readiness
// notice (sd_notify READY=1), not for a while.
func StartLibvirtd(t testing.TB) *Libvirtd {
	t.Helper()
	bin := testtool.Need(t, "libvirtd", LibvirtInstall)
	dir, err := os.MkdirTemp("", "msilab-libvirtd-") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	port := freePort(t)
	conf := fmt.Sprintf("unix_sock_dir = %q\nauth_unix_rw = \"none\"\nauth_unix_ro = \"none\"\n"+
		"listen_tls = 0\nlisten_tcp = 1\nlisten_addr = \"127.0.0.1\"\ntcp_port = \"%d\"\nauth_tcp = \"sasl\"\n", dir, port)
	if err := os.WriteFile(filepath.Join(dir, "libvirtd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "drivers"), 0o700); err != nil {
		t.Fatal(err)
	}
	notify := filepath.Join(dir, "notify")
	nconn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer nconn.Close()
	var log strings.Builder
	cmd := exec.Command(bin, "--listen", "-t", "120", "-f", filepath.Join(dir, "libvirtd.conf"), "-p", filepath.Join(dir, "pid"))
	cmd.Env = append(os.Environ(), "LIBVIRT_DRIVER_DIR="+filepath.Join(dir, "drivers"), "NOTIFY_SOCKET="+notify)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := nconn.Read(buf)
			if err != nil {
				ready <- err
				return
			}
			if strings.Contains(string(buf[:n]), "READY=1") {
				ready <- nil
				return
			}
		}
	}()
	nconn.SetReadDeadline(time.Now().Add(time.Minute))
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("libvirtd did not say it is ready: %v\n%s", err, log.String())
		}
	case err := <-exited:
		t.Fatalf("libvirtd exited: %v\n%s", err, log.String())
	}
	return &Libvirtd{Socket: filepath.Join(dir, "libvirt-sock"), SASLAddr: fmt.Sprintf("127.0.0.1:%d", port)}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
