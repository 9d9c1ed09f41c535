package real

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/testbed"
)

// TestConnectNeedsAgentCertificates: a testbed state without the agent
// certificates fails before any connection, saying how to fix it.
func TestConnectNeedsAgentCertificates(t *testing.T) {
	_, err := Connect(context.Background(), testbed.Host{Name: "vm1", SSHAddr: "192.0.2.1", SSHPort: 22})
	if !errors.Is(err, ErrNoAgentTLS) || !strings.Contains(err.Error(), "migrlab testbed up") {
		t.Fatalf("Connect without certificates: %v", err)
	}
	dir := t.TempDir()
	_, err = Connect(context.Background(), testbed.Host{Name: "vm1", AgentTLS: &testbed.AgentTLS{
		CAFile: filepath.Join(dir, "ca.crt"), CertFile: filepath.Join(dir, "o.crt"), KeyFile: filepath.Join(dir, "o.key")}})
	if err == nil || !strings.Contains(err.Error(), "testbed up") {
		t.Fatalf("Connect with missing certificate files: %v", err)
	}
}
