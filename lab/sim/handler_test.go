package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer serves a simulated host through httptest.
type testServer struct {
	t    *testing.T
	h    *Handler
	ts   *httptest.Server
	user string
	pass string
}

func newTestServer(t *testing.T, opts Options, configure ...func(*Handler)) *testServer {
	t.Helper()
	opts = opts.withDefaults()
	host, err := NewHost(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(host, opts)
	for _, c := range configure {
		c(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); h.closeShells() })
	return &testServer{t: t, h: h, ts: ts, user: opts.User, pass: opts.Password}
}

// post sends a raw body with Basic auth and returns status, headers and body.
func (s *testServer) post(body string) (int, http.Header, string) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.ts.URL+"/wsman", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(s.user, s.pass)
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// envelope builds a request with unusual prefixes, as some clients use.
func envelope(action, messageID, shellID, timeout, body string) string {
	sel := ""
	if shellID != "" {
		sel = `<wsman:SelectorSet><wsman:Selector Name="ShellId">` + shellID + `</wsman:Selector></wsman:SelectorSet>`
	}
	if timeout == "" {
		timeout = "PT20S"
	}
	return `<?xml version="1.0" encoding="utf-8"?>
<env:Envelope xmlns:env="` + nsSOAP + `" xmlns:addr="` + nsAddr + `" xmlns:wsman="` + nsWSMan + `" xmlns:shell="` + nsShell + `">
<env:Header><addr:To>http://windows-host:5985/wsman</addr:To>
<wsman:ResourceURI mustUnderstand="true">` + resourceCmd + `</wsman:ResourceURI>
<addr:Action env:mustUnderstand="true">` + action + `</addr:Action>
<addr:MessageID>` + messageID + `</addr:MessageID>
<wsman:MaxEnvelopeSize>153600</wsman:MaxEnvelopeSize><wsman:OperationTimeout>` + timeout + `</wsman:OperationTimeout>
<wsman:OptionSet><wsman:Option Name="WINRS_CODEPAGE">437</wsman:Option></wsman:OptionSet>` + sel + `</env:Header>
<env:Body>` + body + `</env:Body></env:Envelope>`
}

type parsed struct {
	Action    string `xml:"Header>Action"`
	RelatesTo string `xml:"Header>RelatesTo"`
	ShellID   string `xml:"Body>Shell>ShellId"`
	CommandID string `xml:"Body>CommandResponse>CommandId"`
	Streams   []struct {
		Name string `xml:"Name,attr"`
		End  string `xml:"End,attr"`
		Data string `xml:",chardata"`
	} `xml:"Body>ReceiveResponse>Stream"`
	CommandState struct {
		State    string `xml:"State,attr"`
		ExitCode *int   `xml:"ExitCode"`
	} `xml:"Body>ReceiveResponse>CommandState"`
	Subcode string `xml:"Body>Fault>Code>Subcode>Value"`
	Fault   struct {
		Code uint32 `xml:"Code,attr"`
	} `xml:"Body>Fault>Detail>WSManFault"`
}

func parse(t *testing.T, body string) parsed {
	t.Helper()
	var p parsed
	if err := xml.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return p
}

