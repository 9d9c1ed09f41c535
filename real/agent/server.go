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
}

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
	return &Server{
		cfg: cfg,
		pod: &podman{uri: cfg.PodmanURI},
		peer: &http.Client{Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			ResponseHeaderTimeout: 10 * time.Minute,
			DisableCompression:    true,
		}},
		incoming: map[string]*session{},
		probes:   map[string]*probeRun{},
		locks:    map[string]*sync.Mutex{},
	}, nil
}

// Serve listens on every configured address until ctx is done.
func (s *Server) Serve(ctx context.Context) error {
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
	errc := make(chan error, len(ls))
	var srvs []*http.Server
	for _, l := range ls {
		full := isLoopback(l.Addr())
		srv := &http.Server{Handler: s.Handler(full), ReadHeaderTimeout: 30 * time.Second}
		srvs = append(srvs, srv)
		what := "transfer endpoints only"
		if full {
			what = "full API"
		}
		s.cfg.Log.Info("listening", "addr", l.Addr().String(), "serves", what)
		go func() { errc <- srv.Serve(l) }()
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

// Handler returns the agent's HTTP API: all of it when full, else only the
// transfer endpoints a peer agent pushes checkpoint data to.
func (s *Server) Handler(full bool) http.Handler {
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
	return s.logged(mux)
}

// logged logs method, path, status and duration of every request (never bodies).
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.cfg.Log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"took", time.Since(start).Round(time.Millisecond).String(), "from", r.RemoteAddr)
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
