package sim

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// FuzzRequest feeds arbitrary bodies through the whole handler: it must
// never panic or hang, and every answer is a known status with a
// well-formed SOAP body.
func FuzzRequest(f *testing.F) {
	p := winrm.DefaultParameters
	const shellID = "11111111-2222-4333-8444-555555555555"
	for _, msg := range []interface{ String() string }{
		winrm.NewOpenShellRequest("http://h:5985/wsman", p),
		winrm.NewExecuteCommandRequest("http://h:5985/wsman", shellID, "hostname", []string{"/all"}, p),
		winrm.NewSendInputRequest("http://h:5985/wsman", shellID, "CMD", []byte("data\n"), true, p),
		winrm.NewGetOutputRequest("http://h:5985/wsman", shellID, "CMD", "stdout stderr", p),
		winrm.NewSignalRequest("http://h:5985/wsman", shellID, "CMD", p),
		winrm.NewDeleteShellRequest("http://h:5985/wsman", shellID, p),
	} {
		f.Add(msg.String())
	}
	f.Add(envelope(actionCreate, "uuid:1", "", "PT1S", `<shell:Shell/>`))
	f.Add(envelope(actionCommand, "uuid:2", shellID, "", `<shell:CommandLine CommandId="X"><shell:Command>echo &amp; &lt;</shell:Command></shell:CommandLine>`))
	f.Add(`<s:Envelope xmlns:s="` + nsSOAP + `"><s:Header/><s:Body/></s:Envelope>`)
	f.Add("")
	f.Add("<")

	opts := Options{MaxTimeout: 50 * time.Millisecond, MaxEnvelopeSizeKB: 64}.withDefaults()
	host, err := NewHost(opts)
	if err != nil {
		f.Fatal(err)
	}
	h := NewHandler(host, opts)
	f.Cleanup(h.closeShells)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.SetBasicAuth(opts.User, opts.Password)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("request hung:\n%s", buf[:runtime.Stack(buf, true)])
		}
		switch rec.Code {
		case 200, 400, 413, 500:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Body.Len() == 0 {
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/soap+xml;charset=UTF-8" {
			t.Fatalf("content type %q", ct)
		}
		var anyXML struct{}
		if err := xml.Unmarshal(rec.Body.Bytes(), &anyXML); err != nil {
			t.Fatalf("answer is not XML: %v", err)
		}
	})
}
