package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestRuntimeDirtiesBesideTheWorkload: with the workload idle, a delta
// round sends what the runtime dirtied in the round before: its hot pages and
// the occupancy of its writes over the rest, in every memory model.
func TestRuntimeDirtiesBesideTheWorkload(t *testing.T) {
	const page = 4096
	s := models.Scenario{Name: "runtime", Techniques: []string{models.PreCopy}}
	s.Memory = models.Memory{Size: 1000 * page, PageSize: page}
	s.Workload = models.Workload{WWS: 100 * page,
		Runtime: models.RuntimeDirtying{Memory: 200 * page, Hot: 50 * page, Rate: 100 * page}}
	s.Network.Bandwidth = 1000 * page // the full round takes 1 s
	s.PreCopy.Stop = models.StopRules{MaxRounds: 2}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	full := time.Second
	want := 50 + 150*(1-math.Pow(1-1.0/150, 100)) // pages after the 1 s full round
	for _, model := range []string{models.ModelPages, "exhaustive", models.ModelAnalytic} {
		s := s
		sm := Simulator{Exhaustive: model == "exhaustive"}
		w := math.Round(want)
		if model == models.ModelAnalytic {
			s.Model, w = models.ModelAnalytic, 150 // 50 hot + 100 writes, every one new
		}
		rec, err := sm.Run(context.Background(), s, models.PreCopy, 0)
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if len(rec.Rounds) != 3 || math.Abs(rec.Rounds[1].StartS-full.Seconds()) > 1e-9 {
			t.Fatalf("%s: rounds %+v", model, rec.Rounds)
		}
		tol := 0.0
		if model == "exhaustive" {
			tol = 0.1 * w // one seeded draw of 100 writes
		}
		if got := float64(rec.Rounds[1].Pages); math.Abs(got-w) > tol {
			t.Errorf("%s: delta round %g pages, want %g", model, got, w)
		}
		if rec.Rounds[2].Pages < 50 {
			t.Errorf("%s: final round %d pages, fewer than the runtime's hot ones", model, rec.Rounds[2].Pages)
		}
	}
	// Without the runtime the idle workload dirties nothing.
	s.Workload.Runtime = models.RuntimeDirtying{}
	rec, err := Run(context.Background(), s, models.PreCopy, 0)
	if err != nil || rec.Rounds[1].Pages != 0 {
		t.Fatalf("no runtime: %v, %+v", err, rec.Rounds)
	}
}

// TestFreshRuntimeGrowsWithTheWindow: fresh runtime writes dirty a new page
// each, past the runtime's own memory, up to the memory beside the WWS; a
// delta round after a long window sends them all, where the filling model
// stops at the runtime's memory.
func TestFreshRuntimeGrowsWithTheWindow(t *testing.T) {
	const page = 4096
	s := models.Scenario{Name: "fresh", Techniques: []string{models.PreCopy}}
	s.Memory = models.Memory{Size: 1000 * page, PageSize: page}
	s.Workload = models.Workload{WWS: 100 * page,
		Runtime: models.RuntimeDirtying{Memory: 200 * page, Hot: 50 * page, Rate: 100 * page, Fresh: true}}
	s.PreCopy.Stop = models.StopRules{MaxRounds: 2}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bandwidth models.Rate
		want      float64 // pages of the delta round after the full one
	}{
		{1000 * page, 50 + 100},       // 1 s: 100 fresh writes
		{1000 * page / 3, 50 + 300},   // 3 s: 300, beyond the runtime's 150 cold pages
		{1000 * page / 100, 50 + 850}, // 100 s: capped at the 900 pages beside the WWS
	} {
		s := s
		s.Network.Bandwidth = c.bandwidth
		for _, exhaustive := range []bool{false, true} {
			rec, err := Simulator{Exhaustive: exhaustive}.Run(context.Background(), s, models.PreCopy, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := float64(rec.Rounds[1].Pages); got != c.want {
				t.Errorf("%s/s, exhaustive %v: delta round %g pages, want %g", c.bandwidth, exhaustive, got, c.want)
			}
		}
	}
	s.Workload.Runtime.Fresh = false
	s.Network.Bandwidth = 1000 * page / 3
	rec, err := Run(context.Background(), s, models.PreCopy, 0)
	if err != nil || rec.Rounds[1].Pages > 200 {
		t.Fatalf("filling model: %v, delta round %d pages, more than the runtime's memory", err, rec.Rounds[1].Pages)
	}
}
