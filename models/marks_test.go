package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestUnionWithMarkedAndItsInverse(t *testing.T) {
	for _, c := range []struct{ w, m, r, want float64 }{
		{100, 0, 1000, 100},
		{0, 300, 1000, 300},
		{100, 300, 1000, 370},
		{900, 1000, 1000, 1000},
		{100, 2000, 1000, 1000},
	} {
		got := UnionWithMarked(c.w, c.m, c.r)
		if math.Abs(got-c.want) > 1e-9 {
			t.Errorf("UnionWithMarked(%v, %v, %v) = %v, want %v", c.w, c.m, c.r, got, c.want)
		}
		if c.m < 0.9*c.r {
			if back := writtenOf(got, c.m, c.r); math.Abs(back-c.w) > 1e-9 {
				t.Errorf("writtenOf(%v, %v, %v) = %v, want %v", got, c.m, c.r, back, c.w)
			}
		}
	}
}

// TestProfileCurveLeavesMarksOut: a pass whose counts jumped by a mark
// gives the curve what was written, and the fit's memory the mark at the
// pass's start plus its time.
func TestProfileCurveLeavesMarksOut(t *testing.T) {
	const ps = 4096
	ws := []float64{1, 2, 5, 10}
	written := []int64{100 * ps, 180 * ps, 300 * ps, 400 * ps}
	plain := DirtyingPass{WindowsS: ws, Bytes: written, StartS: 20}
	// The first pass saw a mark of 600 pages (of 1000 resident) at 1.5 s,
	// and of 800 at 4 s, the same mapping grown again (the 600 among the
	// 800): from 2 s its counts are the union with the larger so far.
	marked := DirtyingPass{WindowsS: ws, StartS: 0.5, Marks: []MarkPoint{{AtS: 1.5, Bytes: 600 * ps}, {AtS: 4, Bytes: 800 * ps}}}
	for j, b := range written {
		c := b
		switch {
		case ws[j] >= 4:
			c = int64(UnionWithMarked(float64(b), 800*ps, 1000*ps))
		case ws[j] >= 1.5:
			c = int64(UnionWithMarked(float64(b), 600*ps, 1000*ps))
		}
		marked.Bytes = append(marked.Bytes, c)
	}
	p, err := NewDirtyingProfile([]DirtyingPass{marked, plain, plain}, []int64{1000 * ps, 1000 * ps, 1000 * ps}, ps)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range p.Curve {
		if c.Min != written[j] || c.Max != written[j] {
			t.Errorf("window %vs: passes ranged %d-%d, want all %d (the mark left out)", c.WindowS, c.Min, c.Max, written[j])
		}
	}
	want := []Mark{{After: Duration(2 * time.Second), Bytes: 600 * ps}, {After: Duration(4.5 * float64(time.Second)), Bytes: 800 * ps}}
	if got := p.Fit.Memory.Marks; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("fit's marks = %+v, want %+v", got, want)
	}
	s := Scenario{Name: "x", Memory: p.Fit.Memory, Workload: p.Fit.Workload}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("the fit with its marks does not validate: %v", err)
	}
}

// TestMarkedBetweenTakesTheLargest: a round finds the largest mark inside
// it (a mapping marked again holds the earlier mark's memory), none outside.
func TestMarkedBetweenTakesTheLargest(t *testing.T) {
	s := time.Second
	m := Memory{Marks: []Mark{{After: Duration(2 * s), Bytes: 1 << 20}, {After: Duration(6 * s), Bytes: 2 << 20}, {After: Duration(9 * s), Bytes: 3 << 20}}}
	for _, c := range []struct {
		from, to time.Duration
		want     ByteSize
	}{
		{0, 2 * s, 1 << 20}, {2 * s, 5 * s, 0}, {1 * s, 7 * s, 2 << 20}, {0, 10 * s, 3 << 20}, {9 * s, 20 * s, 0},
	} {
		if got := m.MarkedBetween(c.from, c.to); got != c.want {
			t.Errorf("MarkedBetween(%s, %s) = %s, want %s", c.from, c.to, got, c.want)
		}
	}
}

