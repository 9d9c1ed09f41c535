package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/testbed/mtls"
)

// testPKI is a testbed CA with identities issued by it.
type testPKI struct {
	ca *mtls.CA
}

func newTestPKI(t *testing.T, name string) testPKI {
	t.Helper()
	ca, err := mtls.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return testPKI{ca}
}

// identity issues a certificate for leaf and returns it with the CA pool.
func (p testPKI) identity(t *testing.T, leaf mtls.Leaf) *mtls.Identity {
	t.Helper()
	c, k, err := p.ca.Issue(leaf)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	id := &mtls.Identity{Cert: cert}
	id.CAs = poolOf(t, p.ca.CertPEM)
	return id
}

func (p testPKI) host(t *testing.T, name string) *mtls.Identity {
	return p.identity(t, mtls.Leaf{Role: mtls.RoleHost, Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}})
}

func (p testPKI) orchestrator(t *testing.T) *mtls.Identity {
	return p.identity(t, mtls.Leaf{Role: mtls.RoleOrchestrator, Name: "migrlab-orchestrator"})
}

// serveTLS runs s's HTTP server for a loopback (full API) or a private
// (transfer-only) listener on 127.0.0.1 and returns its address.
func serveTLS(t *testing.T, s *Server, loopback bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _, serve := s.serveOn(loopbackAs(l, loopback))
	if srv.TLSConfig == nil {
		t.Fatal("server without TLS although Config.TLS is set")
	}
	go serve()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// loopbackAs makes a listener on 127.0.0.1 pass for a loopback one or not.
func loopbackAs(l net.Listener, loopback bool) net.Listener {
	if loopback {
		return l
	}
	return privateListener{l}
}

type privateListener struct{ net.Listener }

func (p privateListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(10, 10, 0, 2), Port: 7070} }

func newTLSServer(t *testing.T, id *mtls.Identity) *Server {
	t.Helper()
	s, err := New(Config{StateDir: t.TempDir(), PodmanURI: "unix:///nonexistent/podman.sock", TLS: id})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get does one request with the client TLS configuration cfg and returns
// the status and body, or the transport error.
func get(t *testing.T, cfg *tls.Config, method, url string) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestTLSRefusesUnauthenticatedCallers: with TLS, the agent answers only
// callers with a certificate of its testbed CA, the full API only to the
// orchestrator's certificate on loopback, and never plain HTTP.
func TestTLSRefusesUnauthenticatedCallers(t *testing.T) {
	pki, other := newTestPKI(t, "tb"), newTestPKI(t, "other")
	s := newTLSServer(t, pki.host(t, "vm1"))
	loop, priv := serveTLS(t, s, true), serveTLS(t, s, false)
	caOnly := &tls.Config{RootCAs: poolOf(t, pki.ca.CertPEM), ServerName: "vm1", MinVersion: tls.VersionTLS13}
	orch, peer := pki.orchestrator(t).ClientConfig("vm1"), pki.host(t, "vm2").ClientConfig("")
	foreignOrch := other.orchestrator(t).ClientConfig("vm1")
	foreignOrch.RootCAs = caOnly.RootCAs // trusts the agent, but is not trusted by it
	// Present it even though the agent asks for certificates of its own CA.
	foreign := foreignOrch.Certificates[0]
	foreignOrch.Certificates = nil
	foreignOrch.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreign, nil }
	id := strings.Repeat("ab", 32)

	for _, tc := range []struct {
		name      string
		cfg       *tls.Config
		method    string
		url       string
		want      int    // 0: the connection must fail
		wantInErr string // part of the error or body
	}{
		{"orchestrator, loopback, full API", orch, "POST", "https://" + loop + "/v1/calib/sink", http.StatusOK, `"token"`},
		{"no client certificate", caOnly, "GET", "https://" + loop + "/v1/info", 0, "certificate required"},
		{"no client certificate, private", caOnly, "GET", "https://" + priv + "/v1/info", 0, "certificate required"},
		{"no client certificate, transfer", caOnly, "PUT", "https://" + priv + "/v1/incoming/" + id + "/archive", 0, "certificate required"},
		{"certificate of another CA", foreignOrch, "GET", "https://" + loop + "/v1/info", 0, "unknown certificate authority"},
		{"peer certificate, full API on loopback", peer, "GET", "https://" + loop + "/v1/info", http.StatusForbidden, "orchestrator's certificate"},
		{"peer certificate, full API on private", peer, "POST", "https://" + priv + "/v1/incoming", http.StatusForbidden, "orchestrator's certificate"},
		{"orchestrator, private listener, info", orch, "GET", "https://" + priv + "/v1/info", http.StatusForbidden, "orchestrator's certificate on loopback"},
		// A peer reaches the transfer endpoints; the per-migration token
		// still guards them (nothing was announced).
		{"peer certificate, transfer", peer, "PUT", "https://" + priv + "/v1/incoming/" + id + "/archive", http.StatusForbidden, "announce"},
		{"peer certificate, calibration sink", peer, "PUT", "https://" + priv + "/v1/calib/sink", http.StatusForbidden, "token"},
		{"plain HTTP", nil, "GET", "http://" + loop + "/v1/info", http.StatusBadRequest, "HTTPS"},
	} {
		status, body, err := get(t, tc.cfg, tc.method, tc.url)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("%s: accepted (%d %s), want a refused handshake", tc.name, status, strings.TrimSpace(body))
		case tc.want == 0 && !strings.Contains(err.Error(), tc.wantInErr):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.wantInErr)
		case tc.want != 0 && err != nil:
			t.Errorf("%s: %v, want %d", tc.name, err, tc.want)
		case tc.want != 0 && (status != tc.want || !strings.Contains(body, tc.wantInErr)):
			t.Errorf("%s: %d %s, want %d with %q", tc.name, status, strings.TrimSpace(body), tc.want, tc.wantInErr)
		}
	}
}

