package sim

import (
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Handler serves WS-Management on /wsman for one simulated host.
type Handler struct {
	opts   Options
	host   *Host
	auth   *authenticator
	shells *shells
	now    func() time.Time
	// waiting, when set (by tests, before serving), is called each time a
	// Receive starts waiting for its command's news.
	waiting func()
}

// maxCommandLine is CreateProcess's limit; past it Windows faults the Command.
const maxCommandLine = 32767

// NewHandler returns the WinRM service of host.
func NewHandler(host *Host, opts Options) *Handler {
	opts = opts.withDefaults()
	return &Handler{
		opts:   opts,
		host:   host,
		auth:   newAuthenticator(opts.User, opts.Password, host.Hostname()),
		shells: newShells(),
		now:    time.Now,
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.URL.Path, "/wsman") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// The body, authenticated or not, must arrive within BodyTimeout: a
	// slow one closes the connection (the deadline is lifted once it is
	// read, so that a held Receive may take its time to answer).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(h.opts.BodyTimeout)) // the network's clock, not the host's
	user := h.auth.authenticate(w, r)
	if user == "" {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, int64(h.opts.MaxEnvelopeSizeKB)*1024))
		return
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/encrypted") {
		http.Error(w, "msilab simulated host: WinRM message encryption (multipart/encrypted) is not supported; "+
			"connect over HTTPS, or over HTTP with message encryption off (pywinrm: message_encryption='never')",
			http.StatusUnsupportedMediaType)
		return
	}
	limit := int64(h.opts.MaxEnvelopeSizeKB) * 1024
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		// A body cut short, chunked encoding that does not parse, a
		// timeout: never an empty 200, as if the request were fine.
		w.Header().Set("Connection", "close")
		http.Error(w, "msilab simulated host: the request body could not be read: "+err.Error(), http.StatusBadRequest)
		return
	}
	_ = rc.SetReadDeadline(time.Time{})
	if len(body) == 0 {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK) // an empty authenticated POST, as pywinrm sends to set up its context
		return
	}
	if !strings.HasPrefix(ct, "application/soap+xml") {
		http.Error(w, "msilab simulated host: the content type must be application/soap+xml", http.StatusUnsupportedMediaType)
		return
	}
	req, err := decodeRequest(body)
	if err != nil {
		h.writeFault(w, err, "")
		return
	}
	resp, err := h.dispatch(r, req, user)
	if err != nil {
		h.writeFault(w, err, req.Header.MessageID)
		return
	}
	writeSOAP(w, http.StatusOK, resp)
}

func (h *Handler) dispatch(r *http.Request, req *request, user string) (string, error) {
	if req.Header.ResourceURI != resourceCmd {
		return "", faultBadResource(req.Header.ResourceURI)
	}
	now := h.now()
	id := req.Header.MessageID
	if req.Header.Action == actionCreate {
		if req.Body.Shell == nil {
			return "", faultInvalidXML("Create carries no rsp:Shell")
		}
		codepage := req.option("WINRS_CODEPAGE")
		sh, err := h.shells.create(user, codepage, h.opts.MaxShellsPerUser, now)
		if err != nil {
			return "", err
		}
		return createReply(id, h.endpointURL(r), sh.id, user, clientIP(r), int(h.opts.IdleTimeout/time.Second)), nil
	}
	sh, err := h.shells.get(req.selector("ShellId"), user, now)
	if err != nil {
		return "", err
	}
	switch req.Header.Action {
	case actionCommand:
		return h.command(req, sh, user)
	case actionSend:
		return h.send(req, sh)
	case actionReceive:
		return h.receive(r, req, sh)
	case actionSignal:
		if req.Body.Signal == nil {
			return "", faultInvalidXML("Signal carries no rsp:Signal")
		}
		sh.stop(req.Body.Signal.CommandID)
		return emptyReply(nsShell+"/SignalResponse", id, `<rsp:SignalResponse/>`), nil
	case actionDelete:
		h.shells.remove(sh)
		return emptyReply(nsTransfer+"/DeleteResponse", id, ""), nil
	}
	return "", faultActionNotSupported(req.Header.Action)
}