func (s *testServer) createShell() string {
	s.t.Helper()
	code, hdr, body := s.post(envelope(actionCreate, "uuid:create-1", "", "", `<shell:Shell><shell:InputStreams>stdin</shell:InputStreams><shell:OutputStreams>stdout stderr</shell:OutputStreams></shell:Shell>`))
	if code != 200 {
		s.t.Fatalf("create: HTTP %d %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/soap+xml;charset=UTF-8" {
		s.t.Fatalf("content type %q", ct)
	}
	p := parse(s.t, body)
	if p.ShellID == "" || p.RelatesTo != "uuid:create-1" {
		s.t.Fatalf("create reply: %+v", p)
	}
	return p.ShellID
}

func (s *testServer) command(shellID, line, commandID string) string {
	s.t.Helper()
	attr := ""
	if commandID != "" {
		attr = ` CommandId="` + commandID + `"`
	}
	code, _, body := s.post(envelope(actionCommand, "uuid:cmd", shellID, "", `<shell:CommandLine`+attr+`><shell:Command><![CDATA[`+line+`]]></shell:Command></shell:CommandLine>`))
	if code != 200 {
		s.t.Fatalf("command: HTTP %d %s", code, body)
	}
	p := parse(s.t, body)
	if p.Action != nsShell+"/CommandResponse" || p.CommandID == "" {
		s.t.Fatalf("command reply: %+v", p)
	}
	return p.CommandID
}

// receiveAll loops Receive until Done and returns stdout, stderr, exit code.
func (s *testServer) receiveAll(shellID, cmdID string) (string, string, int) {
	s.t.Helper()
	var out, errOut bytes.Buffer
	for i := 0; i < 1000; i++ {
		code, _, body := s.post(envelope(actionReceive, fmt.Sprintf("uuid:recv-%d", i), shellID, "",
			`<shell:Receive><shell:DesiredStream CommandId="`+cmdID+`">stdout stderr</shell:DesiredStream></shell:Receive>`))
		if code != 200 {
			s.t.Fatalf("receive: HTTP %d %s", code, body)
		}
		p := parse(s.t, body)
		if p.RelatesTo != fmt.Sprintf("uuid:recv-%d", i) {
			s.t.Fatalf("RelatesTo %q", p.RelatesTo)
		}
		for _, st := range p.Streams {
			b, err := base64.StdEncoding.DecodeString(st.Data)
			if err != nil {
				s.t.Fatal(err)
			}
			if st.Name == "stdout" {
				out.Write(b)
			} else {
				errOut.Write(b)
			}
		}
		if p.CommandState.State == stateDone {
			if p.CommandState.ExitCode == nil {
				s.t.Fatal("Done without ExitCode")
			}
			return out.String(), errOut.String(), *p.CommandState.ExitCode
		}
	}
	s.t.Fatal("command never finished")
	return "", "", 0
}

func TestShellFlowWithForeignPrefixes(t *testing.T) {
	s := newTestServer(t, Options{Hostname: "WIN11-LAB"})
	sh := s.createShell()
	id := s.command(sh, "hostname", "")
	out, errOut, code := s.receiveAll(sh, id)
	if out != "WIN11-LAB\r\n" || errOut != "" || code != 0 {
		t.Fatalf("hostname: %q %q %d", out, errOut, code)
	}
	// A Ruby-style client chooses the CommandId; a quoted command is unwrapped as by cmd /c.
	id = s.command(sh, `"exit /b 1603"`, "7d3a1b2c-0000-4000-8000-000000000001")
	if id != "7d3a1b2c-0000-4000-8000-000000000001" {
		t.Fatalf("client CommandId not kept: %s", id)
	}
	if _, _, code := s.receiveAll(sh, id); code != 1603 {
		t.Fatalf("exit code %d", code)
	}
	code2, _, body := s.post(envelope(actionSignal, "uuid:sig", sh, "", `<shell:Signal CommandId="`+id+`"><shell:Code>`+signalTerm+`</shell:Code></shell:Signal>`))
	if p := parse(t, body); code2 != 200 || p.Action != nsShell+"/SignalResponse" || p.RelatesTo != "uuid:sig" {
		t.Fatalf("signal: %d %s", code2, body)
	}
	code2, _, body = s.post(envelope(actionDelete, "uuid:del", sh, "", ""))
	if p := parse(t, body); code2 != 200 || p.Action != nsTransfer+"/DeleteResponse" {
		t.Fatalf("delete: %d %s", code2, body)
	}
	// The shell is gone now.
	code2, _, body = s.post(envelope(actionCommand, "uuid:gone", sh, "", `<shell:CommandLine><shell:Command>hostname</shell:Command></shell:CommandLine>`))
	if p := parse(t, body); code2 != 500 || p.Subcode != "w:InvalidSelectors" || p.Fault.Code != 2150858843 || p.RelatesTo != "uuid:gone" {
		t.Fatalf("unknown shell: %d %+v", code2, p)
	}
}

func TestUnauthorizedLooksLikeWindows(t *testing.T) {
	s := newTestServer(t, Options{})
	s.pass = "wrong"
	code, hdr, body := s.post(envelope(actionCreate, "uuid:x", "", "", `<shell:Shell/>`))
	if code != 401 || body != "" {
		t.Fatalf("got %d %q", code, body)
	}
	got := hdr.Values("WWW-Authenticate")
	if len(got) != 2 || got[0] != "Negotiate" || got[1] != `Basic realm="WSMAN"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
	// No credentials at all: the same.
	resp, err := http.Post(s.ts.URL+"/wsman", "application/soap+xml;charset=UTF-8", strings.NewReader("<x/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
	// A user from another machine's domain is refused.
	s.pass, s.user = DefaultPassword, `OTHERHOST\`+DefaultUser
	if code, _, _ := s.post(envelope(actionCreate, "uuid:x", "", "", `<shell:Shell/>`)); code != 401 {
		t.Fatalf("foreign domain accepted: %d", code)
	}
	s.user = `.\` + DefaultUser
	if code, _, _ := s.post(envelope(actionCreate, "uuid:x", "", "", `<shell:Shell/>`)); code != 200 {
		t.Fatalf(`.\user refused: %d`, code)
	}
}

func TestMalformedRequests(t *testing.T) {
	s := newTestServer(t, Options{MaxEnvelopeSizeKB: 16})
	sh := s.createShell()
	cases := []struct {
		name    string
		body    string
		status  int
		subcode string
	}{
		{"not xml", "this is not xml", 400, "w:SchemaValidationError"},
		{"truncated", envelope(actionCreate, "uuid:a", "", "", "<shell:Shell>")[:200], 400, "w:SchemaValidationError"},
		{"soap 1.1 namespace", strings.ReplaceAll(envelope(actionCreate, "uuid:a", "", "", "<shell:Shell/>"), nsSOAP, "http://schemas.xmlsoap.org/soap/envelope/"), 400, "w:SchemaValidationError"},
		{"no action", strings.Replace(envelope(actionCreate, "uuid:a", "", "", "<shell:Shell/>"), actionCreate, "", 1), 400, "a:InvalidMessageInformationHeader"},
		{"unknown action", envelope(nsShell+"/Reboot", "uuid:a", sh, "", ""), 500, "a:ActionNotSupported"},
		{"no selector", envelope(actionCommand, "uuid:a", "", "", `<shell:CommandLine><shell:Command>hostname</shell:Command></shell:CommandLine>`), 500, "w:InvalidSelectors"},
		{"command without body", envelope(actionCommand, "uuid:a", sh, "", ""), 400, "w:SchemaValidationError"},
		{"unknown command id", envelope(actionReceive, "uuid:a", sh, "", `<shell:Receive><shell:DesiredStream CommandId="NOPE">stdout</shell:DesiredStream></shell:Receive>`), 500, "w:InvalidParameter"},
		{"bad stdin", envelope(actionSend, "uuid:a", sh, "", `<shell:Send><shell:Stream Name="stdin" CommandId="NOPE">@@@</shell:Stream></shell:Send>`), 500, "w:InvalidParameter"},
		{"wrong resource", strings.Replace(envelope(actionCreate, "uuid:a", "", "", "<shell:Shell/>"), resourceCmd, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service", 1), 500, "w:InvalidParameter"},
		{"deep nesting", envelope(actionCreate, "uuid:a", "", "", strings.Repeat("<a>", 1500)+strings.Repeat("</a>", 1500)+"<shell:Shell/>"), 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, hdr, body := s.post(c.body)
			if code != c.status {
				t.Fatalf("HTTP %d, want %d: %s", code, c.status, body)
			}
			if c.subcode == "" {
				return
			}
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/soap+xml") {
				t.Fatalf("fault content type %q", ct)
			}
			if p := parse(t, body); p.Subcode != c.subcode || p.Action != "" && p.Action != actionFault {
				t.Fatalf("subcode %q action %q, want %q", p.Subcode, p.Action, c.subcode)
			}
		})
	}
	// Oversized envelope: HTTP 413, and the server still answers afterwards.
	code, _, _ := s.post(envelope(actionSend, "uuid:big", sh, "", strings.Repeat("A", 17*1024)))
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized: HTTP %d", code)
	}
	if id := s.command(sh, "hostname", ""); id == "" {
		t.Fatal("server unusable after 413")
	}
	// Message encryption is refused clearly, not hung.
	req, _ := http.NewRequest(http.MethodPost, s.ts.URL+"/wsman", strings.NewReader("--Encrypted Boundary\r\n"))
	req.Header.Set("Content-Type", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`)
	req.SetBasicAuth(s.user, s.pass)
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), "message_encryption='never'") {
		t.Fatalf("encrypted: %d %s", resp.StatusCode, b)
	}
}

