package sim

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a simulated Windows host listening for WinRM.
type Server struct {
	opts    Options
	host    *Host
	handler *Handler

	ln          net.Listener
	srv         *http.Server
	certPEM     []byte
	fingerprint string
	stop        chan struct{}
	closeOnce   sync.Once
	wg          sync.WaitGroup
	off         atomic.Bool // a VM turned off (SetPowered)
}

// NewServer builds a simulated host and its WinRM service; Start listens.
func NewServer(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	host, err := NewHost(opts)
	if err != nil {
		return nil, err
	}
	return &Server{opts: opts, host: host, handler: NewHandler(host, opts), stop: make(chan struct{})}, nil
}

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("sim: listen on %s: %w", s.opts.Addr, err)
	}
	s.srv = &http.Server{
		Handler:           s.powerGate(s.handler),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(s.opts.logOutput(), "msilab sim: ", log.LstdFlags),
		ConnState: func(c net.Conn, state http.ConnState) {
			if state == http.StateClosed || state == http.StateHijacked {
				s.handler.auth.forget(c.RemoteAddr().String())
			}
		},
	}
	if s.opts.HTTPS {
		var ips []net.IP
		if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
			ips = append(ips, tcp.IP)
		}
		cert, pemCert, err := selfSigned(s.host.Hostname(), ips)
		if err != nil {
			ln.Close()
			return fmt.Errorf("sim: make certificate: %w", err)
		}
		s.certPEM, s.fingerprint = pemCert, fingerprint(cert.Certificate[0])
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	s.ln = ln
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.handler.expireIdle()
			case <-s.stop:
				return
			}
		}
	}()
	return nil
}

// Serve starts the server and blocks until ctx is done, then closes it.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Start(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// Close stops listening, ends every shell, and waits for the server's goroutines.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.handler.closeShells()
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err = s.srv.Shutdown(ctx); err != nil {
				err = s.srv.Close()
			}
		}
		s.wg.Wait()
	})
	return err
}

// Host is the simulated machine behind the server.
func (s *Server) Host() *Host { return s.host }

// Handler is the server's WinRM handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr is the address the server listens on (after Start).
func (s *Server) Addr() *net.TCPAddr {
	if s.ln == nil {
		return nil
	}
	addr, _ := s.ln.Addr().(*net.TCPAddr)
	return addr
}

// HostPort returns the listening host and port.
func (s *Server) HostPort() (string, int) {
	a := s.Addr()
	if a == nil {
		return "", 0
	}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return host, a.Port
}

// URL is the WS-Management endpoint, such as http://127.0.0.1:5985/wsman.
func (s *Server) URL() string {
	host, port := s.HostPort()
	scheme := "http"
	if s.opts.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/wsman"
}

// HTTPS reports whether the server serves TLS.
func (s *Server) HTTPS() bool { return s.opts.HTTPS }

// CertPEM is the self-signed certificate (HTTPS only), for clients to pin.
func (s *Server) CertPEM() []byte { return s.certPEM }

// Fingerprint is the certificate's SHA-256 fingerprint (HTTPS only).
func (s *Server) Fingerprint() string { return s.fingerprint }

// User and Password are the credentials the server accepts.
func (s *Server) User() string     { return s.opts.User }
func (s *Server) Password() string { return s.opts.Password }

// CloseShells ends every shell and command, as a restart of the WinRM
// service or an idle timeout does on Windows; clients must open new shells.
func (s *Server) CloseShells() { s.handler.closeShells() }
