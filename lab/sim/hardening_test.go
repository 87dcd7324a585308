package sim

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/go-ntlmssp"
)

// rawRequest sends raw bytes on a new connection and returns the status
// line of the answer, or "" when the server closed the connection without
// one; closed reports that the connection was closed after it.
func rawRequest(t *testing.T, ts *httptest.Server, raw string) (status string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a guard against a hang, not a timing
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "Transfer-Encoding: chunked") {
		c.(*net.TCPConn).CloseWrite() // the body ends here, cut short or not
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", !isTimeout(err)
	}
	status = resp.Status
	var buf [1]byte
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_, err = br.Read(buf[:]) // nothing more: the server closes
	return status, err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func basicHeader(s *testServer) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(s.user+":"+s.pass)) + "\r\n"
}

// A chunked body cut short or malformed is a bad request (400), never an
// empty 200 as if it had been read.
func TestChunkedBodyErrors(t *testing.T) {
	s := newTestServer(t, Options{})
	head := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n" + basicHeader(s) +
		"Transfer-Encoding: chunked\r\n\r\n"
	for name, body := range map[string]string{
		"invalid chunk size":                   "zz\r\nabc\r\n0\r\n\r\n",
		"chunk longer than sent, then the end": "100\r\n<env:Envelope/>\r\n0\r\n\r\n",
		"no last chunk":                        "5\r\nhello\r\nxx",
	} {
		status, _ := rawRequest(t, s.ts, head+body)
		if !strings.HasPrefix(status, "400") {
			t.Errorf("%s: %q, want 400", name, status)
		}
	}
}

// A body sent slower than BodyTimeout closes the connection, before and
// after authentication.
func TestSlowBodyClosesConnection(t *testing.T) {
	s := newTestServer(t, Options{BodyTimeout: 200 * time.Millisecond})
	for name, auth := range map[string]string{"unauthenticated": "", "authenticated": basicHeader(s)} {
		raw := "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\n" + auth +
			"Content-Length: 1000\r\n\r\n<env:Envelope" // and nothing more
		if status, closed := rawRequest(t, s.ts, raw); !closed {
			t.Errorf("%s: the connection stayed open (%q)", name, status)
		}
	}
}

// A flood of NTLM handshakes that never finish evicts the oldest
// unfinished ones, never a connection that authenticated.
func TestNTLMTableKeepsAuthenticatedClients(t *testing.T) {
	opts := Options{}.withDefaults()
	a := newAuthenticator(opts.User, opts.Password, "LAB-HOST")
	send := func(addr, scheme string, msg []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/wsman", nil)
		r.RemoteAddr = addr
		if msg != nil {
			r.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(msg))
		}
		w := httptest.NewRecorder()
		a.authenticate(w, r)
		return w
	}
	neg, _ := ntlmssp.NewNegotiateMessage("", "")
	w := send("10.0.0.1:1000", "Negotiate", neg)
	chal, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(w.Header().Get("WWW-Authenticate"), "Negotiate "))
	auth, err := ntlmssp.ProcessChallenge(chal, opts.User, opts.Password, true)
	if err != nil {
		t.Fatal(err)
	}
	if w := send("10.0.0.1:1000", "Negotiate", auth); w.Code == http.StatusUnauthorized {
		t.Fatal("the handshake failed")
	}
	for i := 0; i < maxTrackedConns+500; i++ {
		send(fmt.Sprintf("10.0.1.%d:%d", i%250, 2000+i), "Negotiate", neg)
	}
	a.mu.Lock()
	n := len(a.conns)
	a.mu.Unlock()
	if n > maxTrackedConns {
		t.Errorf("%d connections tracked, more than %d", n, maxTrackedConns)
	}
	r := httptest.NewRequest(http.MethodPost, "/wsman", nil)
	r.RemoteAddr = "10.0.0.1:1000"
	if user := a.authenticate(httptest.NewRecorder(), r); user == "" {
		t.Error("the authenticated connection was logged out by the flood")
	}
}
