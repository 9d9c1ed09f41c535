// Package real is migrlab's real backend: it implements models.Env on live
// Podman hosts, so the same technique policies that run in the simulator
// migrate real containers.
//
// The orchestrator (this package) only sends commands to the per-host agents
// (package real/agent) and collects their measurements; checkpoint data goes
// from the source agent to the target agent directly over the hosts' private
// link. Each agent is reached through an SSH connection to its host (verifying
// the host key recorded in the testbed's hosts file, package testbed), so the agents listen on loopback
// and on the private link only; on both they require mutual TLS with the
// testbed's certificates (package testbed/mtls), the orchestrator
// presenting its own client certificate.
package real

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/testbed"
	"github.com/migrlab/migrlab/testbed/mtls"
	"golang.org/x/crypto/ssh"
)

// Host is a testbed host with a connection to its agent.
type Host struct {
	// Name is the host's name in the testbed (vm1, ...).
	Name string
	// PrivateAddr is the host's private-link address: the peer agents send
	// checkpoint data to it, and workloads are probed at it.
	PrivateAddr string
	// AgentPort is the agent's port (on loopback and the private link).
	AgentPort int
	// Facts are the host's versions and settings.
	Facts testbed.Facts
	// Agent is the client of the host's agent.
	Agent *agent.Client

	ssh  *ssh.Client
	sudo string
}

// Exec runs a shell script on the host as root (through sudo -n when the
// SSH user is not root) and returns its standard output. Cancelling ctx
// closes the session; the script must end by itself (it is not killed).
func (h *Host) Exec(ctx context.Context, script string) (string, error) {
	if h.ssh == nil {
		return "", fmt.Errorf("%s: no SSH connection", h.Name)
	}
	s, err := h.ssh.NewSession()
	if err != nil {
		return "", fmt.Errorf("%s: ssh session: %w", h.Name, err)
	}
	defer s.Close()
	var out, errb strings.Builder
	s.Stdin, s.Stdout, s.Stderr = strings.NewReader(script), &out, &errb
	done := make(chan error, 1)
	go func() { done <- s.Run(h.sudo + "sh -s") }()
	select {
	case err = <-done:
	case <-ctx.Done():
		s.Close()
		return out.String(), ctx.Err()
	}
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", h.Name, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// TransferAddr is the address peer agents send checkpoint data to.
func (h *Host) TransferAddr() string {
	return net.JoinHostPort(h.PrivateAddr, strconv.Itoa(h.AgentPort))
}

// Close closes the host's SSH connection.
func (h *Host) Close() error {
	if h.Agent != nil {
		h.Agent.Close()
	}
	if h.ssh != nil {
		return h.ssh.Close()
	}
	return nil
}

// ErrNoAgentTLS means the testbed state has no agent certificates.
var ErrNoAgentTLS = errors.New("the testbed state has no agent certificates (it was brought up without an agent " +
	"or by an older migrlab): bring the testbed up again with this migrlab version: " +
	"`migrlab testbed up --name NAME --agent-binary PATH` (or down, then up)")

// Connect opens an SSH connection to h (verifying its recorded host key)
// and checks that its agent answers through it, over HTTPS with the
// orchestrator's certificate from the testbed state (h.AgentTLS).
func Connect(ctx context.Context, h testbed.Host) (*Host, error) {
	tlsCfg, err := agentTLS(h)
	if err != nil {
		return nil, err
	}
	c, err := h.Dial(ctx)
	if err != nil {
		return nil, err
	}
	port := h.AgentPort
	if port == 0 {
		port = agent.DefaultPort
	}
	local := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialSSH(ctx, c, network, local)
	}
	host := &Host{Name: h.Name, PrivateAddr: h.PrivateAddr, AgentPort: port, Facts: h.Facts,
		Agent: agent.NewClientTLS(h.Name, local, dial, tlsCfg), ssh: c}
	if h.SSHUser != "" && h.SSHUser != "root" {
		host.sudo = "sudo -n "
	}
	ictx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := host.Agent.Info(ictx); err != nil {
		host.Close()
		return nil, fmt.Errorf("%s: the migrlab agent does not answer (is migrlab-agent.service installed and running? "+
			"bring the testbed up with an agent binary): %w", h.Name, err)
	}
	return host, nil
}

// agentTLS is the client TLS configuration for h's agent: the orchestrator's
// certificate, the testbed CA, and h's name as the server name.
func agentTLS(h testbed.Host) (*tls.Config, error) {
	t := h.AgentTLS
	if t == nil {
		return nil, fmt.Errorf("%s: %w", h.Name, ErrNoAgentTLS)
	}
	id, err := mtls.LoadIdentity(t.CAFile, t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: agent certificates: %w (bring the testbed up again: `migrlab testbed up --name NAME --agent-binary PATH`)", h.Name, err)
	}
	name := t.ServerName
	if name == "" {
		name = h.Name
	}
	return id.ClientConfig(name), nil
}

// dialSSH is ssh.Client.Dial bounded by ctx.
func dialSSH(ctx context.Context, c *ssh.Client, network, addr string) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		conn, err := c.Dial(network, addr)
		ch <- res{conn, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// Testbed is a connected set of hosts.
type Testbed struct {
	Name string
	// Dir is the testbed's state directory (journal of migrations in
	// progress: see Recover).
	Dir string
	// Accel is the VMs' accelerator (kvm, tcg) or "none".
	Accel string
	Hosts []*Host
}

// Open connects to every host of tb and its agent.
func Open(ctx context.Context, tb *testbed.Testbed) (*Testbed, error) {
	if len(tb.Hosts) < 2 {
		return nil, fmt.Errorf("testbed %s has %d hosts; a migration needs 2", tb.Name, len(tb.Hosts))
	}
	out := &Testbed{Name: tb.Name, Dir: tb.Dir, Accel: tb.Accel, Hosts: make([]*Host, len(tb.Hosts))}
	errs := make([]error, len(tb.Hosts))
	var wg sync.WaitGroup
	for i, h := range tb.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Hosts[i], errs[i] = Connect(ctx, h)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// Close closes every host connection.
func (t *Testbed) Close() error {
	var errs []error
	for _, h := range t.Hosts {
		if h != nil {
			errs = append(errs, h.Close())
		}
	}
	return errors.Join(errs...)
}

// Host returns the host named name.
func (t *Testbed) Host(name string) (*Host, error) {
	for _, h := range t.Hosts {
		if h.Name == name {
			return h, nil
		}
	}
	return nil, fmt.Errorf("testbed %s has no host %q", t.Name, name)
}
