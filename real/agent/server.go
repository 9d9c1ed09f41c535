package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrlab/migrlab/testbed/mtls"
)

// Config configures an agent. Zero values mean the defaults.
type Config struct {
	// Listen are the addresses to listen on (host:port). The host "private"
	// stands for the address in PrivateAddrFile; when that file does not
	// exist and other addresses are given, it is skipped with a warning.
	// Default: 127.0.0.1:7070 and private:7070.
	Listen []string
	// PodmanURI is the local Podman API (default unix:///run/podman/podman.sock).
	PodmanURI string
	// Runc is the runc binary and RuncRoot its state root, which must be the
	// one Podman's runc uses (rootful Podman: /run/runc).
	Runc, RuncRoot string
	// StateDir holds exported and received checkpoint archives (default
	// /var/lib/migrlab/agent); it is made 0700.
	StateDir string
	// PrivateAddrFile holds the host's private-link address (default
	// /etc/migrlab/private_addr, written by the host Terraform module).
	PrivateAddrFile string
	// BindTimeout is how long to retry listening on an address that is not
	// (yet) configured on the host (default 2m).
	BindTimeout time.Duration
	// Version is reported by /v1/info.
	Version string
	// Log receives one line per request (default: discard).
	Log *slog.Logger
	// TLS is the agent's mutual-TLS identity (the testbed CA and this host's
	// certificate, from --tls-dir). Set, every listener serves HTTPS and
	// requires a client certificate issued by the testbed CA; the full API
	// is served only to the orchestrator's certificate on a loopback
	// listener, peer agents (host certificates) get the transfer and
	// calibration-sink endpoints. The agent presents the same certificate
	// to the peer agents it sends checkpoint data to and verifies theirs.
	TLS *mtls.Identity
	// Insecure allows Serve without TLS: plain HTTP, no authentication
	// besides the per-migration tokens. For local debugging only.
	Insecure bool
}

// ErrNoTLS is returned by Serve when neither TLS nor Insecure is configured.
var ErrNoTLS = errors.New("agent: no TLS configured: run it with --tls-dir DIR (ca.crt, agent.crt, agent.key; " +
	"`migrlab testbed up --agent-binary ...` installs them in /etc/migrlab/tls), " +
	"or --insecure-no-tls for local debugging only")

func (c Config) withDefaults() Config {
	if len(c.Listen) == 0 {
		c.Listen = []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(DefaultPort)), net.JoinHostPort("private", strconv.Itoa(DefaultPort))}
	}
	if c.PodmanURI == "" {
		c.PodmanURI = "unix:///run/podman/podman.sock"
	}
	if c.Runc == "" {
		c.Runc = "runc"
	}
	if c.RuncRoot == "" {
		c.RuncRoot = "/run/runc"
	}
	if c.StateDir == "" {
		c.StateDir = "/var/lib/migrlab/agent"
	}
	if c.PrivateAddrFile == "" {
		c.PrivateAddrFile = "/etc/migrlab/private_addr"
	}
	if c.BindTimeout == 0 {
		c.BindTimeout = 2 * time.Minute
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Server is a running agent.
type Server struct {
	cfg  Config
	pod  *podman
	peer *http.Client

	mu       sync.Mutex
	incoming map[string]*session
	probes   map[string]*probeRun
	locks    map[string]*sync.Mutex
}

// New returns an agent; Serve runs it.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.StateDir, dirMode); err != nil {
		return nil, err
	}
	if err := os.Chmod(cfg.StateDir, dirMode); err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		ResponseHeaderTimeout: 10 * time.Minute,
		DisableCompression:    true,
	}
	if cfg.TLS != nil {
		// The peer's private address is an IP SAN of its certificate.
		tr.TLSClientConfig = cfg.TLS.ClientConfig("")
	}
	return &Server{
		cfg:      cfg,
		pod:      &podman{uri: cfg.PodmanURI},
		peer:     &http.Client{Transport: tr},
		incoming: map[string]*session{},
		probes:   map[string]*probeRun{},
		locks:    map[string]*sync.Mutex{},
	}, nil
}

