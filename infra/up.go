package infra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/migrlab/migrlab/testbed"
)

// Up makes the testbed described by spec, or brings an existing one to it:
// it writes the embedded modules and the variables into the testbed
// directory, applies them with Terraform, reads the facts every host's
// preflight recorded, and writes hosts.json. Calling Up again on a testbed
// that is up changes nothing and returns the same hosts.
func Up(ctx context.Context, spec Spec) (*testbed.Testbed, error) {
	s, err := normalize(spec)
	if err != nil {
		return nil, err
	}
	if err := checkLocalFiles(s); err != nil {
		return nil, err
	}
	l, err := newLayout(s.StateDir, s.Name)
	if err != nil {
		return nil, err
	}
	p := newProgress(s.Progress, s.Name)
	bin, err := FindTerraform(s.Terraform)
	if err != nil {
		return nil, err
	}
	if s.Backend == testbed.BackendLocal && !s.SkipDeps {
		if err := EnsureLocalDeps(ctx, s.Progress); err != nil {
			return nil, err
		}
	}
	unlock, err := l.lock("migrlab testbed up")
	if err != nil {
		return nil, err
	}
	defer unlock()

	if old, err := l.readSpec(); err == nil && old.Backend != s.Backend {
		return nil, fmt.Errorf("infra: testbed %q exists with backend %s; run down first", s.Name, old.Backend)
	}
	if err := os.MkdirAll(l.dir(), 0o700); err != nil {
		return nil, err
	}
	if err := writeJSON(l.specFile(), savedSpec{Name: s.Name, Backend: s.Backend}, 0o600); err != nil {
		return nil, err
	}
	if err := l.writeModules(); err != nil {
		return nil, fmt.Errorf("infra: writing modules: %w", err)
	}
	if s.Backend != testbed.BackendSSH {
		if err := l.ensureKeys(s.Hosts); err != nil {
			return nil, fmt.Errorf("infra: keys: %w", err)
		}
	}
	if s.AgentBinary != "" {
		if err := l.ensureAgentTLS(certHosts(s)); err != nil {
			return nil, fmt.Errorf("infra: agent certificates: %w", err)
		}
	}
	portBase, err := l.portBase(s)
	if err != nil {
		return nil, err
	}
	if s.Backend == testbed.BackendLocal {
		if err := l.writeLocalKnownHosts(s.Hosts, portBase); err != nil {
			return nil, err
		}
	}
	vars, err := tfVars(s, l, portBase)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(l.varsFile(s.Backend), vars, 0o600); err != nil {
		return nil, err
	}

	logf, err := os.OpenFile(l.logFile(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== up %s %s ====\n", s.Name, time.Now().Format(time.RFC3339))
	log := io.MultiWriter(logf, &scriptLines{p: p})
	if s.Log != nil {
		log = io.MultiWriter(log, s.Log)
	}
	tf, err := newTerraform(bin, l.workdir(s.Backend), log)
	if err != nil {
		return nil, err
	}
	p.printf("terraform init (%s backend, %s)", s.Backend, l.dir())
	if err := tf.Init(ctx); err != nil {
		return nil, l.tfError("init", err)
	}
	for _, st := range stages(s.Backend) {
		t0 := time.Now()
		p.printf("%s ...", st.Name)
		if err := tf.Apply(ctx, st.applyOptions()...); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("infra: up %s interrupted during %s (run down to clean up): %w", s.Name, st.Name, ctx.Err())
			}
			return nil, l.tfError(st.Name, err)
		}
		p.printf("%s done in %.0fs", st.Name, time.Since(t0).Seconds())
	}
	out, err := tf.Output(ctx)
	if err != nil {
		return nil, l.tfError("output", err)
	}
	o, err := parseOutputs(out)
	if err != nil {
		return nil, err
	}
	tb, err := l.collect(ctx, s, o, p)
	if err != nil {
		return nil, err
	}
	tb.UpSeconds = p.elapsed().Seconds()
	if err := testbed.Write(l.hostsFile(), tb); err != nil {
		return nil, err
	}
	p.printf("up: %d hosts, accel %s, in %.0fs", len(tb.Hosts), tb.Accel, tb.UpSeconds)
	return tb, nil
}

// portBase keeps the SSH port base of an existing local testbed, or finds a free one.
func (l layout) portBase(s Spec) (int, error) {
	if s.Backend != testbed.BackendLocal {
		return 0, nil
	}
	var old struct {
		Base *int `json:"ssh_port_base"`
	}
	if b, err := os.ReadFile(l.varsFile(s.Backend)); err == nil && json.Unmarshal(b, &old) == nil && old.Base != nil {
		return *old.Base, nil
	}
	return freePortBase(s.Hosts)
}

// collect turns Terraform's outputs into Hosts, reading each host's facts over SSH.
func (l layout) collect(ctx context.Context, s Spec, o outputs, p *progress) (*testbed.Testbed, error) {
	tb := &testbed.Testbed{Name: s.Name, Backend: s.Backend, Dir: l.dir(), Accel: o.Accel, KnownHosts: l.knownHosts()}
	for _, th := range o.Hosts {
		h := testbed.Host{
			Name: th.Name, SSHAddr: th.SSHAddr, SSHPort: th.SSHPort, SSHUser: th.SSHUser,
			KeyPath: th.PrivateKeyPath, HostKey: publicLine(th.HostKey), PrivateAddr: th.PrivateAddr,
			PodmanSocket: th.PodmanSocket, AgentPort: th.AgentPort,
		}
		fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		stdout, stderr, err := h.Run(fctx, "cat "+th.FactsPath)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("infra: reading facts of %s: %w: %s", h.Name, err, stderr)
		}
		if err := json.Unmarshal(stdout, &h.Facts); err != nil {
			return nil, fmt.Errorf("infra: facts of %s: %w", h.Name, err)
		}
		h.Facts.Accel = o.Accel
		if s.AgentBinary != "" {
			if err := l.checkAgentCert(certHost{th.Name, th.PrivateAddr}); err != nil {
				return nil, err
			}
			h.AgentTLS = l.agentTLSFor(h.Name)
		}
		p.printf("%s: kernel %s, podman %s, criu %s, %s %s, thp %s", h.Name, h.Facts.Kernel, h.Facts.Podman,
			h.Facts.CRIU, h.Facts.Runtime, h.Facts.RuntimeVersion, h.Facts.THP)
		tb.Hosts = append(tb.Hosts, h)
	}
	if len(tb.Hosts) == 0 {
		return nil, errors.New("infra: terraform reported no hosts")
	}
	if err := testbed.WriteFile(l.knownHosts(), []byte(knownHostsLines(tb.Hosts)), 0o600); err != nil {
		return nil, err
	}
	return tb, nil
}

// tfError wraps a failed Terraform command with where to read its full output
// and the last lines of that output (for a human; nothing is parsed from it).
func (l layout) tfError(step string, err error) error {
	tail := ""
	if b, rerr := os.ReadFile(l.logFile()); rerr == nil {
		tail = lastLines(string(b), 25)
	}
	return fmt.Errorf("infra: terraform %s failed (full log: %s): %w\n--- last lines of the log ---\n%s", step, l.logFile(), err, tail)
}

func lastLines(s string, n int) string {
	lines := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			lines++
			if lines > n {
				return s[i+1:]
			}
		}
	}
	return s
}
