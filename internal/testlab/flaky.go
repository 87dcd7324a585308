package testlab

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"
)

// FlakyProxy is a TCP proxy on loopback that injects transport faults,
// seeded, into what passes between a client and a server. Each chunk (one
// read from either side) meets a fault with probability Rate; a request
// chunk (client to server) may be dropped before it is forwarded, cut
// (truncated) or delayed; a response chunk (server to client, so after
// the server acted) may be dropped, reset, cut or delayed. A dropped or
// cut chunk closes the connection; a reset closes it with RST.
type FlakyProxy struct {
	opts   FlakyOptions
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  int
	counts map[FlakyFault]int
	chunks int
	open   map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
	// quit is closed by Close: it releases the held (hung) chunks.
	quit chan struct{}
	// hang: once a request matches hangMatch, the next response chunk
	// that ends a command meets hang (HangAfter); armed says one matched.
	hang      FlakyFault
	hangMatch func([]byte) bool
	armed     bool
}

// FlakyFault is a kind of injected fault.
type FlakyFault string

// The faults FlakyProxy injects.
const (
	DropRequest   FlakyFault = "drop-request"   // a request chunk never reaches the server
	CutRequest    FlakyFault = "cut-request"    // half of a request chunk is sent, then the connection closes
	DelayRequest  FlakyFault = "delay-request"  // a request chunk waits Delay
	DropResponse  FlakyFault = "drop-response"  // the server answered; the client never gets the chunk
	ResetResponse FlakyFault = "reset-response" // the server answered; the client's connection is reset
	CutResponse   FlakyFault = "cut-response"   // half of a response chunk arrives, then the connection closes
	DelayResponse FlakyFault = "delay-response" // a response chunk waits Delay
	// The hang mode: the server answered; the chunk is held, neither
	// forwarded nor closed, until the proxy closes (a Receive that never
	// answers). HangResponse holds all of it; StallResponse forwards its
	// first half (an HTTP answer's headers, say) and holds the rest.
	HangResponse  FlakyFault = "hang-response"
	StallResponse FlakyFault = "stall-response"
)

// RequestFaults and ResponseFaults are the faults of each direction that a
// proxy draws from when its options name none. The hang mode (HangFaults)
// is drawn only when named, or armed with HangAfter.
var (
	RequestFaults  = []FlakyFault{DropRequest, CutRequest, DelayRequest}
	ResponseFaults = []FlakyFault{DropResponse, ResetResponse, CutResponse, DelayResponse}
	HangFaults     = []FlakyFault{HangResponse, StallResponse}
)

// FlakyOptions configure a FlakyProxy.
type FlakyOptions struct {
	// Seed makes the faults repeatable for a given order of connections.
	Seed int64
	// Rate is the probability that a chunk meets a fault (0.01 is 1%).
	Rate float64
	// Faults are the faults to draw from (nil: all of them).
	Faults []FlakyFault
	// Delay is how long a delayed chunk waits (default 20ms).
	Delay time.Duration
}

// NewFlakyProxy listens on a loopback port and forwards to target (host:port).
func NewFlakyProxy(target string, opts FlakyOptions) (*FlakyProxy, error) {
	if opts.Rate < 0 || opts.Rate > 1 {
		return nil, fmt.Errorf("testlab: fault rate %v: want 0 to 1", opts.Rate)
	}
	if opts.Faults == nil {
		opts.Faults = append(append([]FlakyFault(nil), RequestFaults...), ResponseFaults...)
	}
	if opts.Delay <= 0 {
		opts.Delay = 20 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FlakyProxy{opts: opts, ln: ln, target: target, counts: map[FlakyFault]int{}, open: map[net.Conn]bool{}, quit: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *FlakyProxy) Addr() string { return p.ln.Addr().String() }

// Counts is how many faults of each kind were injected.
func (p *FlakyProxy) Counts() map[FlakyFault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[FlakyFault]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Chunks is how many chunks passed through (or met a fault).
func (p *FlakyProxy) Chunks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.chunks
}

// SetRate changes the fault rate for chunks from now on (0: a clean
// network, to read a host's state after a run).
func (p *FlakyProxy) SetRate(rate float64) {
	p.mu.Lock()
	p.opts.Rate = rate
	p.mu.Unlock()
}

// HangAfter arms the hang mode (fault is HangResponse or StallResponse):
// after the first request whose bytes on its connection match (see
// RequestStdinHas), the next response chunk, on any connection, that
// carries a WinRM command's output (a Receive answer with stdout data: an
// op batch writes its response when it has run) is held until the proxy
// closes. Faults drawn at Rate go on as before.
func (p *FlakyProxy) HangAfter(fault FlakyFault, match func(request []byte) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hang, p.hangMatch, p.armed = fault, match, false
}

// stdoutData marks a Receive answer that carries stdout data.
var stdoutData = regexp.MustCompile(`<[^>]*Stream[^>]*Name="stdout"[^>]*>[A-Za-z0-9+/=]`)

// hangFor says whether a chunk meets the armed hang: a request chunk (the
// connection's requests so far, reqs) may arm it, a response chunk with a
// command's output meets it.
func (p *FlakyProxy) hangFor(chunk, reqs []byte, request bool) FlakyFault {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.hangMatch == nil:
		return ""
	case request:
		if !p.armed && p.hangMatch(reqs) {
			p.armed = true
		}
		return ""
	case p.armed && stdoutData.Match(chunk):
		f := p.hang
		p.hangMatch, p.armed = nil, false
		p.counts[f]++
		return f
	}
	return ""
}

// Close stops listening, releases the held chunks, closes every
// connection and waits for them.
func (p *FlakyProxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *FlakyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.conns++
		n := p.conns
		p.open[c] = true
		p.wg.Add(1)
		p.mu.Unlock()
		go p.handle(c, n)
	}
}

