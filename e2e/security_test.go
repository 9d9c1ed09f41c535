//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/testbed"
	"github.com/migrlab/migrlab/testbed/mtls"
)

// agentPort is the port the e2e agents listen on (installAgents' --listen).
const agentPort = "7070"

// TestAgentRefusesUnauthenticatedCallers checks the agents' mutual TLS on
// the testbed: the orchestrator's certificate works; no certificate, a
// certificate of another CA, plain HTTP, and a peer agent's (host)
// certificate on the full API are refused, on loopback and on the private
// link; the agents listen on loopback and the private address only; the
// TLS files are root's, the key 0600.
func TestAgentRefusesUnauthenticatedCallers(t *testing.T) {
	rt := requireAgents(t)
	tb := requireTestbed(t)
	ctx, cancel := context.WithTimeout(testCtx, 5*time.Minute)
	defer cancel()
	for _, h := range rt.Hosts {
		if _, err := h.Agent.Info(ctx); err != nil {
			t.Fatalf("orchestrator's client of %s: %v", h.Name, err)
		}
	}
	h1, h2 := tb.Hosts[0], tb.Hosts[1]
	dir := filepath.Join(tb.Dir, "keys", "tls")
	load := func(name string) *mtls.Identity {
		id, err := mtls.LoadIdentity(filepath.Join(dir, "ca.crt"), filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatalf("testbed certificates: %v", err)
		}
		return id
	}
	orch, peer := load("orchestrator"), load(h1.Name)

	t.Run("listeners", func(t *testing.T) {
		for _, h := range tb.Hosts {
			want := []string{"127.0.0.1:" + agentPort, h.PrivateAddr + ":" + agentPort}
			slices.Sort(want)
			var got []string
			for range 30 { // the agent retries the private address until it is configured
				got = listening(t, h)
				if slices.Equal(got, want) {
					break
				}
				time.Sleep(time.Second)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: port %s listening on %v, want exactly %v (never 0.0.0.0 or [::])", h.Name, agentPort, got, want)
			}
		}
	})

	t.Run("files and unit", func(t *testing.T) {
		for _, h := range tb.Hosts {
			out := sshRun(t, h, time.Minute, "stat -c '%a %U %n' /etc/migrlab/tls /etc/migrlab/tls/agent.key /etc/migrlab/tls/agent.crt /etc/migrlab/tls/ca.crt"+
				" && systemctl show -p ExecStart migrlab-agent.service")
			for _, want := range []string{"700 root /etc/migrlab/tls\n", "600 root /etc/migrlab/tls/agent.key\n",
				"644 root /etc/migrlab/tls/agent.crt\n", "--tls-dir /etc/migrlab/tls"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: no %q in\n%s", h.Name, want, out)
				}
			}
			if strings.Contains(out, "insecure") {
				t.Errorf("%s: the agent runs with --insecure-no-tls:\n%s", h.Name, out)
			}
		}
	})

	t.Run("on the host", func(t *testing.T) {
		// Plain HTTP from a process on the host, with bash's /dev/tcp (the
		// guest image has no curl; with curl, both requests are tried too).
		// The agent answers 400 and closes at the first non-TLS bytes, so the
		// rest of the request may hit a closed socket (SIGPIPE, reset): refused
		// means connected, and no API answer came back.
		out := sshRun(t, h1, time.Minute, `timeout 10 bash -c 'trap "" PIPE; exec 3<>/dev/tcp/127.0.0.1/`+agentPort+
			` && echo connected && printf "GET /v1/info HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; cat <&3'; echo " rc=$?"`)
		if !strings.Contains(out, "connected") || strings.Contains(out, `"kernel"`) || strings.Contains(out, "200 OK") {
			t.Errorf("plain HTTP on loopback was not refused (or the agent does not listen there):\n%s", out)
		}
		t.Logf("plain HTTP on loopback: %s", strings.TrimSpace(out))
		if out := sshRun(t, h1, time.Minute, "command -v curl || echo no-curl"); strings.Contains(out, "no-curl") {
			t.Log("no curl on the host: the TLS handshake without a client certificate is checked from the host's loopback through SSH below")
			return
		}
		// HTTPS without a client certificate: the handshake fails (curl exits non-zero).
		out = sshRun(t, h1, time.Minute, `curl -sS --max-time 10 -k https://127.0.0.1:`+agentPort+`/v1/info; echo " rc=$?"`)
		if strings.Contains(out, " rc=0") || strings.Contains(out, `"kernel"`) {
			t.Errorf("curl -k https without a client certificate got an answer:\n%s", out)
		}
		// Plain HTTP: 400 from the TLS listener.
		out = sshRun(t, h1, time.Minute, `curl -sS --max-time 10 http://127.0.0.1:`+agentPort+`/v1/info; echo " rc=$?"`)
		if strings.Contains(out, `"kernel"`) || (strings.Contains(out, " rc=0") && !strings.Contains(out, "HTTPS")) {
			t.Errorf("curl http got an answer:\n%s", out)
		}
	})

	caOnly := &tls.Config{RootCAs: orch.CAs, ServerName: h1.Name, MinVersion: tls.VersionTLS13}
	other, err := mtls.NewCA("intruder")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := other.Issue(mtls.Leaf{Role: mtls.RoleOrchestrator, Name: "migrlab-orchestrator"})
	if err != nil {
		t.Fatal(err)
	}
	foreignCert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	foreign := caOnly.Clone()
	foreign.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &foreignCert, nil }

	loop := "127.0.0.1:" + agentPort
	priv2 := net.JoinHostPort(h2.PrivateAddr, agentPort)
	peerTo := func(name string) *tls.Config { return peer.ClientConfig(name) }
	for _, tc := range []struct {
		name   string
		via    testbed.Host // the SSH connection the request leaves from
		addr   string       // as seen from that host
		cfg    *tls.Config
		method string
		path   string
		want   int // 0: the handshake must fail
	}{
		{"orchestrator certificate", h1, loop, orch.ClientConfig(h1.Name), "GET", "/v1/info", http.StatusOK},
		{"no client certificate, loopback", h1, loop, caOnly, "GET", "/v1/info", 0},
		{"no client certificate, private link", h1, priv2, caOnly, "PUT", "/v1/incoming/" + strings.Repeat("ab", 32) + "/archive", 0},
		{"certificate of another CA", h1, loop, foreign, "GET", "/v1/info", 0},
		{"plain HTTP, loopback", h1, loop, nil, "GET", "/v1/info", http.StatusBadRequest},
		{"plain HTTP, private link", h1, priv2, nil, "GET", "/v1/info", http.StatusBadRequest},
		{"peer certificate, full API on loopback", h1, loop, peerTo(h1.Name), "GET", "/v1/info", http.StatusForbidden},
		{"peer certificate, full API on the private link", h1, priv2, peerTo(""), "GET", "/v1/info", http.StatusForbidden},
		{"peer certificate, announce on the private link", h1, priv2, peerTo(""), "POST", "/v1/incoming", http.StatusForbidden},
		// Allowed by role; the per-migration token still refuses it.
		{"peer certificate, transfer without a token", h1, priv2, peerTo(""), "PUT", "/v1/incoming/" + strings.Repeat("ab", 32) + "/archive", http.StatusForbidden},
	} {
		status, body, err := viaSSH(ctx, tc.via, tc.addr, tc.cfg, tc.method, tc.path)
		switch {
		case tc.want == 0 && err == nil:
			t.Errorf("%s: answered %d %s, want a refused TLS handshake", tc.name, status, body)
		case tc.want == 0:
			t.Logf("%s: refused: %v", tc.name, err)
		case err != nil:
			t.Errorf("%s: %v, want %d", tc.name, err, tc.want)
		case status != tc.want:
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
		case status != http.StatusOK && strings.Contains(body, `"kernel"`):
			t.Errorf("%s: refused but answered the info: %s", tc.name, body)
		default:
			t.Logf("%s: %d %s", tc.name, status, strings.TrimSpace(body))
		}
	}
}

// listening returns the sorted local addresses listening on agentPort on h.
func listening(t *testing.T, h testbed.Host) []string {
	t.Helper()
	out := sshRun(t, h, time.Minute, "ss -ltnH 'sport = :"+agentPort+"'")
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) >= 4 {
			addrs = append(addrs, f[3])
		}
	}
	slices.Sort(addrs)
	return addrs
}

// viaSSH sends one request to addr as seen from host h: through an SSH
// connection to h, so the TCP connection starts on h (loopback or the
// private link). cfg nil: plain HTTP. It returns the status and body, or
// the error of the TLS handshake or the request.
func viaSSH(ctx context.Context, h testbed.Host, addr string, cfg *tls.Config, method, path string) (int, string, error) {
	c, err := h.Dial(ctx)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: cfg,
		DialContext: func(context.Context, string, string) (net.Conn, error) { return c.Dial("tcp", addr) }}
	scheme := "https://"
	if cfg == nil {
		scheme = "http://"
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var body io.Reader
	if method == http.MethodPut || method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(rctx, method, scheme+addr+path, body)
	if err != nil {
		return 0, "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(b), nil
}