func (h *Handler) command(req *request, sh *shell, user string) (string, error) {
	cl := req.Body.CommandLine
	if cl == nil {
		return "", faultInvalidXML("Command carries no rsp:CommandLine")
	}
	line := strings.TrimSpace(cl.Command)
	for _, a := range cl.Arguments {
		line += " " + a
	}
	if len(line) > maxCommandLine {
		return "", faultCommandLineTooLong()
	}
	id := cl.CommandID
	if id == "" {
		id = newGUID()
	}
	h.host.commands.add(CommandRecord{Line: line, ConsoleModeStdin: req.option("WINRS_CONSOLEMODE_STDIN")})
	prog := h.host.Program(line, Session{User: user, Codepage: sh.codepage})
	if _, err := sh.start(id, prog); err != nil {
		return "", err
	}
	return commandReply(req.Header.MessageID, id), nil
}

func (h *Handler) send(req *request, sh *shell) (string, error) {
	if req.Body.Send == nil {
		return "", faultInvalidXML("Send carries no rsp:Send")
	}
	for _, s := range req.Body.Send.Streams {
		if s.Name != "stdin" {
			return "", faultInvalidCommand("The simulated host accepts input on stdin only, not " + s.Name + ".")
		}
		p, err := sh.command(s.CommandID)
		if err != nil {
			return "", err
		}
		data, err := base64.StdEncoding.DecodeString(stripSpace(s.Data))
		if err != nil {
			return "", faultInvalidXML("stdin data is not base64")
		}
		p.stdin.Write(data)
		if strings.EqualFold(s.End, "true") {
			p.stdin.Close()
		}
	}
	return emptyReply(nsShell+"/SendResponse", req.Header.MessageID, `<rsp:SendResponse/>`), nil
}

// receive holds the request until the command has output or has ended, or
// until just before the client's operation timeout, then answers the
// timeout fault that clients retry on.
func (h *Handler) receive(r *http.Request, req *request, sh *shell) (string, error) {
	if req.Body.Receive == nil {
		return "", faultInvalidXML("Receive carries no rsp:Receive")
	}
	cmdID := req.Body.Receive.DesiredStream.CommandID
	p, err := sh.command(cmdID)
	if err != nil {
		return "", err
	}
	hold := req.timeout(h.opts.MaxTimeout, h.opts.MaxTimeout)
	hold -= hold / 10
	timer := time.NewTimer(hold)
	defer timer.Stop()
	budget := max((req.maxEnvelope()-4096)*3/4, 4096)
	for {
		chunk, wake, ok := p.take(budget)
		if ok {
			return receiveReply(req.Header.MessageID, cmdID, chunk), nil
		}
		if h.waiting != nil {
			h.waiting()
		}
		select {
		case <-wake:
		case <-timer.C:
			return "", faultTimedOut()
		case <-r.Context().Done():
			return "", faultTimedOut()
		}
	}
}

func (h *Handler) writeFault(w http.ResponseWriter, err error, relatesTo string) {
	var f *wsmanFault
	if !errors.As(err, &f) {
		f = &wsmanFault{http.StatusInternalServerError, "s:Receiver", "w:InternalError", 2150858752, err.Error()}
	}
	writeSOAP(w, f.status, faultBody(f, relatesTo, h.host.Hostname()))
}

func writeSOAP(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (h *Handler) endpointURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/wsman"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

// expireIdle closes shells idle past the idle timeout.
func (h *Handler) expireIdle() { h.shells.expire(h.now(), h.opts.IdleTimeout) }

// closeShells ends every shell and its commands.
func (h *Handler) closeShells() { h.shells.closeAll() }
