package lab_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/msilab/msilab/lab"
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
