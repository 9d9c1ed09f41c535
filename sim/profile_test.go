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
	for _, fit := range []models.DirtyingModel{
		{Hot: 40, Pools: []models.WritePool{{N: 30, Rate: 400}, {N: 700, Rate: 50}}},
		{Pools: []models.WritePool{{N: 1328, Rate: 42}}, Runtime: models.WritePool{N: 74, Rate: 451}},
	} {
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
				t.Errorf("%+v, window %gs: the simulator dirties %d pages, the fitted curve %.1f", fit, w, pages, want)
			}
		}
	}
}

// curveScenario is a 4 MiB container whose measured curve dirties 100
// pages within 1 s and 500 within 10 s, its model (50 page writes a second
// over 1000 pages) extending it.
func curveScenario() models.Scenario {
	var s models.Scenario
	s.Name = "curve"
	s.Memory.Size = 4 << 20
	s.Workload = models.Workload{DirtyRate: 50 * 4096, WWS: 1000 * 4096,
		Curve: models.DirtyCurve{Points: []models.DirtyPoint{{Window: models.Duration(time.Second), Bytes: 100 * 4096},
			{Window: models.Duration(10 * time.Second), Bytes: 500 * 4096}}}}
	s.Network.Bandwidth = 1 << 20
	return s.WithDefaults()
}

// TestMemoryFollowsTheCurve: the dirty pages rise from 0 to the first
// point, are linear between points, extend by the model beyond the last,
// run twice as fast under a rate trace at twice the rate, and Reach finds
// the window a count needs.
func TestMemoryFollowsTheCurve(t *testing.T) {
	s := curveScenario()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	sec := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	m := NewMemory(s, 1, true) // exhaustive asked: a curve has no pages to draw, so it stays the curve
	m.Track(0)
	beyond := 500 + 1000*(math.Exp(-0.5)-math.Exp(-1))
	for _, c := range []struct{ at, want float64 }{{0.5, 50}, {1, 100}, {5.5, 300}, {10, 500}, {20, beyond}} {
		if pages, _ := m.Dirty(sec(c.at)); math.Abs(float64(pages)-c.want) > 0.51 {
			t.Errorf("Dirty(%gs) = %d pages, want %.1f", c.at, pages, c.want)
		}
	}
	if at, ok := m.Reach(300*4096, 0, sec(100)); !ok || math.Abs(at.Seconds()-5.5) > 0.02 { // 299.5 pages round to 300
		t.Errorf("Reach(300 pages) = %s, %v; want 5.5s", at, ok)
	}
	m.Track(sec(4)) // a new round: the window starts again
	if pages, _ := m.Dirty(sec(5)); pages != 100 {
		t.Errorf("1 s into a new round: %d pages, want 100", pages)
	}
	s.Workload.RateTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 2}}}
	m = NewMemory(s, 1, false)
	m.Track(0)
	if pages, _ := m.Dirty(sec(2.75)); pages != 300 {
		t.Errorf("at twice the rate, 2.75 s: %d pages, want the curve's 300 at 5.5 s", pages)
	}
}

// TestSimulatesACurve: every technique simulates a curve scenario, and the
// curve, not the model alone, sets what pre-copy sends.
func TestSimulatesACurve(t *testing.T) {
	s := curveScenario()
	plain := s
	plain.Workload.Curve = models.DirtyCurve{}
	for _, tech := range []string{models.Cold, models.PreCopy, models.MiGrror, models.PostCopy} {
		rec, err := Run(t.Context(), s, tech, 0)
		if err != nil || rec.Error != "" {
			t.Fatalf("%s: %v %s", tech, err, rec.Error)
		}
		if tech != models.PreCopy {
			continue
		}
		other, err := Run(t.Context(), plain, tech, 0)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Metrics.BytesSent == other.Metrics.BytesSent {
			t.Errorf("pre-copy sends %d bytes with the curve and without it", rec.Metrics.BytesSent)
		}
	}
	if _, ok, _ := AnalyticRecord(s, models.PreCopy, 0); ok {
		t.Error("the closed form took a measured curve")
	}
}
