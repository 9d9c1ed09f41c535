package infra

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/testbed"
	"github.com/migrlab/migrlab/testbed/mtls"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAgentTLSFiles(t *testing.T) {
	l, _ := newLayout(t.TempDir(), "sec")
	hosts := certHosts(Spec{Backend: testbed.BackendLocal, Hosts: 2})
	if err := l.ensureAgentTLS(hosts); err != nil {
		t.Fatal(err)
	}
	// Modes: directory 0700, keys 0600.
	for path, want := range map[string]os.FileMode{
		l.keyDir(): 0o700, l.tlsDir(): 0o700,
		l.tlsFile("ca.key"): 0o600, l.tlsFile("vm1.key"): 0o600, l.tlsFile("vm2.key"): 0o600,
		l.tlsFile("orchestrator.key"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	ca := readCert(t, l.tlsFile("ca.crt"))
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for i, h := range hosts {
		c := readCert(t, l.tlsFile(h.Name+".crt"))
		if mtls.Role(c) != mtls.RoleHost || !slices.Equal(c.DNSNames, []string{h.Name}) {
			t.Errorf("%s: role %q, DNS SANs %v", h.Name, mtls.Role(c), c.DNSNames)
		}
		want := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP("10.10.0." + string(rune('1'+i)))}
		for _, ip := range want {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				t.Errorf("%s: IP SANs %v lack %v", h.Name, c.IPAddresses, ip)
			}
		}
		if len(c.IPAddresses) != len(want) {
			t.Errorf("%s: IP SANs %v, want exactly %v", h.Name, c.IPAddresses, want)
		}
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: h.Name, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("%s: %v", h.Name, err)
			}
		}
	}
	o := readCert(t, l.tlsFile("orchestrator.crt"))
	if mtls.Role(o) != mtls.RoleOrchestrator {
		t.Errorf("orchestrator certificate role %q", mtls.Role(o))
	}
	if _, err := o.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("the orchestrator's certificate is good for a server")
	}
	if _, err := o.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("orchestrator certificate: %v", err)
	}
	if _, err := mtls.LoadIdentity(l.tlsFile("ca.crt"), l.tlsFile("orchestrator.crt"), l.tlsFile("orchestrator.key")); err != nil {
		t.Error(err)
	}

	// A second Up keeps every file.
	before := map[string][]byte{}
	ents, _ := os.ReadDir(l.tlsDir())
	for _, e := range ents {
		before[e.Name()], _ = os.ReadFile(l.tlsFile(e.Name()))
	}
	if len(before) != 8 {
		t.Errorf("tls dir has %d files, want 8 (ca, vm1, vm2, orchestrator: crt + key)", len(before))
	}
	if err := l.ensureAgentTLS(hosts); err != nil {
		t.Fatal(err)
	}
	for name, b := range before {
		if a, _ := os.ReadFile(l.tlsFile(name)); !bytes.Equal(a, b) {
			t.Errorf("second ensureAgentTLS changed %s", name)
		}
	}
	// A host whose private address changed gets a new certificate, the CA stays.
	moved := append([]certHost(nil), hosts...)
	moved[1].PrivateAddr = "10.10.0.9"
	if err := l.ensureAgentTLS(moved); err != nil {
		t.Fatal(err)
	}
	if a, _ := os.ReadFile(l.tlsFile("vm2.crt")); bytes.Equal(a, before["vm2.crt"]) {
		t.Error("vm2's certificate was kept although its address changed")
	}
	for _, name := range []string{"ca.crt", "ca.key", "vm1.crt", "orchestrator.key"} {
		if a, _ := os.ReadFile(l.tlsFile(name)); !bytes.Equal(a, before[name]) {
			t.Errorf("%s changed", name)
		}
	}
	if err := l.checkAgentCert(moved[1]); err != nil {
		t.Error(err)
	}
	if err := l.checkAgentCert(hosts[1]); err == nil {
		t.Error("checkAgentCert accepted a certificate without the host's private address")
	}

	// Recorded for the orchestrator.
	at := l.agentTLSFor("vm1")
	if at == nil || at.ServerName != "vm1" || at.CertFile != l.tlsFile("orchestrator.crt") || at.CAFile != l.tlsFile("ca.crt") {
		t.Errorf("agentTLSFor(vm1) = %+v", at)
	}
	if at := l.agentTLSFor("vm7"); at != nil {
		t.Errorf("agentTLSFor(vm7) = %+v, want nil (no such host certificate)", at)
	}

	// Down removes them with the testbed.
	if err := Down(t.Context(), "sec", WithStateDir(l.root)); err != nil {
		t.Fatal(err)
	}
	if fileExists(l.tlsDir()) || fileExists(l.dir()) {
		t.Error("agent certificates left after Down")
	}
}

