package sim

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// memScenario: pages of 4 KiB, the dirty rate given in page writes per second.
func memScenario(pages, wwsPages int64, writesPerSec, hotFraction, hotShare float64) models.Scenario {
	s := models.Scenario{Name: "mem"}
	s.Memory = models.Memory{Size: models.ByteSize(pages * 4096), PageSize: 4096}
	s.Workload = models.Workload{DirtyRate: models.Rate(writesPerSec * 4096), WWS: models.ByteSize(wwsPages * 4096),
		HotFraction: hotFraction, HotShare: hotShare}
	s.Network.Bandwidth = 100e6
	return s.WithDefaults()
}

// TestOccupancyMatchesPerPageSimulation validates the occupancy math of the
// pages model against the exhaustive per-page bitset over a grid of WWS sizes,
// write counts and hot/cold splits: within 1%.
func TestOccupancyMatchesPerPageSimulation(t *testing.T) {
	for _, w := range []int64{20_000, 100_000} {
		for _, hc := range [][2]float64{{0, 0}, {0.1, 0.9}, {0.3, 0.6}} {
			for _, k := range []float64{0.1, 0.5, 1, 3} { // writes per WWS page
				s := memScenario(2*w, w, float64(w), hc[0], hc[1]) // w writes per second
				fast := NewMemory(s, 1, false)
				fast.Track(0)
				at := time.Duration(k * float64(time.Second))
				fp, _ := fast.Dirty(at)
				// The mean of 4 seeded per-page runs.
				sp := 0.0
				for rep := range 4 {
					slow := NewMemory(s, models.DeriveSeed(s, rep), true)
					slow.Track(0)
					p, _ := slow.Dirty(at)
					sp += float64(p) / 4
				}
				if e := relErr(float64(fp), sp); e > 0.01 {
					t.Errorf("W=%d hot=%v k=%v: occupancy %d pages, per-page mean %.1f (%.2f%% off)", w, hc, k, fp, sp, 100*e)
				}
				// And the occupancy formula itself, for one pool.
				if hc[0] == 0 {
					want := float64(w) * (1 - math.Pow(1-1/float64(w), k*float64(w)))
					if math.Abs(float64(fp)-want) > 0.5 {
						t.Errorf("W=%d k=%v: %d pages, W(1-(1-1/W)^k) = %.2f", w, k, fp, want)
					}
				}
			}
		}
	}
}

// TestUniquePages: a page dirtied twice within a round is sent once.
func TestUniquePages(t *testing.T) {
	cases := []struct {
		name       string
		wws        int64
		writes     float64
		exhaustive bool
		want       int64
	}{
		// 4 writes over 4 pages: 4(1-(3/4)^4) = 2.73 distinct pages expected.
		{"4 writes on 4 pages", 4, 4, false, 3},
		{"1000 writes on one page", 1, 1000, false, 1},
		{"1000 writes on one page, per page", 1, 1000, true, 1},
		{"5000 writes on 8 pages, per page", 8, 5000, true, 8},
		{"5000 writes on 8 pages", 8, 5000, false, 8},
		{"10 writes on 1e6 pages", 1_000_000, 10, false, 10},
	}
	for _, c := range cases {
		s := memScenario(max(c.wws, 16), c.wws, c.writes, 0, 0) // c.writes per second
		m := NewMemory(s, 42, c.exhaustive)
		m.Track(0)
		pages, bytes := m.Track(time.Second)
		if pages != c.want || bytes != c.want*4096 {
			t.Errorf("%s: %d pages (%d bytes), want %d", c.name, pages, bytes, c.want)
		}
		if p, _ := m.Dirty(time.Second); p != 0 {
			t.Errorf("%s: %d pages dirty right after a round start", c.name, p)
		}
	}
	// Per page, distinct pages never exceed writes.
	m := NewMemory(memScenario(1<<16, 1<<10, 100, 0, 0), 7, true)
	m.Track(0)
	if p, _ := m.Dirty(time.Second); p > 100 || p < 90 {
		t.Errorf("100 writes over 1024 pages dirtied %d pages", p)
	}
}

// TestReachInvertsOccupancy: Reach returns the first nanosecond at which the
// dirty set reaches the target, for one or two pools, with a rate trace, in
// the pages, exhaustive and analytic models.
func TestReachInvertsOccupancy(t *testing.T) {
	trace := models.Trace{Points: []models.TracePoint{{At: 0, Factor: 1}, {At: models.Duration(300 * time.Millisecond), Factor: 0},
		{At: models.Duration(500 * time.Millisecond), Factor: 3}}}
	// A runtime of 2000 pages, 300 of them hot, the rest written 500 times a second.
	runtime := models.RuntimeDirtying{Memory: 2000 * 4096, Hot: 300 * 4096, Rate: 500 * 4096}
	for _, model := range []string{"pages", "exhaustive", "analytic"} {
		for _, hc := range [][2]float64{{0, 0}, {0.2, 0.8}} {
			for _, tr := range []models.Trace{{}, trace} {
				for ti, target := range []int64{1, 4096, 100 * 4096, 5000 * 4096, 9000 * 4096, 11_000 * 4096} {
					for _, rt := range []models.RuntimeDirtying{{}, runtime} {
						if ti == 5 && rt.Zero() {
							continue // beyond the WWS: only with the runtime
						}
						s := memScenario(20_000, 10_000, 10_000, hc[0], hc[1])
						s.Workload.RateTrace, s.Workload.Runtime = tr, rt
						if model == "analytic" {
							s.Model = models.ModelAnalytic
						}
						m := NewMemory(s, 3, model == "exhaustive")
						m.Track(10 * time.Millisecond)
						name := fmt.Sprintf("%s hot=%v trace=%v runtime=%v target=%d", model, hc, !tr.Empty(), !rt.Zero(), target)
						at, ok := m.Reach(target, 20*time.Millisecond, 100*time.Second)
						if !ok {
							t.Errorf("%s: not reached", name)
							continue
						}
						// Earlier first: the exhaustive model cannot go back in time.
						if at > 20*time.Millisecond {
							if _, b := m.Dirty(at - time.Nanosecond); b >= target {
								t.Errorf("%s: already %d bytes dirty 1ns before %v", name, b, at)
							}
						}
						if _, b := m.Dirty(at); b < target {
							t.Errorf("%s: at %v only %d bytes dirty", name, at, b)
						}
					}
				}
			}
		}
	}
	// Beyond the WWS nothing is ever reached, and a frozen workload stops.
	m := NewMemory(memScenario(100, 10, 1000, 0, 0), 1, false)
	m.Track(0)
	if _, ok := m.Reach(11*4096, 0, time.Hour); ok {
		t.Error("reached more than the WWS")
	}
	m.Freeze(time.Millisecond)
	if _, ok := m.Reach(9*4096, 0, time.Hour); ok {
		t.Error("a frozen workload kept dirtying")
	}
}

// TestAnalyticModelCapsAtWWS: every dirtied byte counts, up to the WWS.
func TestAnalyticModelCapsAtWWS(t *testing.T) {
	s := memScenario(1000, 100, 50, 0, 0) // 50 pages/s over a 100-page WWS
	s.Model = models.ModelAnalytic
	m := NewMemory(s, 0, false)
	m.Track(0)
	if p, b := m.Dirty(time.Second); p != 50 || b != 50*4096 {
		t.Errorf("after 1 s: %d pages %d bytes, want 50 pages", p, b)
	}
	if p, b := m.Dirty(5 * time.Second); p != 100 || b != 100*4096 {
		t.Errorf("after 5 s: %d pages %d bytes, want the WWS (100 pages)", p, b)
	}
}
