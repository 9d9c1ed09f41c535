package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentRefusesToStartWithoutTLS: a misconfigured install fails loudly,
// naming the fix, before it listens anywhere.
func TestAgentRefusesToStartWithoutTLS(t *testing.T) {
	state := t.TempDir()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"--tls-dir", "--insecure-no-tls", "testbed up"}},
		{[]string{"--tls-dir", filepath.Join(state, "missing")}, []string{"missing", "bring the testbed up again", "--insecure-no-tls"}},
		{[]string{"--tls-dir", state, "--insecure-no-tls"}, []string{"exclude each other"}},
	} {
		args := append([]string{"agent", "--listen", "127.0.0.1:0", "--state-dir", state}, tc.args...)
		_, stderr, err := runArgs(t, args...)
		if err == nil {
			t.Fatalf("%v: the agent started", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error()+stderr, w) {
				t.Errorf("%v: %v (stderr %q) does not mention %q", tc.args, err, stderr, w)
			}
		}
	}
}
