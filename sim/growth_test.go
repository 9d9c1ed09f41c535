package sim

import (
	"context"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// growingScenario is a container that holds 2 MiB when its migration starts
// and grows by 512 KiB/s to 6 MiB (at 8 s), with no other writes, on a
// 1 MiB/s link.
func growingScenario(model string) models.Scenario {
	s := models.Scenario{Name: "growing", Model: model,
		Memory: models.Memory{Size: 8 << 20, PageSize: 4096, Initial: 2 << 20,
			Growth: []models.GrowthPoint{{After: models.Duration(8 * time.Second), Bytes: 6 << 20}}},
		Workload: models.Workload{WWS: 1 << 20},
		Network:  models.Network{Bandwidth: 1 << 20}}
	s.PreCopy.Stop = models.StopRules{MaxRounds: 3, Threshold: 4096}
	return s.WithDefaults()
}

// TestGrowingContainer: a cold dump and the first full copy send what the
// container holds when they start; each later round sends exactly the pages
// it added since the previous round started; the growth stops at the
// freeze.
func TestGrowingContainer(t *testing.T) {
	const page = 4096
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := growingScenario(model)
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		cold, err := Run(context.Background(), s, models.Cold, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := cold.Rounds[0].Pages; got != 512 {
			t.Errorf("%s: cold dump sent %d pages, want the 512 held at the start", model, got)
		}
		pre, err := Run(context.Background(), s, models.PreCopy, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(pre.Rounds) < 3 {
			t.Fatalf("%s: pre-copy ran %d rounds, want at least 3", model, len(pre.Rounds))
		}
		if got := pre.Rounds[0].Pages; got != 512 {
			t.Errorf("%s: first full copy sent %d pages, want 512", model, got)
		}
		at := func(sec float64) int64 {
			return int64(s.Memory.ResidentAt(time.Duration(sec * float64(time.Second))))
		}
		for i := 1; i < len(pre.Rounds); i++ {
			prev, r := pre.Rounds[i-1], pre.Rounds[i]
			want := (at(r.StartS) - at(prev.StartS)) / page
			if d := r.Pages - want; d < -1 || d > 1 {
				t.Errorf("%s: round %d (%.3f s) sent %d pages, want the %d added since %.3f s", model, i, r.StartS, r.Pages, want, prev.StartS)
			}
			if i == 1 && want < 100 {
				t.Errorf("%s: round %d: the container added only %d pages; the test wants a visible growth", model, i, want)
			}
		}
	}
}

// TestResidentAt pins the interpolation of memory.growth.
func TestResidentAt(t *testing.T) {
	m := growingScenario(models.ModelPages).Memory
	for _, c := range []struct {
		t    time.Duration
		want models.ByteSize
	}{{0, 2 << 20}, {4 * time.Second, 4 << 20}, {8 * time.Second, 6 << 20}, {time.Minute, 6 << 20}} {
		if got := m.ResidentAt(c.t); got != c.want {
			t.Errorf("ResidentAt(%s) = %s, want %s", c.t, got, c.want)
		}
	}
	m.Initial = 0
	if got := m.ResidentAt(time.Second); got != m.Size {
		t.Errorf("a memory that does not grow: ResidentAt = %s, want its size %s", got, m.Size)
	}
}

// TestGrowingContainerWithACurve: under a measured curve (which counts the
// added pages among the dirtied ones) a round sends the larger of the two,
// never more than the container holds.
func TestGrowingContainerWithACurve(t *testing.T) {
	s := growingScenario(models.ModelPages)
	s.Workload.Curve = models.DirtyCurve{Points: []models.DirtyPoint{
		{Window: models.Duration(time.Second), Bytes: 64 << 10}, {Window: models.Duration(100 * time.Second), Bytes: 6400 << 10}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m := NewMemory(s, 1, false)
	m.Track(0)
	// Within 2 s the curve says 128 KiB (32 pages), the growth 1 MiB (256).
	if p, _ := m.Dirty(2 * time.Second); p != 256 {
		t.Errorf("dirty after 2 s: %d pages, want the 256 added", p)
	}
	m.Track(10 * time.Second) // grown to 6 MiB at 8 s, then constant
	// From 10 s to 60 s: the curve's 3200 KiB (800 pages), nothing added.
	if p, _ := m.Dirty(60 * time.Second); p != 800 {
		t.Errorf("dirty from 10 s to 60 s: %d pages, want the curve's 800", p)
	}
	if p, b := m.Resident(time.Hour); p != 1536 || b != 6<<20 {
		t.Errorf("resident after an hour: %d pages, %d bytes, want 6 MiB", p, b)
	}
	m.Freeze(4 * time.Second)
	if p, _ := m.Resident(time.Hour); p != 1024 {
		t.Errorf("resident when frozen at 4 s: %d pages, want the 4 MiB held then", p)
	}
}

// TestGrowthFollowsTheRateTrace: a container filled by its load grows at the
// load's pace: at half pace, it holds after 4 s what it holds after 2 s at
// its base pace.
func TestGrowthFollowsTheRateTrace(t *testing.T) {
	s := growingScenario(models.ModelPages)
	s.Workload.RateTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 0.5}}}
	m := NewMemory(s, 1, false)
	if _, b := m.Resident(4 * time.Second); b != int64(s.Memory.ResidentAt(2*time.Second)) {
		t.Errorf("resident after 4 s at half pace: %d bytes, want %s", b, s.Memory.ResidentAt(2*time.Second))
	}
}

// TestGrowingContainerWithAGrowingCurve: where the curve says what the
// container dirties beyond what it adds while it grows (Curve.Growing), a
// round within the growth sends that plus the pages added, at least the
// curve; once it has stopped growing, the curve.
func TestGrowingContainerWithAGrowingCurve(t *testing.T) {
	s := growingScenario(models.ModelPages)
	s.Workload.Curve = models.DirtyCurve{
		Points: []models.DirtyPoint{
			{Window: models.Duration(time.Second), Bytes: 1 << 20}, {Window: models.Duration(100 * time.Second), Bytes: 6400 << 10}},
		Growing: []models.DirtyPoint{{Window: models.Duration(time.Second), Bytes: 400 << 10}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m := NewMemory(s, 1, false)
	m.Track(0)
	// Within 0.5 s: half the growing curve's first point (200 KiB, 50
	// pages) plus 256 KiB added (64), against the curve's 512 KiB (128).
	if p, _ := m.Dirty(500 * time.Millisecond); p != 128 {
		t.Errorf("dirty after 0.5 s: %d pages, want the curve's 128", p)
	}
	// Within 2 s: 400 KiB (100 pages) plus 1 MiB added (256), against the
	// curve's 270.
	if p, _ := m.Dirty(2 * time.Second); p != 356 {
		t.Errorf("dirty after 2 s: %d pages, want 100 + the 256 added", p)
	}
	m.Track(10 * time.Second) // grown to 6 MiB at 8 s, then constant
	if p, _ := m.Dirty(11 * time.Second); p != 256 {
		t.Errorf("dirty from 10 s to 11 s: %d pages, want the curve's 256", p)
	}
	s.Model = models.ModelAnalytic
	a := NewMemory(s, 1, false)
	a.Track(0)
	if _, b := a.Dirty(2 * time.Second); b != (400<<10)+(1<<20) {
		t.Errorf("analytic: dirty after 2 s: %d bytes, want 400 KiB + the 1 MiB added", b)
	}
}