func TestShellQuota(t *testing.T) {
	s := newTestServer(t, Options{MaxShellsPerUser: 3})
	for i := 0; i < 3; i++ {
		s.createShell()
	}
	code, _, body := s.post(envelope(actionCreate, "uuid:q", "", "", `<shell:Shell/>`))
	if p := parse(t, body); code != 500 || p.Subcode != "w:QuotaLimit" || p.Fault.Code != 2150859173 {
		t.Fatalf("quota: %d %+v", code, p)
	}
}

func TestCommandLineLimits(t *testing.T) {
	s := newTestServer(t, Options{})
	sh := s.createShell()
	// Past CreateProcess's 32767 characters, Windows faults the Command.
	code, _, body := s.post(envelope(actionCommand, "uuid:long", sh, "", `<shell:CommandLine><shell:Command>echo `+strings.Repeat("x", 33000)+`</shell:Command></shell:CommandLine>`))
	if p := parse(t, body); code != 500 || p.Subcode != "w:InternalError" || p.Fault.Code != 2147942606 {
		t.Fatalf("too long for CreateProcess: %d %+v", code, p)
	}
	// Past cmd.exe's 8191 characters, the command runs and cmd refuses it.
	id := s.command(sh, "echo "+strings.Repeat("x", 8200), "")
	out, errOut, exit := s.receiveAll(sh, id)
	if out != "" || errOut != "The command line is too long.\r\n" || exit != 1 {
		t.Fatalf("too long for cmd: %q %q %d", out, errOut, exit)
	}
}

