package cli

import (
	"os"
	"strings"
	"testing"
)

// TestCompletion: the scripts name their shell; the binary lists its
// commands, and a command's flags after a "-", as the scripts ask.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o bashdefault", "zsh": "bashcompinit", "fish": "complete -c migrlab"} {
		out, errOut, code := run(t, "completion", shell)
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, want %q in:\n%.300s\n%s", shell, code, want, out, errOut)
		}
	}
	if _, _, code := run(t, "completion", "tcsh"); code != ExitUsage {
		t.Errorf("completion tcsh: exit %d, want %d", code, ExitUsage)
	}
	// urfave/cli reads the word before the request from os.Args.
	complete := func(args ...string) string {
		saved := os.Args
		defer func() { os.Args = saved }()
		os.Args = append([]string{"migrlab"}, args...)
		out, _, _ := run(t, args...)
		return out
	}
	out := complete("--generate-bash-completion")
	for _, cmd := range []string{"sim", "sweep", "profile", "compare", "completion"} {
		if !strings.Contains(out, cmd+"\n") {
			t.Errorf("the commands offered lack %s:\n%s", cmd, out)
		}
	}
	out = complete("sweep", "-", "--generate-bash-completion")
	for _, flag := range []string{"--shard", "--out"} {
		if !strings.Contains(out, flag) {
			t.Errorf("sweep's flags offered lack %s:\n%s", flag, out)
		}
	}
}
