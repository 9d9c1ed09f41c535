package cli

import (
	"slices"
	"testing"

	"github.com/migrlab/migrlab/testbed"
)

// TestSSHArgsEndOptionsBeforeTheHost: `migrlab testbed ssh` ends ssh's
// options before the destination, so neither the destination nor the
// command can be read as an option.
func TestSSHArgsEndOptionsBeforeTheHost(t *testing.T) {
	tb := &testbed.Testbed{KnownHosts: "/k"}
	h := testbed.Host{SSHUser: "root", SSHAddr: "192.0.2.1", SSHPort: 22, KeyPath: "/id"}
	args := sshArgs(tb, h, []string{"-oProxyCommand=x", "ls"})
	i := slices.Index(args, "--")
	if i < 0 || args[i+1] != "root@192.0.2.1" || !slices.Equal(args[i+2:], []string{"-oProxyCommand=x", "ls"}) {
		t.Errorf("ssh %v: want -- before the destination, the command after it", args)
	}
}
