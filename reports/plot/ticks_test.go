package plot

import (
	"slices"
	"testing"

	"github.com/migrlab/migrlab/reports"
)

// closeTo reports whether two tick lists match to 1e-9 relative.
func closeTo(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		d := a[i] - b[i]
		if d < 0 {
			d = -d
		}
		if d > 1e-9*max(1e-12, b[i], -b[i]) {
			return false
		}
	}
	return true
}

func TestLinearTicks(t *testing.T) {
	for _, c := range []struct {
		name   string
		lo, hi float64
		n      int
		u      reports.Unit
		want   []float64
	}{
		{"0.0037..12.4 s, 8", 0.0037, 12.4, 8, reports.UnitSeconds, []float64{2, 4, 6, 8, 10, 12}},
		{"0..12.9, 8", 0, 12.9, 8, reports.UnitSeconds, []float64{0, 2, 4, 6, 8, 10, 12}},
		{"0..12.9, 4", 0, 12.9, 4, reports.UnitSeconds, []float64{0, 5, 10}},
		{"0..1 s, 6", 0, 1, 6, reports.UnitSeconds, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"negative", -3.1, 4.2, 8, reports.UnitNone, []float64{-3, -2, -1, 0, 1, 2, 3, 4}},
		{"bytes on powers of two", 0, 1.7 * gib, 8, reports.UnitBytes,
			[]float64{0, 256 * mib, 512 * mib, 768 * mib, 1024 * mib, 1280 * mib, 1536 * mib}},
		{"rate", 0, 52 * mbs, 7, reports.UnitBytesPerSecond, []float64{0, 10 * mbs, 20 * mbs, 30 * mbs, 40 * mbs, 50 * mbs}},
		{"empty range widens", 2, 2, 5, reports.UnitNone, []float64{1, 1.5, 2, 2.5, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := LinearTicks(c.lo, c.hi, c.n, c.u)
			if !closeTo(got, c.want) {
				t.Errorf("LinearTicks(%g, %g, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
			}
			if len(got) > max(c.n, 2) {
				t.Errorf("%d ticks, at most %d asked", len(got), c.n)
			}
		})
	}
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		name   string
		lo, hi float64
		n      int
		u      reports.Unit
		want   []float64
	}{
		{"0.0037..12.4 s", 0.0037, 12.4, 8, reports.UnitSeconds, []float64{0.01, 0.1, 1, 10}},
		{"many decades thinned", 1e-6, 1e3, 5, reports.UnitSeconds, []float64{1e-6, 1e-4, 1e-2, 1, 1e2}},
		{"under three decades: 1-2-5", 0.05, 0.9, 8, reports.UnitSeconds, []float64{0.05, 0.1, 0.2, 0.5}},
		{"bytes every other binary order", 1 * mib, 2 * gib, 8, reports.UnitBytes,
			[]float64{1 * mib, 4 * mib, 16 * mib, 64 * mib, 256 * mib, 1 * gib}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, minor := LogTicks(c.lo, c.hi, c.n, c.u)
			if !closeTo(got, c.want) {
				t.Errorf("LogTicks(%g, %g, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
			}
			for _, m := range minor {
				if slices.Contains(got, m) || m < c.lo || m > c.hi {
					t.Errorf("minor tick %g is a major one or outside the range", m)
				}
			}
		})
	}
}

func TestLogRangeAndLinearRange(t *testing.T) {
	if lo, hi := LogRange(0.0037, 12.4, reports.UnitSeconds); !closeTo([]float64{lo, hi}, []float64{0.002, 20}) {
		t.Errorf("LogRange(0.0037, 12.4) = %g, %g; want 0.002, 20", lo, hi)
	}
	if lo, hi := LogRange(3*mib, 800*mib, reports.UnitBytes); lo != 2*mib || hi != 1*gib {
		t.Errorf("LogRange(3 MiB, 800 MiB) = %g, %g; want 2 MiB, 1 GiB", lo, hi)
	}
	if lo, hi := LinearRange(0.0037, 12.4); lo != 0 || !closeTo([]float64{hi}, []float64{12.4 + 0.04*(12.4-0.0037)}) {
		t.Errorf("LinearRange(0.0037, 12.4) = %g, %g; want 0 (non-negative), 12.9", lo, hi)
	}
	if !spansDecades([]float64{0.005, 30}) || spansDecades([]float64{1, 99}) || spansDecades([]float64{0, 0}) {
		t.Error("spansDecades: want true for 5 ms..30 s, false for 1..99 and for zeros")
	}
}

func TestTickLabel(t *testing.T) {
	for _, c := range []struct {
		v    float64
		u    reports.Unit
		want string
	}{
		{0, reports.UnitSeconds, "0"},
		{0.01, reports.UnitSeconds, "10 ms"},
		{1, reports.UnitSeconds, "1 s"},
		{0.25, reports.UnitSeconds, "250 ms"},
		{0.1 + 0.2, reports.UnitSeconds, "300 ms"},
		{0.0037, reports.UnitSeconds, "3.7 ms"},
		{1e-6, reports.UnitSeconds, "1 µs"},
		{12.5, reports.UnitSeconds, "12.5 s"},
		{256 * mib, reports.UnitBytes, "256 MiB"},
		{1280 * mib, reports.UnitBytes, "1.25 GiB"},
		{512, reports.UnitBytes, "512 B"},
		{5 * mbs, reports.UnitBytesPerSecond, "5 MB/s"},
		{-2, reports.UnitNone, "-2"},
		{3, reports.UnitCount, "3"},
	} {
		if got := TickLabel(c.v, c.u); got != c.want {
			t.Errorf("TickLabel(%g, %d) = %q, want %q", c.v, c.u, got, c.want)
		}
	}
}

func TestHoistUnit(t *testing.T) {
	a := Axis{Label: "Downtime", Ticks: []Tick{{0, "0"}, {5, "5 s"}, {10, "10 s"}}}
	h := hoistUnit(a)
	if h.Label != "Downtime (s)" || h.Ticks[1].Label != "5" || h.Ticks[2].Label != "10" {
		t.Errorf("hoisted: %q %v", h.Label, h.Ticks)
	}
	if a.Ticks[1].Label != "5 s" {
		t.Error("hoistUnit changed its argument's ticks")
	}
	mixed := Axis{Label: "Downtime", Ticks: []Tick{{0.1, "100 ms"}, {1, "1 s"}}}
	if h := hoistUnit(mixed); h.Label != "Downtime" || h.Ticks[0].Label != "100 ms" {
		t.Errorf("mixed units must stay per tick: %q %v", h.Label, h.Ticks)
	}
}
