package sim

import (
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestProfiledScenarioDirtiesLikeItsCurve: the scenario a profile's fit
// becomes (models.DirtyingModel.Scenario) makes the simulator's memory
// dirty what the fitted curve says, at every window a round could last.
func TestProfiledScenarioDirtiesLikeItsCurve(t *testing.T) {
	fit := models.DirtyingModel{Hot: 40, Pools: []models.WritePool{{N: 30, Rate: 400}, {N: 700, Rate: 50}}}
	var s models.Scenario
	s.Name = "profiled"
	s.Memory, s.Workload = fit.Scenario(9<<20, 4096)
	s.Network.Bandwidth = 1 << 20
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m := NewMemory(s, 1, false)
	m.Track(0)
	for _, w := range []float64{0.1, 0.5, 1, 5, 20, 60} {
		pages, _ := m.Dirty(time.Duration(w * float64(time.Second)))
		if want := fit.At(w); math.Abs(float64(pages)-want) > 1+0.01*want {
			t.Errorf("window %gs: the simulator dirties %d pages, the fitted curve %.1f", w, pages, want)
		}
	}
}