// handle pumps one connection both ways; each direction draws its faults
// from its own generator, seeded by the proxy's seed and the connection's
// number.
func (p *FlakyProxy) handle(client net.Conn, n int) {
	defer p.wg.Done()
	defer p.forget(client)
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.open[server] = true
	p.mu.Unlock()
	defer p.forget(server)
	var once sync.Once
	closeBoth := func(reset bool) {
		once.Do(func() {
			if tc, ok := client.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0) // Close sends RST
			}
			client.Close()
			server.Close()
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pump(client, server, rand.New(rand.NewSource(p.opts.Seed*1000003+int64(2*n))), true, closeBoth)
	}()
	p.pump(server, client, rand.New(rand.NewSource(p.opts.Seed*1000003+int64(2*n+1))), false, closeBoth)
	<-done
}

func (p *FlakyProxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
}

// pump copies src to dst chunk by chunk, injecting the faults of its
// direction; it closes both connections when it ends.
func (p *FlakyProxy) pump(src, dst net.Conn, rng *rand.Rand, request bool, closeBoth func(reset bool)) {
	defer closeBoth(false)
	buf := make([]byte, 32<<10)
	var reqs []byte // the connection's requests so far (the last maxReqs bytes), for HangAfter
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if request {
				reqs = append(reqs, chunk...)
				if len(reqs) > maxReqs {
					reqs = append([]byte(nil), reqs[len(reqs)-maxReqs:]...)
				}
			}
			f := p.hangFor(chunk, reqs, request)
			if f == "" {
				f = p.draw(rng, request)
			}
			switch f {
			case DropRequest, DropResponse:
				closeBoth(false)
				return
			case ResetResponse:
				closeBoth(true)
				return
			case CutRequest, CutResponse:
				_, _ = dst.Write(chunk[:n/2])
				closeBoth(false)
				return
			case DelayRequest, DelayResponse:
				time.Sleep(p.opts.Delay) // the injected delay itself
			case StallResponse:
				_, _ = dst.Write(chunk[:n/2])
				<-p.quit
				return
			case HangResponse:
				<-p.quit
				return
			}
			if _, werr := dst.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// draw says which fault, if any, a chunk meets.
func (p *FlakyProxy) draw(rng *rand.Rand, request bool) FlakyFault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.chunks++
	roll, pick := rng.Float64(), rng.Intn(1<<30)
	if roll >= p.opts.Rate {
		return ""
	}
	var pool []FlakyFault
	for _, f := range p.opts.Faults {
		if isRequestFault(f) == request {
			pool = append(pool, f)
		}
	}
	if len(pool) == 0 {
		return ""
	}
	f := pool[pick%len(pool)]
	p.counts[f]++
	return f
}

// maxReqs bounds the request bytes a connection keeps for HangAfter.
const maxReqs = 256 << 10

// RequestStdinHas matches a connection's requests when the stdin of one
// of their WinRM Sends contains s (an op name, say).
func RequestStdinHas(s string) func(request []byte) bool {
	return func(b []byte) bool {
		for _, m := range streamText.FindAllSubmatch(b, -1) {
			in, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
			if bytes.Contains(in, []byte(s)) {
				return true
			}
		}
		return false
	}
}

func isRequestFault(f FlakyFault) bool {
	for _, r := range RequestFaults {
		if f == r {
			return true
		}
	}
	return false
}
