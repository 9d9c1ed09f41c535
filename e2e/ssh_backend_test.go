//go:build e2e

package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/testbed"
)

// TestSSHBackendOverExistingServers applies the ssh root module (the same
// host module) to the shared testbed's VMs as if they were existing servers,
// then removes that second testbed again.
func TestSSHBackendOverExistingServers(t *testing.T) {
	tb := requireTestbed(t)
	var servers []infra.Server
	for _, h := range tb.Hosts {
		servers = append(servers, infra.Server{Name: h.Name, Address: h.SSHAddr, Port: h.SSHPort, User: h.SSHUser,
			PrivateKeyPath: h.KeyPath, HostKey: h.HostKey, PrivateAddr: h.PrivateAddr})
	}
	ctx, cancel := context.WithTimeout(testCtx, 15*time.Minute)
	defer cancel()
	const name = "e2e-ssh"
	defer func() {
		if err := infra.Down(context.WithoutCancel(ctx), name, infra.WithStateDir(testbedSpec.StateDir)); err != nil {
			t.Errorf("down %s: %v", name, err)
		}
	}()
	start := time.Now()
	sb, err := infra.Up(ctx, infra.Spec{Name: name, Backend: testbed.BackendSSH, Servers: servers,
		StateDir: testbedSpec.StateDir, Progress: os.Stderr})
	if err != nil {
		t.Fatalf("ssh backend up: %v", err)
	}
	t.Logf("ssh backend up in %.0fs", time.Since(start).Seconds())
	if sb.Backend != testbed.BackendSSH || sb.Accel != "none" || len(sb.Hosts) != len(tb.Hosts) {
		t.Fatalf("ssh testbed: backend %s, accel %s, %d hosts", sb.Backend, sb.Accel, len(sb.Hosts))
	}
	for i, h := range sb.Hosts {
		want := tb.Hosts[i]
		if h.Facts.Kernel != want.Facts.Kernel || h.Facts.CRIU != want.Facts.CRIU || h.Facts.Runtime != "runc" ||
			h.PrivateAddr != want.PrivateAddr || h.HostKey != want.HostKey {
			t.Errorf("%s over ssh backend: %+v, local: %+v", h.Name, h, want)
		}
	}
}
