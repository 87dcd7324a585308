package ntlm

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"

	"github.com/msilab/msilab/internal/testtool"
)

const (
	testHost = "WIN11-LAB"
	testUser = "msilab"
	testPass = "Msilab-Passw0rd!"
)

var (
	testNow       = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testChallenge = []byte{1, 2, 3, 4, 5, 6, 7, 8}
)

// testOpts gives a fixed server challenge and clock.
func testOpts() ChallengeOptions {
	return ChallengeOptions{
		NetbiosComputer: testHost,
		DNSComputer:     "win11-lab",
		Rand:            bytes.NewReader(testChallenge),
		Now:             func() time.Time { return testNow },
	}
}

// lookup knows one account, matched case-insensitively, in any domain.
func lookup(user, domain string) (string, bool) {
	if strings.EqualFold(user, testUser) {
		return testPass, true
	}
	return "", false
}

// goAuth runs go-ntlmssp's client the way its Negotiator does for login.
func goAuth(t testing.TB, login, password string, domainNeeded bool) (*Challenge, []byte) {
	t.Helper()
	user, domain, _ := ntlmssp.GetDomain(login)
	neg, err := ntlmssp.NewNegotiateMessage(domain, "")
	if err != nil {
		t.Fatal(err)
	}
	c, chal, err := NewChallenge(neg, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := ntlmssp.ProcessChallenge(chal, user, password, domainNeeded)
	if err != nil {
		t.Fatalf("go-ntlmssp rejected the challenge: %v", err)
	}
	return c, auth
}

func TestGoNtlmssp(t *testing.T) {
	for _, tc := range []struct {
		login, password string
		domainNeeded    bool
		wantErr         error
		wantDomain      string
	}{
		{testUser, testPass, true, nil, testHost},
		{testUser, testPass, false, nil, ""},
		{testHost + `\` + testUser, testPass, true, nil, testHost},
		{`.\MSILAB`, testPass, true, nil, testHost},
		{testUser, "wrong", true, ErrBadCredentials, ""},
		{testHost + `\` + testUser, testPass + "x", true, ErrBadCredentials, ""},
		{testUser, "wrong", false, ErrBadCredentials, ""},
		{"nobody", testPass, true, ErrBadCredentials, ""},
	} {
		name := fmt.Sprintf("%s/%s/%v", tc.login, tc.password, tc.domainNeeded)
		t.Run(name, func(t *testing.T) {
			c, auth := goAuth(t, tc.login, tc.password, tc.domainNeeded)
			id, err := c.Authenticate(auth, lookup)
			if !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !strings.EqualFold(id.User, testUser) || id.Domain != tc.wantDomain {
				t.Fatalf("identity = %+v, want user %s domain %q", id, testUser, tc.wantDomain)
			}
		})
	}
}

// negotiate builds a NEGOTIATE message with the given flags and no names.
func negotiate(flags uint32) []byte {
	m := append([]byte("NTLMSSP\x00"), 1, 0, 0, 0)
	m = binary.LittleEndian.AppendUint32(m, flags)
	m = append(m, make([]byte, 16)...) // empty domain and workstation fields
	return append(m, 10, 0, 0x61, 0x4a, 0, 0, 0, 15)
}

func TestChallengeMessage(t *testing.T) {
	// What ntlm_auth sends: OEM, SIGN, SEAL, KEY_EXCH, VERSION, ALWAYS_SIGN, ...
	asked := uint32(flagKeyExch | flagLMKey | flagSign | flagSeal | flagAlwaysSign | flagESS |
		flagTargetInfo | flagVersion | flag128 | flag56 | 0x2 /* OEM */)
	c, msg, err := NewChallenge(negotiate(asked), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if typ, err := MessageType(msg); typ != 2 || err != nil {
		t.Fatalf("MessageType = %d, %v", typ, err)
	}
	flags := binary.LittleEndian.Uint32(msg[20:])
	if flags&(flagKeyExch|flagLMKey) != 0 {
		t.Errorf("flags %#x set KEY_EXCH or LM_KEY", flags)
	}
	want := uint32(flagUnicode | flagRequestTgt | flagNTLM | flagAlwaysSign | flagTargetServer |
		flagESS | flagTargetInfo | flagVersion | flag128 | flag56 | flagSign | flagSeal)
	if flags != want || c.flags != want {
		t.Errorf("flags = %#x, want %#x", flags, want)
	}
	if !bytes.Equal(msg[24:32], testChallenge) {
		t.Errorf("server challenge = %x", msg[24:32])
	}
	if got := msg[48:56]; !bytes.Equal(got, []byte{10, 0, 0xf4, 0x65, 0, 0, 0, 15}) {
		t.Errorf("version = %x", got)
	}
	target, err := field(msg, 12)
	if err != nil || string(target) != string(utf16le(testHost)) {
		t.Errorf("target name = %q, %v", target, err)
	}

	info, err := field(msg, 40)
	if err != nil {
		t.Fatal(err)
	}
	av := map[uint16][]byte{}
	var order []uint16
	for len(info) >= 4 {
		id, n := binary.LittleEndian.Uint16(info), int(binary.LittleEndian.Uint16(info[2:]))
		av[id], order = info[4:4+n], append(order, id)
		info = info[4+n:]
	}
	if len(info) != 0 || fmt.Sprint(order) != "[2 1 4 3 7 0]" {
		t.Fatalf("AV pair ids %v, %d bytes left", order, len(info))
	}
	for id, s := range map[uint16]string{1: testHost, 2: testHost, 3: "win11-lab", 4: testHost} {
		if string(av[id]) != string(utf16le(s)) {
			t.Errorf("AV pair %d = %q, want %q", id, av[id], s)
		}
	}
	ft := uint64(testNow.Unix()+11644473600) * 1e7 // seconds from 1601 to 1970
	if got := binary.LittleEndian.Uint64(av[7]); got != ft {
		t.Errorf("timestamp = %d, want %d", got, ft)
	}

	// go-ntlmssp asks for less; nothing unasked is echoed.
	neg, _ := ntlmssp.NewNegotiateMessage("", "")
	_, msg, err = NewChallenge(neg, ChallengeOptions{NetbiosComputer: "PC", NetbiosDomain: "CORP"})
	if err != nil {
		t.Fatal(err)
	}
	flags = binary.LittleEndian.Uint32(msg[20:])
	if flags&(flagSign|flagSeal|flagKeyExch|flagLMKey|flagTargetServer) != 0 || flags&flagTargetDomain == 0 {
		t.Errorf("flags = %#x", flags)
	}
}

// authMsg hand-builds an AUTHENTICATE message with Unicode strings.
func authMsg(lm, nt []byte, domain, user, ws string) []byte {
	payload := [][]byte{lm, nt, utf16le(domain), utf16le(user), utf16le(ws), nil}
	m := append([]byte("NTLMSSP\x00"), 3, 0, 0, 0)
	off := 64
	for _, p := range payload {
		m = appendField(m, len(p), off)
		off += len(p)
	}
	m = binary.LittleEndian.AppendUint32(m, flagUnicode|flagNTLM|flagESS|flagTargetInfo)
	for _, p := range payload {
		m = append(m, p...)
	}
	return m
}

// davenport is the NTLMv2 response for user "user", domain "DOMAIN", password
// "SecREt01" and server challenge 0123456789abcdef, from
// http://davenport.sourceforge.net/ntlm.html (also in go-ntlmssp's tests).
var davenport = []byte{
	0xcb, 0xab, 0xbc, 0xa7, 0x13, 0xeb, 0x79, 0x5d, 0x04, 0xc9, 0x7a, 0xbc, 0x01, 0xee, 0x49, 0x83,
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0xd3, 0x36, 0xb7, 0x34, 0xc3, 0x01,
	0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x0c, 0x00,
	0x44, 0x00, 0x4f, 0x00, 0x4d, 0x00, 0x41, 0x00, 0x49, 0x00, 0x4e, 0x00, 0x01, 0x00, 0x0c, 0x00,
	0x53, 0x00, 0x45, 0x00, 0x52, 0x00, 0x56, 0x00, 0x45, 0x00, 0x52, 0x00, 0x04, 0x00, 0x14, 0x00,
	0x64, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00, 0x6e, 0x00, 0x2e, 0x00, 0x63, 0x00,
	0x6f, 0x00, 0x6d, 0x00, 0x03, 0x00, 0x22, 0x00, 0x73, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00,
	0x65, 0x00, 0x72, 0x00, 0x2e, 0x00, 0x64, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00, 0x69, 0x00,
	0x6e, 0x00, 0x2e, 0x00, 0x63, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
}

func TestKnownAnswer(t *testing.T) {
	msg := authMsg(make([]byte, 24), davenport, "DOMAIN", "user", "MYPC")
	for _, pw := range []string{"SecREt01", "secret01"} {
		opts := testOpts()
		opts.Rand = bytes.NewReader([]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
		c, _, err := NewChallenge(negotiate(flagUnicode), opts)
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.Authenticate(msg, func(u, d string) (string, bool) { return pw, u == "user" && d == "DOMAIN" })
		if pw == "SecREt01" && (err != nil || *id != Identity{"user", "DOMAIN", "MYPC"}) {
			t.Errorf("right password: %+v, %v", id, err)
		}
		if pw != "SecREt01" && !errors.Is(err, ErrBadCredentials) {
			t.Errorf("wrong password: err = %v", err)
		}
	}
}

func TestReject(t *testing.T) {
	_, good := goAuth(t, testUser, testPass, true)
	neg, _ := ntlmssp.NewNegotiateMessage("", "")
	_, chal, _ := NewChallenge(neg, testOpts())
	ntOff := int(binary.LittleEndian.Uint32(good[24:]))
	// mod returns a copy of good changed by f.
	mod := func(f func(m []byte)) []byte {
		m := bytes.Clone(good)
		f(m)
		return m
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"good", good, nil},
		{"NTLMv1", authMsg(make([]byte, 24), make([]byte, 24), testHost, testUser, ""), ErrBadCredentials},
		{"anonymous", authMsg([]byte{0}, nil, "", "", ""), ErrBadCredentials},
		{"no NT response", authMsg(make([]byte, 24), nil, testHost, testUser, ""), ErrBadCredentials},
		{"short NTLMv2", authMsg(nil, davenport[:43], testHost, testUser, ""), ErrBadMessage},
		{"nil", nil, ErrBadMessage},
		{"signature only", good[:8], ErrBadMessage},
		{"truncated header", good[:63], ErrBadMessage},
		{"truncated payload", good[:len(good)-2], ErrBadMessage},
		{"bad signature", mod(func(m []byte) { m[0] = 'X' }), ErrBadMessage},
		{"NEGOTIATE", neg, ErrBadMessage},
		{"CHALLENGE", chal, ErrBadMessage},
		{"type 4", mod(func(m []byte) { m[8] = 4 }), ErrBadMessage},
		{"NT offset at end", mod(func(m []byte) { binary.LittleEndian.PutUint32(m[24:], uint32(len(m))) }), ErrBadMessage},
		{"NT offset huge", mod(func(m []byte) { binary.LittleEndian.PutUint32(m[24:], 0xffffffff) }), ErrBadMessage},
		{"NT length huge", mod(func(m []byte) { binary.LittleEndian.PutUint16(m[20:], 0xffff) }), ErrBadMessage},
		{"user offset huge", mod(func(m []byte) { binary.LittleEndian.PutUint32(m[40:], 0xfffffff0) }), ErrBadMessage},
		{"odd UTF-16 user", mod(func(m []byte) { m[36]-- }), ErrBadMessage},
		{"blob type", mod(func(m []byte) { m[ntOff+16] = 2 }), ErrBadMessage},
		{"tampered NTProofStr", mod(func(m []byte) { m[ntOff] ^= 1 }), ErrBadCredentials},
		{"tampered client challenge", mod(func(m []byte) { m[ntOff+16+16] ^= 1 }), ErrBadCredentials},
		{"tampered domain", mod(func(m []byte) { m[binary.LittleEndian.Uint32(m[32:])] = 'X' }), ErrBadCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := NewChallenge(neg, testOpts())
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.Authenticate(tc.msg, lookup)
			if !errors.Is(err, tc.want) || (err != nil) != (tc.want != nil) || (err == nil) != (id != nil) {
				t.Fatalf("Authenticate = %+v, %v; want %v", id, err, tc.want)
			}
		})
	}

	t.Run("other server challenge", func(t *testing.T) {
		opts := testOpts()
		opts.Rand = nil // crypto/rand
		c, _, err := NewChallenge(neg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Authenticate(good, lookup); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("replay", func(t *testing.T) {
		c, _, _ := NewChallenge(neg, testOpts())
		if _, err := c.Authenticate(good, lookup); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Authenticate(good, lookup); !errors.Is(err, ErrBadMessage) {
			t.Fatalf("second Authenticate: err = %v", err)
		}
	})
	t.Run("NewChallenge", func(t *testing.T) {
		for _, m := range [][]byte{nil, neg[:15], good, chal, []byte("NTLMSSP\x00\x01\x00\x00\x00")} {
			if _, _, err := NewChallenge(m, testOpts()); !errors.Is(err, ErrBadMessage) {
				t.Errorf("NewChallenge(%x): err = %v", m, err)
			}
		}
	})
	t.Run("MessageType", func(t *testing.T) {
		for m, want := range map[string]int{string(neg): 1, string(chal): 2, string(good): 3, string(good[:12]): 3,
			string(good[:11]): 0, "NTLMSSP\x00\x00\x00\x00\x00": 0, "NTLMSSP\x00\x04\x00\x00\x00": 0, "NTLMSSP\x00\x01\x00\x00\x01": 0} {
			if got, err := MessageType([]byte(m)); got != want || (err == nil) != (want != 0) || (err != nil && !errors.Is(err, ErrBadMessage)) {
				t.Errorf("MessageType(%x) = %d, %v; want %d", m, got, err, want)
			}
		}
	})
}

// authServer is a minimal WinRM-like endpoint: it offers scheme in a 401 and
// keeps one Challenge per connection (keyed by remote address).
func authServer(t *testing.T, scheme string) (url string, ids <-chan Identity) {
	var mu sync.Mutex
	conns := map[string]*Challenge{}
	ch := make(chan Identity, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deny := func(token []byte) {
			v := scheme
			if token != nil {
				v += " " + base64.StdEncoding.EncodeToString(token)
			}
			w.Header().Set("WWW-Authenticate", v)
			w.WriteHeader(http.StatusUnauthorized)
		}
		b64, ok := strings.CutPrefix(r.Header.Get("Authorization"), scheme+" ")
		msg, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil {
			deny(nil)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch typ, _ := MessageType(msg); typ {
		case 1:
			c, chal, err := NewChallenge(msg, ChallengeOptions{NetbiosComputer: testHost})
			if err != nil {
				t.Errorf("NewChallenge: %v", err)
				deny(nil)
				return
			}
			conns[r.RemoteAddr] = c
			deny(chal)
		case 3:
			c := conns[r.RemoteAddr]
			delete(conns, r.RemoteAddr)
			if c == nil {
				t.Errorf("AUTHENTICATE on a connection without a challenge")
				deny(nil)
				return
			}
			id, err := c.Authenticate(msg, lookup)
			if err != nil {
				t.Logf("Authenticate: %v", err)
				deny(nil)
				return
			}
			ch <- *id
			fmt.Fprint(w, "ok")
		default:
			deny(nil)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// TestNegotiatorHTTP runs go-ntlmssp's Negotiator (what masterzen/winrm's
// ClientNTLM uses) against authServer with either header scheme.
func TestNegotiatorHTTP(t *testing.T) {
	for _, scheme := range []string{"Negotiate", "NTLM"} {
		for _, pw := range []string{testPass, "wrong"} {
			t.Run(scheme+"/"+pw, func(t *testing.T) {
				url, ids := authServer(t, scheme)
				tr := &http.Transport{}
				defer tr.CloseIdleConnections()
				req, _ := http.NewRequest("GET", url, nil)
				req.SetBasicAuth(testHost+`\`+testUser, pw)
				res, err := (&http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				want := http.StatusOK
				if pw != testPass {
					want = http.StatusUnauthorized
				}
				if res.StatusCode != want {
					t.Fatalf("status %d, want %d", res.StatusCode, want)
				}
				if want == http.StatusOK {
					if id := <-ids; id.User != testUser || id.Domain != testHost {
						t.Fatalf("identity %+v", id)
					}
				}
			})
		}
	}
}

// python returns a maker of /usr/bin/python3 testdata/ntlm_client.py
// commands. Debian's OpenSSL 3 leaves MD4 (which ntlm_auth needs) to the
// legacy provider, so the commands' environment turns that on when needed.
func python(t *testing.T) func(args ...string) *exec.Cmd {
	t.Helper()
	cmdIn := func(env []string, args ...string) *exec.Cmd {
		c := exec.Command("/usr/bin/python3", append([]string{filepath.Join("testdata", "ntlm_client.py")}, args...)...)
		c.Env = env
		return c
	}
	probe := func(env []string) ([]byte, error) { return cmdIn(env, "probe").CombinedOutput() }
	env := testtool.NeedPython(t, os.Environ(), probe, "/usr/bin/python3 with ntlm_auth and MD4", "apt-get install python3-requests-ntlm")
	return func(args ...string) *exec.Cmd { return cmdIn(env, args...) }
}

// TestPythonNtlmAuth drives ntlm_auth the way requests_ntlm 1.1 does:
// Python makes the NEGOTIATE, Go the CHALLENGE, Python the AUTHENTICATE.
func TestPythonNtlmAuth(t *testing.T) {
	py := python(t)
	for _, tc := range []struct {
		domain, password string
		want             error
	}{
		{testHost, testPass, nil},
		{"", testPass, nil},
		{".", testPass, nil},
		{testHost, "wrong", ErrBadCredentials},
	} {
		t.Run(tc.domain+"/"+tc.password, func(t *testing.T) {
			cmd := py("tokens", "MsiLab", tc.password, tc.domain)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			in, _ := cmd.StdinPipe()
			outPipe, _ := cmd.StdoutPipe()
			out := bufio.NewScanner(outPipe)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer in.Close()
			read := func() []byte {
				if !out.Scan() {
					t.Fatalf("python: no output\n%s", stderr.String())
				}
				b, err := base64.StdEncoding.DecodeString(out.Text())
				if err != nil {
					t.Fatal(err)
				}
				return b
			}

			c, chal, err := NewChallenge(read(), ChallengeOptions{NetbiosComputer: testHost})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(in, base64.StdEncoding.EncodeToString(chal))
			id, err := c.Authenticate(read(), lookup)
			if !errors.Is(err, tc.want) || (err != nil) != (tc.want != nil) {
				t.Fatalf("Authenticate: %v, want %v", err, tc.want)
			}
			if err == nil && (*id != Identity{"MsiLab", tc.domain, ""}) {
				t.Fatalf("identity %+v", id)
			}
		})
	}
}

// TestRequestsNtlmHTTP runs requests_ntlm's HttpNtlmAuth (what pywinrm uses)
// against authServer.
func TestRequestsNtlmHTTP(t *testing.T) {
	py := python(t)
	for _, pw := range []string{testPass, "wrong"} {
		t.Run(pw, func(t *testing.T) {
			url, ids := authServer(t, "Negotiate")
			out, err := py("http", url, strings.ToLower(testHost)+`\`+testUser, pw).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			want := "200"
			if pw != testPass {
				want = "401"
			}
			if got := strings.TrimSpace(string(out)); got != want {
				t.Fatalf("status %s, want %s", got, want)
			}
			// requests_ntlm upper-cases the domain.
			if want == "200" {
				if id := <-ids; id.User != testUser || id.Domain != testHost {
					t.Fatalf("identity %+v", id)
				}
			}
		})
	}
}

func FuzzNewChallenge(f *testing.F) {
	neg, _ := ntlmssp.NewNegotiateMessage("CORP", "PC")
	f.Add(neg)
	f.Add(negotiate(0xe20882b7)) // ntlm_auth's flags
	f.Add(negotiate(0xffffffff))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, chal, err := NewChallenge(msg, testOpts())
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error does not wrap ErrBadMessage: %v", err)
			}
			return
		}
		if typ, err := MessageType(chal); typ != 2 || err != nil {
			t.Fatalf("CHALLENGE type %d, %v", typ, err)
		}
		if binary.LittleEndian.Uint32(chal[20:])&(flagKeyExch|flagLMKey) != 0 {
			t.Fatalf("KEY_EXCH or LM_KEY in %x", chal)
		}
	})
}

func FuzzAuthenticate(f *testing.F) {
	for _, dn := range []bool{true, false} {
		_, auth := goAuth(f, testUser, testPass, dn)
		f.Add(auth)
	}
	_, auth := goAuth(f, testUser, "wrong", true)
	f.Add(auth)
	f.Add(authMsg(make([]byte, 24), davenport, "DOMAIN", "user", "MYPC"))
	f.Add(authMsg(make([]byte, 24), make([]byte, 24), testHost, testUser, ""))
	neg, _ := ntlmssp.NewNegotiateMessage("", "")
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, _, err := NewChallenge(neg, testOpts())
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.Authenticate(msg, lookup)
		switch {
		case err == nil && (id == nil || !strings.EqualFold(id.User, testUser)):
			t.Fatalf("accepted as %+v", id)
		case err != nil && !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrBadCredentials):
			t.Fatalf("error wraps neither sentinel: %v", err)
		}
	})
}
