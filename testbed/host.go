package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Addr returns the host's SSH address as host:port.
func (h Host) Addr() string { return net.JoinHostPort(h.SSHAddr, strconv.Itoa(h.SSHPort)) }

// clientConfig builds an SSH client config that accepts only the recorded host key.
func (h Host) clientConfig() (*ssh.ClientConfig, error) {
	key, err := os.ReadFile(h.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("testbed: %s: key: %w", h.Name, err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("testbed: %s: key %s: %w", h.Name, h.KeyPath, err)
	}
	hk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(h.HostKey))
	if err != nil {
		return nil, fmt.Errorf("testbed: %s: recorded host key %q: %w", h.Name, h.HostKey, err)
	}
	algos := []string{hk.Type()}
	if hk.Type() == ssh.KeyAlgoRSA {
		algos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	user := h.SSHUser
	if user == "" {
		user = "root"
	}
	return &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   ssh.FixedHostKey(hk),
		HostKeyAlgorithms: algos,
		Timeout:           30 * time.Second,
	}, nil
}

// Dial opens an SSH connection to the host, verifying its recorded host key.
// ctx bounds the connection and handshake; the client outlives ctx.
func (h Host) Dial(ctx context.Context) (*ssh.Client, error) {
	cfg, err := h.clientConfig()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", h.Addr())
	if err != nil {
		return nil, fmt.Errorf("testbed: %s: %w", h.Name, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, h.Addr(), cfg)
	if !stop() || err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("testbed: %s: ssh: %w", h.Name, ctx.Err())
		}
		return nil, fmt.Errorf("testbed: %s: ssh: %w", h.Name, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// Run runs cmd on the host (as SSHUser, through the remote shell) and returns
// its output. A non-zero exit is an error wrapping *ssh.ExitError.
func (h Host) Run(ctx context.Context, cmd string) (stdout, stderr []byte, err error) {
	c, err := h.Dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return nil, nil, fmt.Errorf("testbed: %s: session: %w", h.Name, err)
	}
	defer s.Close()
	var o, e bytes.Buffer
	s.Stdout, s.Stderr = &o, &e
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		c.Close()
		<-done
		err = ctx.Err()
	}
	if err != nil {
		err = fmt.Errorf("testbed: %s: %q: %w", h.Name, cmd, err)
	}
	return o.Bytes(), e.Bytes(), err
}

// PodmanTunnel forwards a fresh local unix socket to the host's Podman API
// socket over SSH and returns its URI ("unix:///tmp/.../podman.sock") for the
// podman bindings. close stops the forwarding and removes the socket.
func (h Host) PodmanTunnel(ctx context.Context) (uri string, close func() error, err error) {
	remote := h.PodmanSocket
	if remote == "" {
		remote = "/run/podman/podman.sock"
	}
	c, err := h.Dial(ctx)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "migrlab-podman-")
	if err != nil {
		c.Close()
		return "", nil, err
	}
	sock := filepath.Join(dir, "podman.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		c.Close()
		os.RemoveAll(dir)
		return "", nil, err
	}
	go func() {
		for {
			lc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				rc, err := c.Dial("unix", remote)
				if err != nil {
					lc.Close()
					return
				}
				proxy(lc, rc)
			}()
		}
	}()
	closer := sync.OnceValue(func() error {
		lerr := l.Close()
		cerr := c.Close()
		os.RemoveAll(dir)
		if errors.Is(cerr, net.ErrClosed) {
			cerr = nil
		}
		return errors.Join(lerr, cerr)
	})
	return "unix://" + sock, closer, nil
}

// proxy copies both ways until both directions are done, then closes both.
func proxy(a, b net.Conn) {
	var wg sync.WaitGroup
	half := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	wg.Add(2)
	go half(a, b)
	go half(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}
