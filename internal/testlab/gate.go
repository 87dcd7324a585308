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
}

// NewGate proxies to target (a URL; its path is ignored).
func NewGate(target string) *Gate {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	u.Path = ""
	g := &Gate{open: make(chan struct{}), p: httputil.NewSingleHostReverseProxy(u)}
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
	if g.trigger != nil && g.trigger(stdinOf(body)) {
		g.trigger = nil
		if g.dropIt {
			g.drop++
		} else {
			g.open = make(chan struct{})
			close(g.held)
		}
	}
	ch := g.open
	drop := g.drop > 0
	if drop {
		g.drop--
	}
	g.mu.Unlock()
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
