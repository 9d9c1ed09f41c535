package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// "unix:PATH" is a unix socket (made 0600), the only kind Insecure
	// serves on. Default: 127.0.0.1:7070 and private:7070.
	Listen []string
	// PodmanURI is the local Podman API (default unix:///run/podman/podman.sock).
	PodmanURI string
	// Runc is the runc binary and RuncRoot its state root, which must be the
	// one Podman's runc uses (rootful Podman: /run/runc).
	Runc, RuncRoot string
	// StateDir holds exported and received checkpoint archives and the
	// records of migrations (migrations/ROLE-ID.json, see Record) (default
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
	// besides the per-migration tokens, and only on unix sockets
	// ("unix:PATH" in Listen, made 0600). For local debugging only.
	Insecure bool
	// Limits bound connections, time and uploads (zero: defaults).
	Limits Limits
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
	c.Limits = c.Limits.withDefaults()
	return c
}

// Server is a running agent.
type Server struct {
	cfg  Config
	pod  engine
	peer *http.Client
	// freeSpace returns the bytes available to the agent on the file
	// system holding path (statfs; replaced in tests).
	freeSpace func(path string) (uint64, error)

	// records are the agent's records of its migrations (record.go).
	records *records

	mu       sync.Mutex
	incoming map[string]*session
	probes   map[string]*probeRun
	locks    map[string]*sync.Mutex
	// jobs are the loads of applications (jobs.go).
	jobs jobTable
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
		cfg:       cfg,
		pod:       &podman{uri: cfg.PodmanURI},
		peer:      &http.Client{Transport: tr},
		freeSpace: statfsFree,
		records:   &records{dir: filepath.Join(cfg.StateDir, recordsDir)},
		incoming:  map[string]*session{},
		probes:    map[string]*probeRun{},
		locks:     map[string]*sync.Mutex{},
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
	if s.cfg.TLS == nil {
		for _, a := range s.cfg.Listen {
			if !isUnix(a) {
				return fmt.Errorf("%w (not %s)", ErrInsecureTCP, a)
			}
		}
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
	go s.expireSessions(ctx)
	errc := make(chan error, len(ls))
	var srvs []*http.Server
	for _, l := range ls {
		srv, what, serve := s.serveOn(l)
		srvs = append(srvs, srv)
		s.cfg.Log.Info("listening", "addr", l.Addr().String(), "serves", what)
		go func() { errc <- serve() }()
	}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, srv := range srvs {
			srv.Shutdown(sctx)
		}
		s.stopProbes()
		s.jobs.stopAll()
		return nil
	case err := <-errc:
		return err
	}
}

// listen resolves "private" and retries while the address is not configured.
func (s *Server) listen(ctx context.Context, addr string) (net.Listener, error) {
	if isUnix(addr) {
		return listenUnix(strings.TrimPrefix(addr, unixPrefix))
	}
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

// isLoopback reports whether a listener is local to the host: a loopback
// TCP address or a unix socket (0600, only for Config.Insecure).
func isLoopback(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	return false
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

// serveOn returns the HTTP server of listener l, what it serves, and the
// function that serves l (capped at Limits.MaxConns connections) until the
// server is closed.
func (s *Server) serveOn(l net.Listener) (*http.Server, string, func() error) {
	srv, what := s.server(isLoopback(l.Addr()))
	l = newLimitListener(l, s.cfg.Limits.MaxConns)
	return srv, what, func() error {
		if srv.TLSConfig != nil {
			return srv.ServeTLS(l, "", "")
		}
		return srv.Serve(l)
	}
}

// server is the HTTP server of one listener (loopback or not) and what it serves.
func (s *Server) server(loopback bool) (*http.Server, string) {
	// No ReadTimeout: it would cut transfers that move slowly but steadily
	// and, once it passes, cancel the context of a long handler; request
	// bodies are bounded by Limits.BodyIdle instead (see logged).
	srv := &http.Server{ReadHeaderTimeout: s.cfg.Limits.ReadHeaderTimeout, IdleTimeout: s.cfg.Limits.Idle,
		MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn)}
	if s.cfg.TLS == nil {
		srv.Handler = s.Handler(loopback)
		if loopback {
			return srv, "full API, plain HTTP on a 0600 unix socket (--insecure-no-tls)"
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