func TestReceiveHeldThenTimedOut(t *testing.T) {
	waiting := make(chan struct{}, 1)
	s := newTestServer(t, Options{}, func(h *Handler) {
		h.waiting = func() {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}
	})
	sh := s.createShell()
	// The upload script waits for stdin, so it has nothing to say.
	id := s.command(sh, uploadCommandLine(), "")
	start := time.Now()
	code, _, body := s.post(envelope(actionReceive, "uuid:held", sh, "PT1S",
		`<shell:Receive><shell:DesiredStream CommandId="`+id+`">stdout stderr</shell:DesiredStream></shell:Receive>`))
	held := time.Since(start)
	p := parse(t, body)
	if code != 500 || p.Subcode != "w:TimedOut" || p.Fault.Code != 2150858793 || p.RelatesTo != "uuid:held" {
		t.Fatalf("timeout fault: %d %+v", code, p)
	}
	if !strings.Contains(body, "OperationTimeout") { // masterzen/winrm retries on this text
		t.Fatalf("timeout text: %s", body)
	}
	// Held until just before the timeout (a slow machine only holds it longer).
	if held < 900*time.Millisecond {
		t.Fatalf("Receive answered after %v, before the 1 s operation timeout's 0.9 s", held)
	}
	select {
	case <-waiting: // the timed-out Receive's
	default:
		t.Fatal("the timed-out Receive never waited")
	}
	// A held Receive answers as soon as the command ends: once it waits,
	// send bad input. Its operation timeout is the default 20 s, so a
	// Receive that did not wake would fail receiveAll with w:TimedOut.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		select {
		case <-waiting:
		case <-time.After(time.Minute): // receiveAll has failed by then
			return
		}
		s.post(envelope(actionSend, "uuid:send", sh, "", `<shell:Send><shell:Stream Name="stdin" CommandId="`+id+`" End="true">`+
			base64.StdEncoding.EncodeToString([]byte("not json\n"))+`</shell:Stream></shell:Send>`))
	}()
	_, errOut, exit := s.receiveAll(sh, id)
	<-sent
	if exit != 1 || !strings.HasPrefix(errOut, "#< CLIXML") {
		t.Fatalf("bad upload header: %q %d", errOut, exit)
	}
}

func TestConcurrentShells(t *testing.T) {
	s := newTestServer(t, Options{Hostname: "PAR"})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sh := s.createShell()
			for i := 0; i < 10; i++ {
				id := s.command(sh, fmt.Sprintf("exit /b %d", g*100+i), "")
				if _, _, code := s.receiveAll(sh, id); code != g*100+i {
					errs <- fmt.Sprintf("shell %d cmd %d: exit %d", g, i, code)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT60S": time.Minute, "PT60.000S": time.Minute, "PT1M30S": 90 * time.Second,
		"P0DT0H0M20S": 20 * time.Second, "PT0.5S": 500 * time.Millisecond,
	} {
		if got, ok := parseISODuration(in); !ok || got != want {
			t.Errorf("%s: %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "60", "PTS", "P1M", "PT-1S", "PTxS"} {
		if _, ok := parseISODuration(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
