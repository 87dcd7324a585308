package sim

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"

	"github.com/msilab/msilab/lab/sim/ntlm"
)

// authenticator checks Basic and NTLM credentials as Windows' WinRM
// service does. NTLM is connection-oriented: the challenge and, once
// authenticated, the identity belong to the TCP connection (as HTTP.sys
// keeps them), keyed here by the connection's remote address.
type authenticator struct {
	user, password, hostname string

	mu    sync.Mutex
	conns map[string]*connAuth
	seq   uint64
}

// evictLocked drops one entry to make room: the oldest handshake not
// finished, else the oldest authenticated connection.
func (a *authenticator) evictLocked() {
	var victim string
	var best *connAuth
	for addr, c := range a.conns {
		switch {
		case best == nil,
			c.user == "" && best.user != "",
			(c.user == "") == (best.user == "") && c.seq < best.seq:
			victim, best = addr, c
		}
	}
	delete(a.conns, victim)
}

type connAuth struct {
	challenge *ntlm.Challenge
	user      string // set once NTLM succeeded on this connection
	seq       uint64 // when the handshake began, for eviction
}

// maxTrackedConns bounds the NTLM connection table when the handler is
// served by an http.Server that does not report closed connections, or
// when clients open handshakes they never finish: past it, the oldest
// unfinished handshake is dropped (an authenticated connection only when
// none is left), so that a flood of new handshakes never logs out the
// clients that authenticated.
const maxTrackedConns = 4096

func newAuthenticator(user, password, hostname string) *authenticator {
	return &authenticator{user: user, password: password, hostname: hostname, conns: map[string]*connAuth{}}
}

// forget drops a closed connection's NTLM state.
func (a *authenticator) forget(remoteAddr string) {
	a.mu.Lock()
	delete(a.conns, remoteAddr)
	a.mu.Unlock()
}

// matchUser accepts the account as "user", ".\user", "HOST\user" or "user@HOST".
func (a *authenticator) matchUser(name, domain string) bool {
	if i := strings.IndexByte(name, '\\'); i >= 0 {
		domain, name = name[:i], name[i+1:]
	} else if i := strings.IndexByte(name, '@'); i >= 0 {
		name, domain = name[:i], name[i+1:]
	}
	if !strings.EqualFold(name, a.user) {
		return false
	}
	switch {
	case domain == "", domain == ".", strings.EqualFold(domain, a.hostname),
		strings.EqualFold(domain, "localhost"), strings.EqualFold(domain, "WORKGROUP"):
		return true
	}
	return false
}

// authenticate returns the user a request acts as; on failure it has
// written the 401 and returns "".
func (a *authenticator) authenticate(w http.ResponseWriter, r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(token)
		if err == nil {
			user, pass, ok := strings.Cut(string(raw), ":")
			if ok && a.matchUser(user, "") && pass == a.password {
				return user
			}
		}
	case "negotiate", "ntlm":
		return a.ntlm(w, r, scheme, token)
	case "":
		a.mu.Lock()
		c := a.conns[r.RemoteAddr]
		a.mu.Unlock()
		if c != nil && c.user != "" {
			return c.user
		}
	}
	unauthorized(w)
	return ""
}

func (a *authenticator) ntlm(w http.ResponseWriter, r *http.Request, scheme, token string) string {
	msg, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		unauthorized(w)
		return ""
	}
	typ, err := ntlm.MessageType(msg)
	if err != nil {
		unauthorized(w)
		return ""
	}
	switch typ {
	case 1:
		ch, challenge, err := ntlm.NewChallenge(msg, ntlm.ChallengeOptions{
			NetbiosComputer: strings.ToUpper(a.hostname),
			NetbiosDomain:   strings.ToUpper(a.hostname),
			DNSComputer:     strings.ToLower(a.hostname),
		})
		if err != nil {
			unauthorized(w)
			return ""
		}
		a.mu.Lock()
		if _, known := a.conns[r.RemoteAddr]; !known {
			for len(a.conns) >= maxTrackedConns {
				a.evictLocked()
			}
		}
		a.seq++
		a.conns[r.RemoteAddr] = &connAuth{challenge: ch, seq: a.seq}
		a.mu.Unlock()
		w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(challenge))
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return ""
	case 3:
		a.mu.Lock()
		c := a.conns[r.RemoteAddr]
		a.mu.Unlock()
		if c == nil || c.challenge == nil {
			unauthorized(w)
			return ""
		}
		id, err := c.challenge.Authenticate(msg, func(user, domain string) (string, bool) {
			if a.matchUser(user, domain) {
				return a.password, true
			}
			return "", false
		})
		if err != nil {
			a.forget(r.RemoteAddr)
			unauthorized(w)
			return ""
		}
		a.mu.Lock()
		c.challenge, c.user = nil, id.User
		a.mu.Unlock()
		return id.User
	}
	unauthorized(w)
	return ""
}

// unauthorized answers as Windows does: an empty 401 offering Negotiate and Basic.
func unauthorized(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", "Negotiate")
	w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}
