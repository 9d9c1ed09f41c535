package sim

import (
	"context"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// eightMiB is the scenario the tests of marks and of the check's touch
// build on: 8 MiB of 4 KiB pages, 64 KiB/s over a 1 MiB working set, a
// 1 MiB/s link, pre-copy stopping at a page or after rounds rounds.
func eightMiB(name, model string, rounds int) models.Scenario {
	s := models.Scenario{Name: name, Model: model,
		Memory:   models.Memory{Size: 8 << 20, PageSize: 4096},
		Workload: models.Workload{DirtyRate: 64 << 10, WWS: 1 << 20},
		Network:  models.Network{Bandwidth: 1 << 20}}
	s.PreCopy.Stop = models.StopRules{MaxRounds: rounds, Threshold: 4096}
	return s
}

// TestCheckTouchGoesIntoTheFinalDump: what an app's check writes before the
// freeze (memory.check_touch) joins a live migration's final round, in
// union with what the load dirtied since the round before, and lengthens
// its downtime; the live rounds before it and a cold dump (all memory
// anyway) do not change.
func TestCheckTouchGoesIntoTheFinalDump(t *testing.T) {
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := eightMiB("checked", model, 4)
		touched := s
		touched.Memory.CheckTouch = 5 << 20 // 1280 of 2048 pages
		if err := touched.WithDefaults().Validate(); err != nil {
			t.Fatal(err)
		}
		for _, tech := range []string{models.PreCopy, models.MiGrror, models.Cold} {
			plain, err := Run(context.Background(), s.WithDefaults(), tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Run(context.Background(), touched.WithDefaults(), tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rounds) != len(plain.Rounds) {
				t.Fatalf("%s %s: %d rounds with the check's touch, %d without", model, tech, len(got.Rounds), len(plain.Rounds))
			}
			last := len(got.Rounds) - 1
			for i := 0; i < last; i++ {
				if got.Rounds[i].Pages != plain.Rounds[i].Pages {
					t.Errorf("%s %s: live round %d sent %d pages, %d without the check's touch", model, tech, i, got.Rounds[i].Pages, plain.Rounds[i].Pages)
				}
			}
			fin, base := got.Rounds[last].Pages, plain.Rounds[last].Pages
			if tech == models.Cold {
				if fin != base || got.Metrics.DowntimeS != plain.Metrics.DowntimeS {
					t.Errorf("%s cold: the dump sent %d pages in %v, %d in %v without the touch; want the same", model, fin, got.Metrics.DowntimeS, base, plain.Metrics.DowntimeS)
				}
				continue
			}
			w := float64(base)
			want := int64(w + 1280 - w*1280/2048 + 0.5)
			if d := fin - want; d < -1 || d > 1 {
				t.Errorf("%s %s: the final round sent %d pages, want %d (%d dirtied, 1280 touched, of 2048)", model, tech, fin, want, base)
			}
			if got.Metrics.DowntimeS <= plain.Metrics.DowntimeS {
				t.Errorf("%s %s: downtime %v with the check's touch, %v without; want longer", model, tech, got.Metrics.DowntimeS, plain.Metrics.DowntimeS)
			}
		}
	}
}

// TestCheckTouchOfAYoungContainer: a growing container frozen before it
// has grown writes what its check reads of it, memory.check_touch less
// what it has yet to add, so a migration that ends younger sends less for
// the check than one that ends when it is full.
func TestCheckTouchOfAYoungContainer(t *testing.T) {
	const page, mib = 4096, 1 << 20
	s := models.Scenario{Name: "young",
		Memory: models.Memory{Size: 8 * mib, PageSize: page, Initial: 4 * mib, CheckTouch: 5 * mib,
			Growth: []models.GrowthPoint{{After: models.Duration(100e9), Bytes: 8 * mib}}},
		Workload: models.Workload{DirtyRate: 64 << 10, WWS: 1 << 20},
		Network:  models.Network{Bandwidth: 1 << 20}}
	s.PreCopy.Stop = models.StopRules{MaxRounds: 3, Threshold: 4096}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	plain := s
	plain.Memory.CheckTouch = 0
	got, err := Run(context.Background(), s, models.PreCopy, 0)
	if err != nil {
		t.Fatal(err)
	}
	base, err := Run(context.Background(), plain, models.PreCopy, 0)
	if err != nil {
		t.Fatal(err)
	}
	fin := got.Rounds[len(got.Rounds)-1]
	at := time.Duration(fin.StartS * 1e9)
	m := NewMemory(s, 0, false)
	rp, rb := m.Resident(at)
	touch := float64(s.Memory.CheckTouchAt(models.ByteSize(rb))) / page
	if touch <= 0 || touch >= 5*mib/page {
		t.Fatalf("frozen at %v holding %d pages: the check writes %.0f pages, want some and less than its 1280", at, rp, touch)
	}
	w := float64(base.Rounds[len(base.Rounds)-1].Pages)
	want := int64(w + touch - w*touch/float64(rp) + 0.5)
	if d := fin.Pages - want; d < -1 || d > 1 {
		t.Errorf("the final round sent %d pages, want %d (%.0f dirtied, %.0f touched, of %d held)", fin.Pages, want, w, touch, rp)
	}
}

// TestTheCheckAndTheMarksAreOneRegion: an app whose check touches its data
// and whose data mapping is marked whole in the final round's window sends
// the larger of the two in union with what was written, not their
// independent union: the check reads what the mark holds.
func TestTheCheckAndTheMarksAreOneRegion(t *testing.T) {
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := eightMiB("checked-and-marked", model, 3)
		plain, err := Run(context.Background(), s.WithDefaults(), models.PreCopy, 0)
		if err != nil {
			t.Fatal(err)
		}
		last := len(plain.Rounds) - 1
		w := float64(plain.Rounds[last].Pages)
		// A 4 MiB mark (1024 of 2048 pages) placed exactly in the middle of
		// the final round's window: from the last live round's start to the
		// freeze.
		at := plain.Rounds[last-1].StartS + 0.5*(plain.Rounds[last].StartS-plain.Rounds[last-1].StartS)
		marked := s
		marked.Memory.Marks = []models.Mark{{After: models.Duration(at * float64(time.Second)), Bytes: 4 << 20}}
		marked.Memory.MarkSpread = models.Duration(time.Millisecond)
		for _, c := range []struct {
			touch   models.ByteSize
			largest float64 // pages: the larger of the mark and the touch
		}{{0, 1024}, {3 << 20, 1024}, {5 << 20, 1280}} {
			q := marked
			q.Memory.CheckTouch = c.touch
			q = q.WithDefaults()
			if err := q.Validate(); err != nil {
				t.Fatal(err)
			}
			got, err := Run(context.Background(), q, models.PreCopy, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rounds) != len(plain.Rounds) {
				t.Fatalf("%s, touch %d: %d rounds, %d without mark and touch", model, c.touch, len(got.Rounds), len(plain.Rounds))
			}
			want := int64(w + c.largest - w*c.largest/2048 + 0.5)
			if d := got.Rounds[last].Pages - want; d < -1 || d > 1 {
				t.Errorf("%s, touch %d: the final round sent %d pages, want %d (%.0f dirtied, the larger of the 1024 marked and the touch: %.0f, of 2048)",
					model, c.touch, got.Rounds[last].Pages, want, w, c.largest)
			}
		}
	}
}