func TestAgentTLSRenewsExpiringCertificates(t *testing.T) {
	ca, err := mtls.NewCA("x")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	leaf := mtls.Leaf{Role: mtls.RoleOrchestrator, Name: "o"}
	c, k, _ := ca.Issue(leaf)
	os.WriteFile(filepath.Join(dir, "o.crt"), c, 0o644)
	os.WriteFile(filepath.Join(dir, "o.key"), k, 0o600)
	if !ca.Covers(filepath.Join(dir, "o.crt"), filepath.Join(dir, "o.key"), leaf) {
		t.Fatal("fresh certificate not covered")
	}
	other, _ := mtls.NewCA("y")
	if other.Covers(filepath.Join(dir, "o.crt"), filepath.Join(dir, "o.key"), leaf) {
		t.Error("certificate of another CA covered")
	}
	if ca.Covers(filepath.Join(dir, "o.crt"), filepath.Join(dir, "o.key"), mtls.Leaf{Role: mtls.RoleHost, Name: "o"}) {
		t.Error("certificate of another role covered")
	}
	if mtls.RenewBefore < 24*time.Hour {
		t.Errorf("RenewBefore = %v", mtls.RenewBefore)
	}
}

func TestTLSVarsOnlyWithAgent(t *testing.T) {
	l, _ := newLayout("/state", "e2e")
	if got := varsJSON(t, Spec{Name: "e2e"}, l, 2220); got["agent_tls_dir"] != nil {
		t.Errorf("agent_tls_dir without an agent: %v", got["agent_tls_dir"])
	}
	got := varsJSON(t, Spec{Name: "e2e", AgentBinary: "/bin/migrlab"}, l, 2220)
	if got["agent_tls_dir"] != "/state/testbeds/e2e/keys/tls" {
		t.Errorf("agent_tls_dir = %v", got["agent_tls_dir"])
	}
}

// TestCertHostsMatchModules keeps certHosts' names and addresses in step
// with the root modules that give the hosts their private addresses.
func TestCertHostsMatchModules(t *testing.T) {
	read := func(p string) string {
		b, err := modules.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct{ file, want string }{
		{"terraform/local/variables.tf", `default     = "10.10.0.0/24"`},
		{"terraform/local/main.tf", `private_addr       = cidrhost(var.private_cidr, count.index + 1)`},
		{"terraform/aws/variables.tf", `default     = "10.42.0.0/16"`},
		{"terraform/aws/main.tf", `subnet_cidr = cidrsubnet(var.vpc_cidr, 8, 0)`},
		{"terraform/aws/main.tf", `private_ip             = cidrhost(local.subnet_cidr, 10 + count.index + 1)`},
		{"terraform/aws/main.tf", `private_addr       = aws_instance.host[count.index].private_ip`},
		{"terraform/local/main.tf", `vm_names  = [for i in range(var.hosts) : "vm${i + 1}"]`},
		{"terraform/aws/main.tf", `vm_names    = [for i in range(var.hosts) : "vm${i + 1}"]`},
	} {
		if !strings.Contains(read(tc.file), tc.want) {
			t.Errorf("%s no longer has %q: update certHosts", tc.file, tc.want)
		}
	}
	got := certHosts(Spec{Backend: testbed.BackendAWS, Hosts: 2})
	if got[0] != (certHost{"vm1", "10.42.0.11"}) || got[1] != (certHost{"vm2", "10.42.0.12"}) {
		t.Errorf("aws: %v", got)
	}
	got = certHosts(Spec{Backend: testbed.BackendSSH, Servers: []Server{{PrivateAddr: "192.0.2.1"}, {Name: "b", PrivateAddr: "192.0.2.2"}}})
	if got[0] != (certHost{"host1", "192.0.2.1"}) || got[1] != (certHost{"b", "192.0.2.2"}) {
		t.Errorf("ssh: %v", got)
	}
}