// peerScheme is the URL scheme of the peer agents' listeners.
func (s *Server) peerScheme() string {
	if s.cfg.TLS != nil {
		return "https"
	}
	return "http"
}

// Serve listens on every configured address until ctx is done. Without
// Config.TLS it refuses to run (ErrNoTLS) unless Config.Insecure is set.
func (s *Server) Serve(ctx context.Context) error {
	if s.cfg.TLS == nil && !s.cfg.Insecure {
		return ErrNoTLS
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, a := range s.cfg.Listen {
		if host, _, _ := net.SplitHostPort(a); host == "private" && len(s.cfg.Listen) > 1 {
			if _, err := os.Stat(s.cfg.PrivateAddrFile); errors.Is(err, fs.ErrNotExist) {
				s.cfg.Log.Warn("no private-link address on this host: not listening on it", "listen", a, "file", s.cfg.PrivateAddrFile)
				continue
			}
		}
		l, err := s.listen(ctx, a)
		if err != nil {
			return err
		}
		ls = append(ls, l)
	}
	s.cleanStale(ctx)
	errc := make(chan error, len(ls))
	var srvs []*http.Server
	for _, l := range ls {
		srv, what := s.server(isLoopback(l.Addr()))
		srvs = append(srvs, srv)
		s.cfg.Log.Info("listening", "addr", l.Addr().String(), "serves", what)
		go func() {
			if srv.TLSConfig != nil {
				errc <- srv.ServeTLS(l, "", "")
			} else {
				errc <- srv.Serve(l)
			}
		}()
	}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, srv := range srvs {
			srv.Shutdown(sctx)
		}
		s.stopProbes()
		return nil
	case err := <-errc:
		return err
	}
}

// listen resolves "private" and retries while the address is not configured.
func (s *Server) listen(ctx context.Context, addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	deadline := time.Now().Add(s.cfg.BindTimeout)
	for {
		h := host
		if host == "private" {
			b, err := os.ReadFile(s.cfg.PrivateAddrFile)
			h = strings.TrimSpace(string(b))
			if err != nil || h == "" {
				err = fmt.Errorf("listen %s: private address from %s: %v", addr, s.cfg.PrivateAddrFile, err)
				if time.Now().After(deadline) {
					return nil, err
				}
				if !sleep(ctx, time.Second) {
					return nil, ctx.Err()
				}
				continue
			}
		}
		l, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err == nil {
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		if !sleep(ctx, time.Second) {
			return nil, ctx.Err()
		}
	}
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// server is the HTTP server of one listener (loopback or not) and what it serves.
func (s *Server) server(loopback bool) (*http.Server, string) {
	srv := &http.Server{ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn)}
	if s.cfg.TLS == nil {
		srv.Handler = s.Handler(loopback)
		if loopback {
			return srv, "full API, plain HTTP (--insecure-no-tls)"
		}
		return srv, "transfer endpoints only, plain HTTP (--insecure-no-tls)"
	}
	srv.TLSConfig = s.cfg.TLS.ServerConfig()
	srv.Handler = s.AuthHandler(loopback)
	if loopback {
		return srv, "HTTPS, client certificate required: full API for the orchestrator, transfer endpoints for peers"
	}
	return srv, "HTTPS, client certificate required: transfer endpoints only"
}

// AuthHandler is the API of a TLS listener: requests are routed by the role
// of the client certificate (package mtls). The orchestrator's certificate
// gets the full API when loopback; a host certificate (a peer agent), or the
// orchestrator's on another listener, gets only the endpoints that
// Handler(false) serves; anything else is refused with 403.
func (s *Server) AuthHandler(loopback bool) http.Handler {
	full, peer := s.routes(true), s.routes(false)
	return s.logged(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := clientRole(r)
		switch {
		case role == mtls.RoleOrchestrator && loopback:
			full.ServeHTTP(w, r)
		case role == mtls.RoleOrchestrator || role == mtls.RoleHost:
			if _, pattern := peer.Handler(r); pattern == "" {
				writeErr(w, statusErr(http.StatusForbidden, fmt.Errorf("%s %s is not open to a %s certificate on this listener "+
					"(the full API needs the orchestrator's certificate on loopback)", r.Method, r.URL.Path, role)))
				return
			}
			peer.ServeHTTP(w, r)
		default:
			writeErr(w, statusErr(http.StatusForbidden, errors.New("the client certificate has no migrlab role")))
		}
	}))
}

