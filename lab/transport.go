package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"

	"github.com/msilab/msilab/internal/textutil"
)

// transport is a winrm.Transporter that turns HTTP outcomes into the
// package's typed errors. Its WSManFault text keeps Windows' reason, which
// masterzen/winrm inspects to retry a timed-out Receive.
// transport sends a session's SOAP requests over two HTTP connections:
// one for Receive, which a host may hold for up to the operation timeout,
// and one for everything else (Send runs beside a held Receive). Each
// client has a single connection, so that NTLM's three-message handshake,
// whose state the server keeps per connection, never straddles two
// (go-ntlmssp's Negotiator sends each message as its own round trip; with
// a pool, the last one could leave on another connection and be refused).
type transport struct {
	ep      Endpoint
	client  *http.Client // Create, Command, Send, Signal, Delete
	receive *http.Client // Receive
	// bases are the clients' HTTP transports, under go-ntlmssp's
	// Negotiator (which does not pass CloseIdleConnections on).
	bases []*http.Transport
	// pipeStdin makes the next Command request ask for stdin as a pipe
	// (WINRS_CONSOLEMODE_STDIN=FALSE); set by the session, which sends one
	// command at a time, before it starts a command that carries stdin.
	pipeStdin atomic.Bool
}

var _ winrm.Transporter = (*transport)(nil)

func newTransport(ep Endpoint) (*transport, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: ep.Insecure, ServerName: ep.TLSServerName, MinVersion: tls.VersionTLS12} //nolint:gosec // explicit opt-in
	if len(ep.CACert) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CACert) {
			return nil, fmt.Errorf("lab: the CA certificate of %s is not PEM", ep.Host)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: ep.ConnectTimeout, KeepAlive: 30 * time.Second}
	var bases []*http.Transport
	newClient := func() *http.Client {
		base := &http.Transport{
			DialContext:           dialer.DialContext,
			TLSClientConfig:       tlsConf,
			TLSHandshakeTimeout:   ep.ConnectTimeout,
			ResponseHeaderTimeout: ep.OperationTimeout + ep.ConnectTimeout,
			MaxConnsPerHost:       1,
			MaxIdleConnsPerHost:   1,
			IdleConnTimeout:       90 * time.Second,
		}
		bases = append(bases, base)
		var rt http.RoundTripper = base
		if ep.Auth == AuthNTLM {
			rt = ntlmssp.Negotiator{RoundTripper: noBasic{rt}}
		}
		// Timeout bounds the whole exchange, the body's read included: an
		// answer whose headers came and whose body never ends (a stalled
		// Receive) fails as one that never came, and is resent.
		return &http.Client{Transport: rt, Timeout: ep.OperationTimeout + ep.ConnectTimeout}
	}
	client, receive := newClient(), newClient()
	return &transport{ep: ep, client: client, receive: receive, bases: bases}, nil
}

// closeIdle closes the clients' idle connections.
func (t *transport) closeIdle() {
	for _, b := range t.bases {
		b.CloseIdleConnections()
	}
}

// noBasic sits under go-ntlmssp's Negotiator, which takes the credentials
// from a request's Basic header and, when a 401 offers neither Negotiate
// nor NTLM, sends that Basic header as it is: the password in clear to
// whoever answered (an endpoint, or a man in the middle over HTTP). With
// auth ntlm, no request carrying Basic credentials ever leaves.
type noBasic struct{ rt http.RoundTripper }

// ErrNTLMNotOffered is wrapped when an ntlm session's server does not
// offer NTLM or Negotiate.
var ErrNTLMNotOffered = errors.New("lab: the server does not offer NTLM or Negotiate; basic credentials are never sent with auth ntlm")

func (n noBasic) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, _, ok := req.BasicAuth(); ok {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, ErrNTLMNotOffered
	}
	return n.rt.RoundTrip(req)
}

// receiveAction marks a Receive request's body.
const receiveAction = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive<"

// Transport is called by winrm.NewClientWithParameters; our transport is
// already configured.
func (t *transport) Transport(*winrm.Endpoint) error { return nil }

func (t *transport) Post(_ *winrm.Client, msg *soap.SoapMessage) (string, error) {
	body := msg.String()
	if strings.Contains(body, commandAction) {
		body = consoleModeStdin(body, !t.pipeStdin.Load())
	}
	return t.post(context.Background(), body)
}

// commandAction marks a Command request's body.
const commandAction = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command<"

// consoleStdinOption is the option masterzen/winrm puts in every Command
// request: the command's stdin is a console.
const consoleStdinOption = `<w:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</w:Option>`

// consoleModeStdin sets a Command request's WINRS_CONSOLEMODE_STDIN.
// masterzen/winrm always sends TRUE; a command that reads data on stdin
// gets FALSE, a pipe, as Ansible's WinRM connection asks whenever it sends
// stdin (docs/evidence.md#E-winrm-stdin). A request without the option as
// masterzen/winrm writes it is left alone (the simulated host records what
// it got, and the session tests pin FALSE).
func consoleModeStdin(body string, console bool) string {
	if console {
		return body
	}
	return strings.Replace(body, consoleStdinOption, `<w:Option Name="WINRS_CONSOLEMODE_STDIN">FALSE</w:Option>`, 1)
}

func (t *transport) post(ctx context.Context, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.ep.URL(), strings.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("lab: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(t.ep.User, t.ep.Password)
	client := t.client
	if strings.Contains(body, receiveAction) {
		client = t.receive
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "", &UnreachableError{Addr: t.ep.Addr(), Err: err}
		}
		return "", &TransportError{URL: t.ep.URL(), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", &TransportError{URL: t.ep.URL(), HTTPStatus: resp.StatusCode, Err: err}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if !strings.Contains(resp.Header.Get("Content-Type"), "application/soap+xml") {
			return "", &TransportError{URL: t.ep.URL(), HTTPStatus: 200, Err: fmt.Errorf("unexpected content type %q", resp.Header.Get("Content-Type"))}
		}
		return string(data), nil
	case resp.StatusCode == http.StatusUnauthorized:
		return "", &AuthError{URL: t.ep.URL(), User: t.ep.User, Auth: t.ep.Auth}
	}
	if f := parseFault(data); f != nil {
		f.HTTPStatus = resp.StatusCode
		return "", f
	}
	return "", &TransportError{URL: t.ep.URL(), HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%s", textutil.Truncate(strings.TrimSpace(string(data)), 300))}
}

// parseFault reads a SOAP fault body, or returns nil.
func parseFault(body []byte) *WSManFault {
	var env struct {
		Fault *struct {
			Subcode string `xml:"http://www.w3.org/2003/05/soap-envelope Code>Subcode>Value"`
			Reason  string `xml:"http://www.w3.org/2003/05/soap-envelope Reason>Text"`
			Detail  struct {
				WSMan struct {
					Code    uint32 `xml:"Code,attr"`
					Message string `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault Message"`
				} `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault WSManFault"`
			} `xml:"http://www.w3.org/2003/05/soap-envelope Detail"`
		} `xml:"http://www.w3.org/2003/05/soap-envelope Body>Fault"`
	}
	if err := xml.Unmarshal(body, &env); err != nil || env.Fault == nil {
		return nil
	}
	reason := strings.TrimSpace(env.Fault.Reason)
	if reason == "" {
		reason = strings.TrimSpace(env.Fault.Detail.WSMan.Message)
	}
	return &WSManFault{Code: env.Fault.Detail.WSMan.Code, Subcode: strings.TrimSpace(env.Fault.Subcode), Reason: reason}
}
