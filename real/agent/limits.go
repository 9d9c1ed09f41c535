package agent

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Limits bound what callers can make an agent hold: connections, time,
// sessions, upload contents. Zero values mean the defaults.
type Limits struct {
	// ReadHeaderTimeout bounds the TLS handshake and reading a request's
	// headers (default 10s).
	ReadHeaderTimeout time.Duration
	// BodyIdle is how long a request body may deliver no byte before the
	// request fails and its connection is closed (default 60s; the sender
	// gives up on a stalled transfer after StallTimeout, 30s). Slow but
	// moving transfers (2.6 MB/s under emulation) are never cut.
	BodyIdle time.Duration
	// Idle is how long a kept-alive connection may wait for its next
	// request (default 2m).
	Idle time.Duration
	// MaxConns caps the open connections of each listener (default 64);
	// further connections wait in the kernel's backlog.
	MaxConns int
	// SessionTTL is how long an announced migration lives without activity
	// (announce, upload, restore) before it expires and its data is removed
	// (default 30m, MaxStepTime: a step longer than that fails anyway).
	SessionTTL time.Duration
	// MaxEntries caps the tar entries of one upload, nested tars included
	// (default 200,000).
	MaxEntries int
	// MaxRounds caps a migration's pre-dump rounds (default 1000).
	MaxRounds int
}

func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.BodyIdle, 60*time.Second)
	def(&l.Idle, 2*time.Minute)
	def(&l.SessionTTL, MaxStepTime)
	if l.MaxConns <= 0 {
		l.MaxConns = 64
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 200_000
	}
	if l.MaxRounds <= 0 {
		l.MaxRounds = 1000
	}
	return l
}

// limitListener lets at most cap(sem) connections be open at a time:
// Accept waits for a free slot before it accepts.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// idleBodies makes every request body fail when it delivers no byte for
// d: the connection's read deadline moves forward with each read and is
// cleared at the end of the body (so a long handler is not cut).
func idleBodies(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(d)) == nil {
				r.Body = &idleBody{ReadCloser: r.Body, rc: rc, idle: d}
			}
		}
		h.ServeHTTP(w, r)
	})
}

type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	done bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.done = true
		b.rc.SetReadDeadline(time.Time{})
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		err = statusErr(http.StatusRequestTimeout, fmt.Errorf("the request body delivered nothing for %s: is the private link up?", b.idle))
	}
	return n, err
}

// unixPrefix marks a unix socket in Config.Listen ("unix:/run/migrlab/agent.sock").
const unixPrefix = "unix:"

// DefaultInsecureSocket is where an agent run with --insecure-no-tls
// should listen: plain HTTP is served only on a 0600 unix socket.
const DefaultInsecureSocket = "/run/migrlab/agent.sock"

// ErrInsecureTCP is returned by Serve when Config.Insecure is set and a
// listen address is not a unix socket.
var ErrInsecureTCP = errors.New("agent: --insecure-no-tls serves plain HTTP only on a unix socket (made 0600, root only): " +
	"listen on unix:" + DefaultInsecureSocket + " (--listen unix:PATH), or use --tls-dir for TCP")

// listenUnix listens on a unix socket at path that only the agent's user
// can connect to: the socket is made 0600 inside a fresh 0700 directory
// and then moved to path, so that it is never reachable with other
// permissions.
func listenUnix(path string) (net.Listener, error) {
	path = filepath.Clean(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".agent-sock-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p := filepath.Join(tmp, "s")
	l, err := net.Listen("unix", p)
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(p, fileMode); err != nil {
		l.Close()
		return nil, err
	}
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket == 0 {
		l.Close()
		return nil, fmt.Errorf("listen %s: exists and is not a socket", path)
	}
	if err := os.Rename(p, path); err != nil {
		l.Close()
		return nil, err
	}
	return &unixListener{Listener: l, path: path}, nil
}

// unixListener removes its socket file when closed.
type unixListener struct {
	net.Listener
	path string
	once sync.Once
}

func (l *unixListener) Close() error {
	l.once.Do(func() { os.Remove(l.path) })
	return l.Listener.Close()
}

func isUnix(addr string) bool { return strings.HasPrefix(addr, unixPrefix) }
