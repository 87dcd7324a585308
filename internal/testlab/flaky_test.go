package testlab

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echoServer answers each line with the line upper-cased, and counts the
// lines it got.
func echoServer(t *testing.T) (addr string, got func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lines := make(chan struct{}, 1000)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					lines <- struct{}{}
					if _, err := io.WriteString(c, strings.ToUpper(l)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() int { return len(lines) }
}

// exchange sends one line on a new connection and reads the answer.
func exchange(addr, line string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func flaky(t *testing.T, target string, opts FlakyOptions) *FlakyProxy {
	t.Helper()
	p, err := NewFlakyProxy(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// At rate 0 everything passes, unchanged.
func TestFlakyProxyClean(t *testing.T) {
	addr, _ := echoServer(t)
	p := flaky(t, addr, FlakyOptions{Seed: 1})
	for i := 0; i < 20; i++ {
		got, err := exchange(p.Addr(), "hello")
		if err != nil || got != "HELLO\n" {
			t.Fatalf("exchange %d: %q, %v", i, got, err)
		}
	}
	if len(p.Counts()) != 0 || p.Chunks() != 40 {
		t.Errorf("counts %v, %d chunks: want no fault over 40 chunks", p.Counts(), p.Chunks())
	}
}

// A dropped request never reaches the server; a dropped response is lost
// after the server acted on the request; a reset response resets.
func TestFlakyProxyFaults(t *testing.T) {
	addr, got := echoServer(t)
	p := flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{DropRequest}})
	if out, err := exchange(p.Addr(), "a"); err == nil {
		t.Errorf("dropped request answered %q", out)
	}
	if got() != 0 {
		t.Errorf("the server got %d lines of a dropped request", got())
	}

	p = flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{DropResponse}})
	if out, err := exchange(p.Addr(), "b"); !errors.Is(err, io.EOF) {
		t.Errorf("dropped response: %q, %v; want EOF", out, err)
	}
	if got() != 1 {
		t.Errorf("the server got %d lines, want the one whose answer was dropped", got())
	}

	p = flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{ResetResponse}})
	if out, err := exchange(p.Addr(), "c"); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset response: %q, %v; want a reset", out, err)
	}

	p = flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{CutResponse}})
	if out, err := exchange(p.Addr(), "dddd"); err == nil || out != "DD" {
		t.Errorf("cut response: %q, %v; want DD then an error", out, err)
	}

	p = flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{DelayRequest, DelayResponse}})
	if out, err := exchange(p.Addr(), "e"); err != nil || out != "E\n" {
		t.Errorf("delayed: %q, %v", out, err)
	}
	if c := p.Counts(); c[DelayRequest] != 1 || c[DelayResponse] != 1 {
		t.Errorf("delays %v, want one each way", c)
	}
}

// The same seed injects the same faults into the same exchanges; another
// seed, others.
func TestFlakyProxySeeded(t *testing.T) {
	addr, _ := echoServer(t)
	outcomes := func(seed int64) string {
		p := flaky(t, addr, FlakyOptions{Seed: seed, Rate: 0.3, Faults: []FlakyFault{DropRequest, DropResponse}})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			if _, err := exchange(p.Addr(), "x"); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := outcomes(7), outcomes(7), outcomes(8)
	if a != b {
		t.Errorf("seed 7 twice: %s vs %s", a, b)
	}
	if a == c || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("seed 7 %s, seed 8 %s: want some faults, differing by seed", a, c)
	}
}

// The hang mode: the server answered, the client gets nothing (hang) or
// the first half (stall), and the connection stays open, neither closed
// nor reset, until the proxy closes. The read deadline is the test's
// bound on the wait, as a client's timeout is.
func TestFlakyProxyHang(t *testing.T) {
	for _, tc := range []struct {
		fault FlakyFault
		want  string
	}{{HangResponse, ""}, {StallResponse, "DD"}} {
		addr, got := echoServer(t)
		p := flaky(t, addr, FlakyOptions{Seed: 1, Rate: 1, Faults: []FlakyFault{tc.fault}})
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "dddd\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		out, err := io.ReadAll(c)
		if !errors.Is(err, os.ErrDeadlineExceeded) || string(out) != tc.want {
			t.Errorf("%s: read %q, %v; want %q, then nothing until the deadline", tc.fault, out, err, tc.want)
		}
		if got() != 1 || p.Counts()[tc.fault] != 1 {
			t.Errorf("%s: the server got %d lines, %v injected: want the one line answered, then held", tc.fault, got(), p.Counts())
		}
		p.Close() // releases the held chunk: the connection ends
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("%s: after Close, read: %v; want the connection closed", tc.fault, err)
		}
	}
	// Not drawn unless named.
	for _, f := range append(append([]FlakyFault(nil), RequestFaults...), ResponseFaults...) {
		if f == HangResponse || f == StallResponse {
			t.Errorf("%s is among the default faults", f)
		}
	}
}