// TestMarkedExpectedIsTheMeanOverWhereMarksFall: with each mark's time drawn
// uniformly within the spread, the mean of MarkedBetween over many draws is
// MarkedExpected, for rounds of several lengths and places.
func TestMarkedExpectedIsTheMeanOverWhereMarksFall(t *testing.T) {
	s := time.Second
	m := Memory{Size: 16 << 20, PageSize: 4096, MarkSpread: Duration(3 * s),
		Marks: []Mark{{After: Duration(2 * s), Bytes: 1 << 20}, {After: Duration(4 * s), Bytes: 3 << 20}, {After: Duration(5 * s), Bytes: 2 << 20}}}
	rng := rand.New(rand.NewPCG(1, 2))
	const draws = 200000
	for _, c := range []struct{ from, to time.Duration }{{0, s}, {s, 3 * s}, {3 * s, 4 * s}, {4 * s, 5 * s}, {2 * s, 7 * s}, {6 * s, 9 * s}} {
		var sum float64
		for range draws {
			d := Memory{Marks: make([]Mark, len(m.Marks))}
			for i, k := range m.Marks {
				d.Marks[i] = Mark{After: k.After + Duration((rng.Float64()-0.5)*float64(m.MarkSpread)), Bytes: k.Bytes}
			}
			sum += float64(d.MarkedBetween(c.from, c.to))
		}
		mean, got := sum/draws, m.MarkedExpected(c.from, c.to)
		if math.Abs(got-mean) > 0.01*(1<<20) {
			t.Errorf("MarkedExpected(%s, %s) = %.0f, the mean over %d draws %.0f", c.from, c.to, got, draws, mean)
		}
	}
	if got := m.MarkedExpected(9*s, 20*s); got != 0 {
		t.Errorf("MarkedExpected past every mark's span = %.0f, want 0", got)
	}
}

// TestMarkSpreadDefaultsToTheMedianGap: unset, the spread is the median of
// the gaps between marks, the first from the migration's start; a tiny one
// places each mark exactly; a negative one is refused by name.
func TestMarkSpreadDefaultsToTheMedianGap(t *testing.T) {
	s := time.Second
	m := Memory{Size: 16 << 20, PageSize: 4096,
		Marks: []Mark{{After: Duration(2 * s), Bytes: 1 << 20}, {After: Duration(6 * s), Bytes: 2 << 20}, {After: Duration(9 * s), Bytes: 3 << 20}}}
	if got := m.Spread(); got != 3*s {
		t.Errorf("Spread() = %s, want 3s (gaps 2s, 4s, 3s)", got)
	}
	m.MarkSpread = Duration(time.Millisecond)
	if got := m.MarkedExpected(5*s, 7*s); math.Abs(got-float64(2<<20)) > 1 {
		t.Errorf("with a 1ms spread MarkedExpected(5s, 7s) = %.0f, want the 6s mark's %d", got, 2<<20)
	}
	m.MarkSpread = Duration(-s)
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "memory.mark_spread") {
		t.Errorf("a negative spread: error %v, want one naming memory.mark_spread", err)
	}
}

// TestMarksPlacedMovesAndFixesThem: every mark moved by the shift, those
// moved to the start or before it dropped, each placed exactly; m itself
// unchanged.
func TestMarksPlacedMovesAndFixesThem(t *testing.T) {
	s := time.Second
	m := Memory{Marks: []Mark{{After: Duration(s), Bytes: 1 << 20}, {After: Duration(4 * s), Bytes: 2 << 20}}}
	got := m.MarksPlaced(-2 * s)
	if len(got.Marks) != 1 || got.Marks[0] != (Mark{After: Duration(2 * s), Bytes: 2 << 20}) || got.Spread() != time.Millisecond {
		t.Errorf("MarksPlaced(-2s) = %+v (spread %s), want the 4s mark at 2s alone, spread 1ms", got.Marks, got.Spread())
	}
	if len(m.Marks) != 2 || m.Marks[0].After != Duration(s) {
		t.Errorf("MarksPlaced changed its receiver's marks: %+v", m.Marks)
	}
}
