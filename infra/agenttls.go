package infra

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/migrlab/migrlab/testbed"
	"github.com/migrlab/migrlab/testbed/mtls"
)

// Private-link addresses the root modules give their hosts (variables.tf
// defaults; TestCertHostsMatchModules keeps them in step).
const (
	localPrivateNet = "10.10.0." // local: cidrhost(private_cidr, K), private_cidr 10.10.0.0/24
	awsPrivateNet   = "10.42.0." // aws: cidrhost(cidrsubnet(vpc_cidr, 8, 0), 10 + K), vpc_cidr 10.42.0.0/16
)

// certHost is a host that gets an agent certificate.
type certHost struct {
	Name, PrivateAddr string
}

// certHosts lists the hosts of s with the names and private addresses the
// root module will give them.
func certHosts(s Spec) []certHost {
	var hs []certHost
	switch s.Backend {
	case testbed.BackendSSH:
		for i, sv := range s.Servers {
			name := sv.Name
			if name == "" {
				name = "host" + strconv.Itoa(i+1)
			}
			hs = append(hs, certHost{name, sv.PrivateAddr})
		}
	case testbed.BackendAWS:
		for i := 1; i <= s.Hosts; i++ {
			hs = append(hs, certHost{"vm" + strconv.Itoa(i), awsPrivateNet + strconv.Itoa(10+i)})
		}
	default:
		for i := 1; i <= s.Hosts; i++ {
			hs = append(hs, certHost{"vm" + strconv.Itoa(i), localPrivateNet + strconv.Itoa(i)})
		}
	}
	return hs
}

func (l layout) tlsDir() string          { return filepath.Join(l.keyDir(), "tls") }
func (l layout) tlsFile(n string) string { return filepath.Join(l.tlsDir(), n) }

// hostLeaf is the certificate of host h: its name, loopback and its private address.
func hostLeaf(h certHost) mtls.Leaf {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if ip := net.ParseIP(h.PrivateAddr); ip != nil {
		ips = append(ips, ip)
	}
	return mtls.Leaf{Role: mtls.RoleHost, Name: h.Name, IPs: ips}
}

var orchestratorLeaf = mtls.Leaf{Role: mtls.RoleOrchestrator, Name: "migrlab-orchestrator"}

// ensureAgentTLS makes, once per testbed, the agents' CA (keys/tls/ca.crt,
// ca.key), a certificate per host (NAME.crt, NAME.key) and the orchestrator's
// client certificate (orchestrator.crt, orchestrator.key). Existing files are
// kept while they still fit (same CA, name, addresses, not about to expire).
// Keys are 0600, the directory 0700.
func (l layout) ensureAgentTLS(hosts []certHost) error {
	dir := l.tlsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	caCert, caKey := l.tlsFile("ca.crt"), l.tlsFile("ca.key")
	ca, err := mtls.LoadCA(caCert, caKey)
	if err != nil {
		if fileExists(caCert) || fileExists(caKey) {
			return fmt.Errorf("agent CA in %s is unusable (run down to start over): %w", dir, err)
		}
		if ca, err = mtls.NewCA(l.name); err != nil {
			return err
		}
		if err := ca.WriteCA(caCert, caKey); err != nil {
			return err
		}
	}
	issue := func(base string, leaf mtls.Leaf) error {
		cf, kf := l.tlsFile(base+".crt"), l.tlsFile(base+".key")
		if ca.Covers(cf, kf, leaf) {
			return nil
		}
		c, k, err := ca.Issue(leaf)
		if err != nil {
			return err
		}
		if err := mtls.WriteFile(kf, k, 0o600); err != nil {
			return err
		}
		return mtls.WriteFile(cf, c, 0o644)
	}
	for _, h := range hosts {
		if h.Name == "orchestrator" || h.Name == "ca" {
			return fmt.Errorf("host name %q is reserved", h.Name)
		}
		if err := issue(h.Name, hostLeaf(h)); err != nil {
			return err
		}
	}
	return issue("orchestrator", orchestratorLeaf)
}

// agentTLSFor returns where the orchestrator's certificate for host name is,
// or nil if the testbed has none (brought up without an agent, or by an
// older migrlab).
func (l layout) agentTLSFor(name string) *testbed.AgentTLS {
	t := &testbed.AgentTLS{CAFile: l.tlsFile("ca.crt"), CertFile: l.tlsFile("orchestrator.crt"),
		KeyFile: l.tlsFile("orchestrator.key"), ServerName: name}
	for _, f := range []string{t.CAFile, t.CertFile, t.KeyFile, l.tlsFile(name + ".crt")} {
		if !fileExists(f) {
			return nil
		}
	}
	return t
}

// checkAgentCert fails when the agent certificate made before the apply
// does not name the private address Terraform reported for the host (the
// peer agents would refuse it).
func (l layout) checkAgentCert(h certHost) error {
	ca, err := mtls.LoadCA(l.tlsFile("ca.crt"), l.tlsFile("ca.key"))
	if err != nil {
		return fmt.Errorf("infra: agent CA: %w", err)
	}
	if !ca.Covers(l.tlsFile(h.Name+".crt"), l.tlsFile(h.Name+".key"), hostLeaf(h)) {
		return fmt.Errorf("infra: the agent certificate %s does not name host %s at private address %s "+
			"(did the module's addresses change?): run down, then up", l.tlsFile(h.Name+".crt"), h.Name, h.PrivateAddr)
	}
	return nil
}
