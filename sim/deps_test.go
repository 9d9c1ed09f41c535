package sim

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSimImportsOnlyModels keeps the simulator free of the real backend, the
// testbed, the reports and the CLI: it may import models and the standard
// library only.
func TestSimImportsOnlyModels(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	allowed := map[string]bool{
		"github.com/migrlab/migrlab/sim":    true,
		"github.com/migrlab/migrlab/models": true,
		"gopkg.in/yaml.v3":                  true, // through models
	}
	for _, dep := range strings.Fields(string(out)) {
		if !allowed[dep] {
			t.Errorf("sim depends on %s", dep)
		}
	}
}