// clientRole is the role of the request's verified client certificate ("" without one).
func clientRole(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return mtls.Role(r.TLS.PeerCertificates[0])
}

// Handler returns the agent's HTTP API without authentication: all of it
// when full, else only the transfer endpoints a peer agent pushes checkpoint
// data to. Serve uses it only with Config.Insecure; with TLS it serves
// AuthHandler.
func (s *Server) Handler(full bool) http.Handler { return s.logged(s.routes(full)) }

// routes is the API: all of it when full, else only the transfer endpoints.
func (s *Server) routes(full bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/incoming/{id}/rounds/{k}", s.handleReceiveRound)
	mux.HandleFunc("PUT /v1/incoming/{id}/archive", s.handleReceiveArchive)
	if full {
		mux.HandleFunc("GET /v1/info", s.handleInfo)
		mux.HandleFunc("POST /v1/containers", s.handleCreate)
		mux.HandleFunc("GET /v1/containers/{id}", s.handleInspect)
		mux.HandleFunc("DELETE /v1/containers/{id}", s.handleRemove)
		mux.HandleFunc("GET /v1/containers/{id}/dirty", s.handleDirty)
		mux.HandleFunc("POST /v1/containers/{id}/rounds", s.handleRound)
		mux.HandleFunc("POST /v1/containers/{id}/checkpoint", s.handleCheckpoint)
		mux.HandleFunc("POST /v1/containers/{id}/rollback", s.handleRollback)
		mux.HandleFunc("POST /v1/incoming", s.handleAnnounce)
		mux.HandleFunc("POST /v1/incoming/{id}/restore", s.handleRestore)
		mux.HandleFunc("DELETE /v1/incoming/{id}", s.handleForget)
		mux.HandleFunc("POST /v1/probes", s.handleProbeStart)
		mux.HandleFunc("GET /v1/probes/{pid}", s.handleProbeGet)
		mux.HandleFunc("DELETE /v1/probes/{pid}", s.handleProbeStop)
		mux.HandleFunc("POST /v1/probe", s.handleProbeOnce)
		mux.HandleFunc("POST /v1/verify", s.handleVerify)
	}
	s.calibRoutes(mux, full)
	return mux
}

// logged logs method, path, status and duration of every request (never bodies).
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"took", time.Since(start).Round(time.Millisecond).String(), "from", r.RemoteAddr}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			c := r.TLS.PeerCertificates[0]
			attrs = append(attrs, "client", c.Subject.CommonName, "role", mtls.Role(c))
		}
		s.cfg.Log.Info("request", attrs...)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// lock serialises operations on one container.
func (s *Server) lock(id string) func() {
	s.mu.Lock()
	m := s.locks[id]
	if m == nil {
		m = new(sync.Mutex)
		s.locks[id] = m
	}
	s.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// stateDir returns StateDir/kind/id, made 0700.
func (s *Server) stateDir(kind, id string) (string, error) {
	if !idRE.MatchString(id) {
		return "", fmt.Errorf("%q is not a container ID", id)
	}
	d := filepath.Join(s.cfg.StateDir, kind, id)
	if err := os.MkdirAll(d, dirMode); err != nil {
		return "", err
	}
	return d, os.Chmod(filepath.Dir(d), dirMode)
}

// newID returns a random hex identifier.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HTTP helpers.

// httpError is an error with an HTTP status.
type httpError struct {
	status int
	err    error
}

func (e httpError) Error() string { return e.err.Error() }
func (e httpError) Unwrap() error { return e.err }

func statusErr(status int, err error) error { return httpError{status, err} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var he httpError
	if errors.As(err, &he) {
		status = he.status
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Error: err.Error()})
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return statusErr(http.StatusBadRequest, fmt.Errorf("request body: %w", err))
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
