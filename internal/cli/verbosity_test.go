package cli

import (
	"strings"
	"testing"
)

// TestQuietAndVerbose: every command takes -q and -v; -q drops progress and
// keeps warnings, -v on sim shows the scenario as simulated, both at once
// are refused; standard output is the same.
func TestQuietAndVerbose(t *testing.T) {
	for _, cmd := range App().Commands {
		if !hasFlag(cmd.Flags, quietName) || !hasFlag(cmd.Flags, verboseName) {
			t.Errorf("%s lacks -q or -v", cmd.Name)
		}
	}
	plain, plainErr, code := run(t, "sim", "-t", "cold", "--no-analytic", "-f", "csv")
	if code != ExitOK {
		t.Fatalf("sim: exit %d: %s", code, plainErr)
	}
	out, errOut, _ := run(t, "sim", "-t", "cold", "--no-analytic", "-f", "csv", "-v")
	if out != plain || !strings.Contains(errOut, "as simulated (defaults applied") || !strings.Contains(errOut, "#   memory:") {
		t.Errorf("sim -v: stdout changed or no scenario on stderr:\n%s", errOut)
	}
	if _, _, code := run(t, "sim", "-q", "-v"); code != ExitUsage {
		t.Errorf("-q -v: exit %d, want %d", code, ExitUsage)
	}
	var q warningsOnly
	var b strings.Builder
	q.w = &b
	q.Write([]byte("[ 1s] step one\nwarning: the link is slow\npart"))
	q.Write([]byte("ial progress\n  warning: indented\n"))
	if got := b.String(); got != "warning: the link is slow\n  warning: indented\n" {
		t.Errorf("-q kept %q", got)
	}
}
