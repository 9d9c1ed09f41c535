package sim

import (
	"context"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestMarksResendWhatAMappingHeld: a round that spans a whole-mapping mark
// placed exactly (a 1 ms spread) sends the memory it marked, in union with
// what was written; the rounds before and after it send only what was
// written.
func TestMarksResendWhatAMappingHeld(t *testing.T) {
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := eightMiB("marked", model, 6)
		plain, err := Run(context.Background(), s.WithDefaults(), models.PreCopy, 0)
		if err != nil {
			t.Fatal(err)
		}
		// A mark of 4 MiB held, inside the third round's span (the first full
		// copy of 8 MiB takes 8 s, the second round about 0.5 s).
		at := plain.Rounds[2].StartS + 0.5*(plain.Rounds[3].StartS-plain.Rounds[2].StartS)
		s.Memory.Marks = []models.Mark{{After: models.Duration(at * float64(time.Second)), Bytes: 4 << 20}}
		s.Memory.MarkSpread = models.Duration(time.Millisecond)
		s = s.WithDefaults()
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		got, err := Run(context.Background(), s, models.PreCopy, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if got.Rounds[i].Pages != plain.Rounds[i].Pages {
				t.Errorf("%s: round %d sent %d pages, %d without the mark", model, i, got.Rounds[i].Pages, plain.Rounds[i].Pages)
			}
		}
		// Round 3 sends the union: written w of 2048 pages and 1024 marked.
		w := float64(plain.Rounds[3].Pages)
		want := int64(w + 1024 - w*1024/2048 + 0.5)
		if d := got.Rounds[3].Pages - want; d < -1 || d > 1 {
			t.Errorf("%s: the round spanning the mark sent %d pages, want %d (%v written, 1024 marked)", model, got.Rounds[3].Pages, want, w)
		}
		if got.Rounds[3].Pages < 1024 {
			t.Errorf("%s: the round spanning the mark sent %d pages, fewer than the 1024 marked", model, got.Rounds[3].Pages)
		}
	}
}

// TestASpreadMarkSplitsBetweenRounds: a mark whose time is uncertain sends,
// in each round its span overlaps, its memory times the share of the span
// that round covers (no writes here, so the rounds send the marks alone),
// and where two overlap a round the larger counts first.
func TestASpreadMarkSplitsBetweenRounds(t *testing.T) {
	const page = 4096
	s := models.Scenario{Name: "spread", Memory: models.Memory{Size: 8 << 20, PageSize: page,
		Marks: []models.Mark{{After: models.Duration(10 * time.Second), Bytes: 4 << 20}}, MarkSpread: models.Duration(4 * time.Second)},
		Network: models.Network{Bandwidth: 1 << 20}}.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	m := NewMemory(s, 1, false)
	m.Track(0)
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{{9 * time.Second, 256}, {11 * time.Second, 512}, {20 * time.Second, 256}, {30 * time.Second, 0}} {
		if got, _ := m.Track(c.at); got != c.want {
			t.Errorf("the round ending at %s sent %d pages of the 1024 marked, want %d", c.at, got, c.want)
		}
	}
	// A larger mark (1536 pages) at 11 s: a round from 9 s to 11 s finds it
	// with chance 1/2 and, without it, the smaller with chance 1/2.
	s.Memory.Marks = append(s.Memory.Marks, models.Mark{After: models.Duration(11 * time.Second), Bytes: 6 << 20})
	m = NewMemory(s, 1, false)
	m.Track(0)
	m.Track(9 * time.Second)
	if got, _ := m.Track(11 * time.Second); got != 1024 {
		t.Errorf("the round from 9s to 11s sent %d pages, want 1536/2 + 1024/4 = 1024", got)
	}
}
