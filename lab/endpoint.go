package lab

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// AuthMethod is how a session authenticates.
type AuthMethod string

const (
	AuthBasic AuthMethod = "basic"
	AuthNTLM  AuthMethod = "ntlm"
)

// ErrBasicOverHTTP is wrapped when basic authentication would cross plain HTTP.
var ErrBasicOverHTTP = errors.New("lab: basic authentication over plain HTTP refused")

// Endpoint says how to reach a host's WinRM service.
type Endpoint struct {
	Host  string
	Port  int // 0: 5985, or 5986 with HTTPS
	HTTPS bool
	// CAFile or CACert pin the server certificate (PEM); Insecure skips
	// verification instead. With HTTPS, one of them must be set.
	CAFile   string
	CACert   []byte
	Insecure bool
	// TLSServerName overrides the name checked in the certificate.
	TLSServerName string

	Auth     AuthMethod // default AuthNTLM
	User     string
	Password string
	// AllowBasicOverHTTP lets AuthBasic send the password over plain
	// HTTP, where anyone on the path reads it: refused otherwise (as
	// WinRM's own AllowUnencrypted is off by default).
	AllowBasicOverHTTP bool

	// ConnectTimeout bounds dialing and each HTTP response's headers
	// beyond the operation timeout. Default 30 s.
	ConnectTimeout time.Duration
	// OperationTimeout is WS-Management's OperationTimeout (a held Receive
	// answers within it). Default 60 s, Windows' maximum.
	OperationTimeout time.Duration
}

func (e Endpoint) withDefaults() Endpoint {
	if e.Port == 0 {
		e.Port = 5985
		if e.HTTPS {
			e.Port = 5986
		}
	}
	if e.Auth == "" {
		e.Auth = AuthNTLM
	}
	if e.ConnectTimeout <= 0 {
		e.ConnectTimeout = 30 * time.Second
	}
	if e.OperationTimeout <= 0 {
		e.OperationTimeout = 60 * time.Second
	}
	return e
}

// Addr is host:port.
func (e Endpoint) Addr() string {
	e = e.withDefaults()
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// URL is the WS-Management URL.
func (e Endpoint) URL() string {
	scheme := "http"
	if e.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + e.Addr() + "/wsman"
}

// validate checks the options and loads the CA file.
func (e *Endpoint) validate() error {
	switch {
	case e.Host == "":
		return fmt.Errorf("lab: endpoint has no host")
	case e.Port < 0 || e.Port > 65535:
		return fmt.Errorf("lab: endpoint port %d out of range", e.Port)
	case e.User == "":
		return fmt.Errorf("lab: endpoint %s has no user", e.Host)
	case e.Auth != AuthBasic && e.Auth != AuthNTLM:
		return fmt.Errorf("lab: unknown auth method %q (want basic or ntlm)", e.Auth)
	case e.Auth == AuthBasic && !e.HTTPS && !e.AllowBasicOverHTTP:
		return fmt.Errorf("%w: basic authentication over plain HTTP sends %s's password in clear to %s: use HTTPS or ntlm, "+
			"or allow it explicitly (allow_basic_over_http: true in lab.yaml)", ErrBasicOverHTTP, e.User, e.Host)
	case e.HTTPS && !e.Insecure && e.CAFile == "" && len(e.CACert) == 0:
		return fmt.Errorf("lab: HTTPS endpoint %s needs a CA file to pin its certificate, or explicit insecure", e.Host)
	}
	if e.CAFile != "" && len(e.CACert) == 0 {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return fmt.Errorf("lab: read CA file: %w", err)
		}
		e.CACert = pem
	}
	return nil
}