// TestTLSClientAndPeers: the orchestrator's Client works over TLS, and an
// agent sends to a peer agent's private listener with its host certificate,
// verifying the peer's certificate against the testbed CA.
func TestTLSClientAndPeers(t *testing.T) {
	pki := newTestPKI(t, "tb")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	orch := pki.orchestrator(t)
	src, dst := newTLSServer(t, pki.host(t, "vm1")), newTLSServer(t, pki.host(t, "vm2"))
	srcC := NewClientTLS("vm1", serveTLS(t, src, true), nil, orch.ClientConfig("vm1"))
	dstC := NewClientTLS("vm2", serveTLS(t, dst, true), nil, orch.ClientConfig("vm2"))
	target := serveTLS(t, dst, false)
	tok, err := dstC.NewSink(ctx)
	if err != nil {
		t.Fatalf("orchestrator client: %v", err)
	}
	rep, err := srcC.MeasureLink(ctx, LinkRequest{Send: Send{Target: target, Token: tok}, Pings: 2, Bytes: 1 << 20})
	if err != nil {
		t.Fatalf("agent to peer agent over mutual TLS: %v", err)
	}
	if rep.Transfer.Bytes != 1<<20 {
		t.Errorf("transfer: %+v", rep.Transfer)
	}
	// The server name must match the agent's certificate.
	wrong := NewClientTLS("vm1", srcC.base[len("https://"):], nil, orch.ClientConfig("vm9"))
	if _, err := wrong.NewSink(ctx); err == nil || !strings.Contains(err.Error(), "vm9") {
		t.Errorf("wrong server name: %v", err)
	}
	// A peer whose certificate is not of the testbed CA is not sent to.
	rogue := newTLSServer(t, newTestPKI(t, "rogue").host(t, "vm2"))
	rogueTarget := serveTLS(t, rogue, false)
	if _, err := srcC.MeasureLink(ctx, LinkRequest{Send: Send{Target: rogueTarget, Token: tok}, Pings: 1}); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("peer with a foreign certificate: %v", err)
	}
}

// TestServeWithoutTLSRefusesToStart: no TLS and no Insecure is an error
// that names the fix; Insecure serves plain HTTP only on a 0600 unix socket.
func TestServeWithoutTLSRefusesToStart(t *testing.T) {
	s, err := New(Config{StateDir: t.TempDir(), Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Serve(context.Background())
	if !errors.Is(err, ErrNoTLS) || !strings.Contains(err.Error(), "--tls-dir") || !strings.Contains(err.Error(), "--insecure-no-tls") {
		t.Fatalf("Serve without TLS: %v", err)
	}
	s, _ = New(Config{StateDir: t.TempDir(), Listen: []string{"127.0.0.1:0"}, Insecure: true})
	if err := s.Serve(context.Background()); !errors.Is(err, ErrInsecureTCP) || !strings.Contains(err.Error(), "unix:") {
		t.Fatalf("Serve with Insecure on TCP: %v; want ErrInsecureTCP naming unix:PATH", err)
	}
	sock := filepath.Join(t.TempDir(), "run", "agent.sock")
	ctx, cancel := context.WithCancel(context.Background())
	s, _ = New(Config{StateDir: t.TempDir(), Listen: []string{"unix:" + sock}, Insecure: true, PodmanURI: "unix:///nonexistent/podman.sock"})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	var st os.FileInfo
	for i := 0; i < 100 && st == nil; i++ {
		time.Sleep(20 * time.Millisecond)
		st, _ = os.Stat(sock)
	}
	if st == nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("insecure socket %s: %v; want a 0600 socket", sock, st)
	}
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Post("http://agent/v1/calib/sink", "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("request over the socket: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve with Insecure: %v", err)
	}
	if _, err := os.Lstat(sock); err == nil {
		t.Error("the socket is left after Serve returned")
	}
}

func poolOf(t *testing.T, pemCerts []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemCerts) {
		t.Fatal("no certificate")
	}
	return p
}
