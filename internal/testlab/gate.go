// Package testlab has test helpers shared by msilab's packages.
package testlab

import (
	"bytes"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Gate is a reverse proxy in front of a host that can hold every request
// (a host that stopped answering) or drop the next one (a dropped connection).
type Gate struct {
	mu      sync.Mutex
	open    chan struct{}
	drop    int
	trigger func([]byte) bool // on the first request whose stdin matches...
	dropIt  bool              // ...drop it, or else hold it
	held    chan struct{}     // closed when a triggered request is held
	p       *httputil.ReverseProxy
	target  *url.URL
	// lose: the request whose stdin matches goes through, then the answer
	// that ends its command is lost (losing: that answer is awaited).
	lose   func([]byte) bool
	losing bool
	lost   int
	// watch: the stdins of the requests that match are kept (Watch).
	watch   func([]byte) bool
	watched [][]byte
}

// NewGate proxies to target (a URL; its path is ignored).
func NewGate(target string) *Gate {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	u.Path = ""
	g := &Gate{open: make(chan struct{}), p: httputil.NewSingleHostReverseProxy(u), target: u}
	g.p.ErrorLog = log.New(io.Discard, "", 0) // requests of clients that went away
	close(g.open)
	return g
}

// Hold makes requests wait until Release.
func (g *Gate) Hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		g.open = make(chan struct{})
	default:
	}
}

// Release lets held and new requests through.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

// DropNext closes the connection of the next n requests without an answer.
func (g *Gate) DropNext(n int) {
	g.mu.Lock()
	g.drop = n
	g.mu.Unlock()
}

// HoldWhen holds the first request whose WinRM stdin matches, and every
// request after it, until Release; Held is closed when that happens.
func (g *Gate) HoldWhen(match func(stdin []byte) bool) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trigger, g.dropIt, g.held = match, false, make(chan struct{})
	return g.held
}

// DropWhen drops the first request whose WinRM stdin matches.
func (g *Gate) DropWhen(match func(stdin []byte) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trigger, g.dropIt = match, true
}

// LoseAnswerWhen lets the first request whose WinRM stdin matches reach
// the host, then loses the answer that reports its command's end: the
// host runs the command and the connection drops before the client hears
// of it (its stdout and exit code). Lost says how many were lost.
func (g *Gate) LoseAnswerWhen(match func(stdin []byte) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.lose, g.losing = match, false
}

// Lost is how many answers LoseAnswerWhen lost.
func (g *Gate) Lost() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lost
}

// Watch keeps the WinRM stdin of every request from now on that matches
// (a Send of one batch, and of its resends); the returned func lists them.
func (g *Gate) Watch(match func(stdin []byte) bool) func() [][]byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.watch, g.watched = match, nil
	return func() [][]byte {
		g.mu.Lock()
		defer g.mu.Unlock()
		return append([][]byte(nil), g.watched...)
	}
}

// StdinHas matches stdin containing s (an op name, say).
func StdinHas(s string) func([]byte) bool {
	return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
}

var streamText = regexp.MustCompile(`<[^>]*Stream[^>]*Name="stdin"[^>]*>([^<]*)<`)

// stdinOf decodes the stdin a WinRM Send request carries (nil if none).
func stdinOf(body []byte) []byte {
	m := streamText.FindSubmatch(body)
	if m == nil {
		return nil
	}
	b, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
	return b
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.mu.Lock()
	if in := stdinOf(body); g.watch != nil && in != nil && g.watch(in) {
		g.watched = append(g.watched, in)
	}
	if g.trigger != nil && g.trigger(stdinOf(body)) {
		g.trigger = nil
		if g.dropIt {
			g.drop++
		} else {
			g.open = make(chan struct{})
			close(g.held)
		}
	}
	if g.lose != nil && g.lose(stdinOf(body)) {
		g.lose, g.losing = nil, true
	}
	// A Receive may be sent before the Send it answers: whether its answer
	// is lost is decided when the answer arrives.
	losing := (g.losing || g.lose != nil) && bytes.Contains(body, []byte(receiveAction))
	ch := g.open
	drop := g.drop > 0
	if drop {
		g.drop--
	}
	g.mu.Unlock()
	if losing && !drop {
		g.forwardOrLose(w, r)
		return
	}
	if drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	select {
	case <-ch:
	case <-r.Context().Done():
		return
	}
	g.p.ServeHTTP(w, r)
}

// receiveAction marks a WinRM Receive request.
const receiveAction = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive<"

// commandDone marks a Receive answer that ends a command.
var commandDone = []byte("CommandState/Done")

// forwardOrLose sends a Receive to the host and passes its answer on,
// unless it ends the command: then the connection is dropped instead.
func (g *Gate) forwardOrLose(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host, out.RequestURI = g.target.Scheme, g.target.Host, g.target.Host, ""
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	g.mu.Lock()
	lose := g.losing && bytes.Contains(data, commandDone)
	if lose {
		g.losing = false
		g.lost++
	}
	g.mu.Unlock()
	if lose {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}
