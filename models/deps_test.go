package models

import (
	"os/exec"
	"strings"
	"testing"
)

// TestModelsImportsNoEnvironment keeps the technique model pure: it must not
// depend on the simulator, the real backend, the testbed or the reports.
func TestModelsImportsNoEnvironment(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/sim", "/real", "/infra", "/reports", "/internal/cli", "containers/podman"} {
			if strings.HasPrefix(dep, "github.com/migrlab/migrlab") && strings.Contains(dep, banned) || strings.Contains(dep, "containers/podman") {
				t.Errorf("models depends on %s", dep)
			}
		}
	}
}
