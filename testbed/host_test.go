package testbed

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// fakeSSHServer serves "exec" (echoes "ran: CMD", exit 3 for "fail") and
// direct-streamlocal forwarding, with the given host key.
func fakeSSHServer(t *testing.T, hostKey ssh.Signer, clientKey ssh.PublicKey) string {
	t.Helper()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(clientKey.Marshal()) {
			return nil, nil
		}
		return nil, errors.New("unknown key")
	}}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveSSH(c, cfg)
		}
	}()
	return l.Addr().String()
}

func serveSSH(c net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			ch, creqs, _ := nc.Accept()
			go func() {
				for r := range creqs {
					if r.Type != "exec" {
						r.Reply(false, nil)
						continue
					}
					var p struct{ Cmd string }
					ssh.Unmarshal(r.Payload, &p)
					r.Reply(true, nil)
					io.WriteString(ch, "ran: "+p.Cmd)
					code := uint32(0)
					if p.Cmd == "fail" {
						code = 3
					}
					ch.SendRequest("exit-status", false, ssh.Marshal(struct{ C uint32 }{code}))
					ch.Close()
				}
			}()
		case "direct-streamlocal@openssh.com":
			var p struct {
				Path string
				R1   string
				R2   uint32
			}
			ssh.Unmarshal(nc.ExtraData(), &p)
			u, err := net.Dial("unix", p.Path)
			if err != nil {
				nc.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			ch, creqs, _ := nc.Accept()
			go ssh.DiscardRequests(creqs)
			go func() {
				go func() { io.Copy(u, ch); u.(*net.UnixConn).CloseWrite() }()
				io.Copy(ch, u)
				ch.CloseWrite()
			}()
		default:
			nc.Reject(ssh.UnknownChannelType, "no")
		}
	}
}

// testHost returns a Host pointing at a fake server whose host key is
// recorded (or a different key when wrongKey is set).
func testHost(t *testing.T, wrongKey bool) Host {
	t.Helper()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "id")
	_, cpriv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(cpriv, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cs, err := ssh.NewSignerFromKey(cpriv)
	if err != nil {
		t.Fatal(err)
	}
	_, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	hs, _ := ssh.NewSignerFromKey(hpriv)
	recorded := hs.PublicKey()
	if wrongKey {
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		recorded, _ = ssh.NewPublicKey(other)
	}
	addr := fakeSSHServer(t, hs, cs.PublicKey())
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return Host{Name: "h", SSHAddr: host, SSHPort: p, SSHUser: "root", KeyPath: keyPath,
		HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(recorded))) + " comment"}
}

func TestHostRun(t *testing.T) {
	h := testHost(t, false)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	out, _, err := h.Run(ctx, "criu check")
	if err != nil || string(out) != "ran: criu check" {
		t.Fatalf("Run = %q, %v", out, err)
	}
	_, _, err = h.Run(ctx, "fail")
	var ee *ssh.ExitError
	if !errors.As(err, &ee) || ee.ExitStatus() != 3 {
		t.Fatalf("Run(fail) error = %v, want exit status 3", err)
	}
}

func TestHostDialRejectsWrongHostKey(t *testing.T) {
	h := testHost(t, true)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if c, err := h.Dial(ctx); err == nil {
		c.Close()
		t.Fatal("Dial accepted a host key that was not recorded")
	}
}

func TestPodmanTunnel(t *testing.T) {
	h := testHost(t, false)
	// A stand-in for /run/podman/podman.sock.
	h.PodmanSocket = filepath.Join(t.TempDir(), "podman.sock")
	l, err := net.Listen("unix", h.PodmanSocket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong "+r.URL.Path)
	})}
	go srv.Serve(l)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	uri, closeTunnel, err := h.PodmanTunnel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sock := strings.TrimPrefix(uri, "unix://")
	if !strings.HasPrefix(uri, "unix:///") {
		t.Fatalf("uri = %q", uri)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	for i := 0; i < 3; i++ { // several connections over one SSH client
		resp, err := client.Get("http://d/_ping")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "pong /_ping" {
			t.Fatalf("through tunnel: %q", b)
		}
		client.CloseIdleConnections()
	}
	if err := closeTunnel(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket %s left after close: %v", sock, err)
	}
}

func TestFactsMap(t *testing.T) {
	f := Facts{Kernel: "6.1", RuntimeVersion: "1.1.5", NetworkBackend: "netavark", ASLR: "off"}
	m := f.Map("tcg")
	if m["kernel"] != "6.1" || m["runtime_version"] != "1.1.5" || m["network_backend"] != "netavark" || m["accel"] != "tcg" || m["aslr"] != "off" {
		t.Errorf("map %v: want the facts by JSON name and the testbed's accel", m)
	}
	f.Accel = "kvm"
	if a := f.Map("tcg")["accel"]; a != "kvm" {
		t.Errorf("accel %q: the host's own accel wins, want kvm", a)
	}
}
