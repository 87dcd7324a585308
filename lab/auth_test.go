package lab_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msilab/msilab/lab"
	"github.com/msilab/msilab/lab/sim"
)

// basicOnly is an endpoint (or a man in the middle) that offers only
// Basic authentication and records every Authorization header it gets.
type basicOnly struct {
	mu   sync.Mutex
	auth []string
}

func (b *basicOnly) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.auth = append(b.auth, r.Header.Values("Authorization")...)
	b.mu.Unlock()
	w.Header().Set("WWW-Authenticate", `Basic realm="WSMAN"`)
	w.WriteHeader(http.StatusUnauthorized)
}

func (b *basicOnly) headers() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.auth...)
}

func endpointAt(t *testing.T, rawURL string, auth lab.AuthMethod) lab.Endpoint {
	t.Helper()
	u, _ := url.Parse(rawURL)
	port, _ := strconv.Atoi(u.Port())
	return lab.Endpoint{Host: u.Hostname(), Port: port, Auth: auth, User: "msilab", Password: "S3cret-Passw0rd!", AllowBasicOverHTTP: true}
}

// With auth ntlm, an endpoint that offers only Basic never receives the
// password: go-ntlmssp would fall back to the Basic header it was given.
func TestNTLMNeverSendsBasic(t *testing.T) {
	rec := &basicOnly{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	secret := base64.StdEncoding.EncodeToString([]byte("msilab:S3cret-Passw0rd!"))

	_, err := lab.Dial(context.Background(), endpointAt(t, srv.URL, lab.AuthNTLM))
	if err == nil || !errors.Is(err, lab.ErrNTLMNotOffered) {
		t.Errorf("ntlm against a Basic-only endpoint: %v, want ErrNTLMNotOffered", err)
	}
	got := rec.headers()
	if len(got) > 0 {
		t.Errorf("the endpoint received Authorization headers %q", got)
	}
	for _, h := range got {
		if strings.HasPrefix(h, "Basic") || strings.Contains(h, secret) {
			t.Errorf("the password left in clear: %q", h)
		}
	}

	// The recorder sees what is sent: basic auth (allowed over HTTP here)
	// does send the password, so the check above can fail.
	lab.Dial(context.Background(), endpointAt(t, srv.URL, lab.AuthBasic))
	if h := rec.headers(); len(h) == 0 || h[len(h)-1] != "Basic "+secret {
		t.Errorf("basic auth: the endpoint received %q", h)
	}
}

// Basic authentication over plain HTTP is refused unless allowed.
func TestBasicOverHTTPNeedsConsent(t *testing.T) {
	rec := &basicOnly{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ep := endpointAt(t, srv.URL, lab.AuthBasic)
	ep.AllowBasicOverHTTP = false
	if _, err := lab.Dial(context.Background(), ep); !errors.Is(err, lab.ErrBasicOverHTTP) {
		t.Errorf("basic over HTTP: %v, want ErrBasicOverHTTP", err)
	}
	if h := rec.headers(); len(h) > 0 {
		t.Errorf("a refused endpoint received %q", h)
	}
}

// Close closes the session's idle keep-alive connections: a session
// leaves no connection open behind it.
func TestSessionCloseClosesConnections(t *testing.T) {
	srv, err := sim.NewServer(sim.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	open := 0
	closed := make(chan struct{}, 16)
	front := httptest.NewUnstartedServer(srv.Handler())
	front.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open++
		case http.StateClosed, http.StateHijacked:
			open--
			closed <- struct{}{}
		}
	}
	front.Start()
	defer front.Close()
	for _, auth := range []lab.AuthMethod{lab.AuthBasic, lab.AuthNTLM} {
		ep := endpointAt(t, front.URL, auth)
		ep.User, ep.Password = srv.User(), srv.Password()
		s, err := lab.Dial(context.Background(), ep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Run(context.Background(), lab.Command{Line: "hostname"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for {
			mu.Lock()
			n := open
			mu.Unlock()
			if n == 0 {
				break
			}
			select {
			case <-closed:
			case <-time.After(30 * time.Second): // a guard against a hang, not a timing
				t.Fatalf("%s: %d connections still open after Close", auth, n)
			}
		}
	}
}
