package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// TestExamples runs every example scenario of the repository with every
// technique (repetition 0); an example that is a sweep or is not a scenario
// is skipped, one without a network (for a real testbed's own link) is
// refused.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Skip("no examples")
	}
	ran := 0
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := models.ParseScenario(r)
		r.Close()
		if err != nil {
			continue // a sweep, or a scenario for the real backend only
		}
		if s.Network.Native() {
			// The testbed's own link: simulated only with a calibration's.
			if _, err := Run(context.Background(), s, models.Cold, 0); !errors.Is(err, models.ErrNoLink) {
				t.Errorf("%s has no network: %v, want models.ErrNoLink", filepath.Base(f), err)
			}
			continue
		}
		for _, tech := range models.TechniqueNames {
			rec, err := Run(context.Background(), s, tech, 0)
			if err != nil {
				t.Errorf("%s %s: %v", filepath.Base(f), tech, err)
				continue
			}
			if m := rec.Metrics; m.TotalTimeS <= 0 || m.DowntimeS < 0 || m.DowntimeS > m.TotalTimeS || m.BytesSent <= 0 {
				t.Errorf("%s %s: implausible metrics %+v", filepath.Base(f), tech, m)
			}
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no example scenario ran")
	}
}
