package plot

import (
	"math"
	"strconv"

	"github.com/migrlab/migrlab/reports"
)

// scale is one human unit of a base unit: a value is divided by div.
type scale struct {
	div  float64
	name string
}

var (
	secondScales = []scale{{1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}, {1e-9, "ns"}}
	byteScales   = []scale{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, "B"}}
	rateScales   = []scale{{1e9, "GB/s"}, {1e6, "MB/s"}, {1e3, "kB/s"}, {1, "B/s"}}
	plainScales  = []scale{{1, ""}}
)

// scalesOf returns the human units of u, largest first.
func scalesOf(u reports.Unit) []scale {
	switch u {
	case reports.UnitSeconds:
		return secondScales
	case reports.UnitBytes:
		return byteScales
	case reports.UnitBytesPerSecond:
		return rateScales
	}
	return plainScales
}

// binary reports whether u's ticks fall on powers of two (bytes).
func binary(u reports.Unit) bool { return u == reports.UnitBytes }

// TickLabel writes a tick value in base units with its human unit, in the
// largest unit not above it: 0.25 s is "250 ms", 1.25 GiB is "1.25 GiB",
// 5e6 B/s is "5 MB/s". It uses the fewest decimals that show the value
// exactly to six decimals, so ticks at multiples of a nice step read cleanly.
func TickLabel(v float64, u reports.Unit) string {
	if v == 0 {
		return "0"
	}
	ss := scalesOf(u)
	s := ss[len(ss)-1]
	for _, c := range ss {
		if math.Abs(v) >= c.div*(1-1e-9) {
			s = c
			break
		}
	}
	x := v / s.div
	d := 0
	for ; d < 6; d++ {
		p := math.Pow(10, float64(d))
		if math.Abs(math.Round(x*p)/p-x) <= 1e-6*math.Max(math.Abs(x), 1e-3) {
			break
		}
	}
	n := strconv.FormatFloat(x, 'f', d, 64)
	if s.name == "" {
		return n
	}
	return n + " " + s.name
}

// niceStep returns the smallest 1-2-5 step (or power of two when bin) not
// below raw.
func niceStep(raw float64, bin bool) float64 {
	if bin {
		return math.Pow(2, math.Ceil(math.Log2(raw)-1e-9))
	}
	e := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= raw*(1-1e-9) {
			return m * e
		}
	}
	return 10 * e
}

// LinearTicks returns the multiples of a nice step, 1-2-5 times a power of
// ten (a power of two for bytes), that lie in [lo, hi]: the smallest step that
// gives at most n (at least 2) of them. For 0..12.9 and n = 8 the ticks are 0,
// 2, ..., 12; for n = 4 they are 0, 5, 10.
func LinearTicks(lo, hi float64, n int, u reports.Unit) []float64 {
	n = max(n, 2)
	if !(hi > lo) {
		lo, hi = widen(lo, hi)
	}
	step := niceStep((hi-lo)/float64(n+1), binary(u))
	for {
		i0 := math.Ceil(lo/step - 1e-9)
		i1 := math.Floor(hi/step + 1e-9)
		if int(i1-i0)+1 <= n {
			var ticks []float64
			for i := i0; i <= i1; i++ {
				ticks = append(ticks, i*step)
			}
			return ticks
		}
		step = niceStep(step*1.0001, binary(u))
	}
}

// widen turns an empty range into one around its value.
func widen(lo, hi float64) (float64, float64) {
	c := (lo + hi) / 2
	if c == 0 {
		return -1, 1
	}
	d := math.Abs(c) / 2
	return c - d, c + d
}

// LogTicks returns the labelled and minor ticks of a logarithmic axis over
// [lo, hi] (lo > 0), at most n labelled ones. Decimal units get decades (every
// k-th decade when there are too many; 1, 2 and 5 times a decade when there
// are fewer than three); bytes get powers of two, 1, 2, 5, 10 or 20 binary
// orders apart so they fall on KiB, MiB and GiB. For 0.0037..12.4 s the ticks
// are 10 ms, 100 ms, 1 s and 10 s.
func LogTicks(lo, hi float64, n int, u reports.Unit) (major, minor []float64) {
	for _, c := range logCandidates(lo, hi, u) {
		if len(c.major) <= max(n, 2) && len(c.major) >= 2 {
			return c.major, c.minor
		}
	}
	cs := logCandidates(lo, hi, u)
	last := cs[len(cs)-1]
	return last.major, last.minor
}

// tickSet is one way to tick an axis.
type tickSet struct{ major, minor []float64 }

// logCandidates lists the ways to tick a log axis, densest first.
func logCandidates(lo, hi float64, u reports.Unit) []tickSet {
	base, strides, mults := 10.0, []int{1, 2, 3, 4, 5, 10}, []float64{2, 3, 4, 5, 6, 7, 8, 9}
	if binary(u) {
		base, strides, mults = 2, []int{1, 2, 5, 10, 20}, nil
	}
	e0 := int(math.Floor(math.Log(lo)/math.Log(base) + 1e-9))
	e1 := int(math.Ceil(math.Log(hi)/math.Log(base) - 1e-9))
	in := func(v float64) bool { return v >= lo*(1-1e-9) && v <= hi*(1+1e-9) }
	var out []tickSet
	decades := 0
	for e := e0; e <= e1; e++ {
		if in(math.Pow(base, float64(e))) {
			decades++
		}
	}
	if !binary(u) && decades < 3 { // 1-2-5 when fewer than three decades are inside
		var c tickSet
		for e := e0; e <= e1; e++ {
			p := math.Pow(10, float64(e))
			for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
				if v := m * p; in(v) {
					if m == 1 || m == 2 || m == 5 {
						c.major = append(c.major, v)
					} else {
						c.minor = append(c.minor, v)
					}
				}
			}
		}
		out = append(out, c)
	}
	for _, k := range strides {
		var c tickSet
		for e := e0; e <= e1; e++ {
			p := math.Pow(base, float64(e))
			if in(p) {
				if ((e%k)+k)%k == 0 {
					c.major = append(c.major, p)
				} else {
					c.minor = append(c.minor, p)
				}
			}
			for _, m := range mults {
				if v := m * p; in(v) && k == 1 {
					c.minor = append(c.minor, v)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// LogRange pads [lo, hi] (lo > 0) by about 15% and snaps it outwards to 1, 2
// or 5 times a power of ten (a power of two for bytes), so no point sits on
// the frame.
func LogRange(lo, hi float64, u reports.Unit) (float64, float64) {
	lo, hi = lo/1.15, hi*1.15
	if binary(u) {
		return math.Pow(2, math.Floor(math.Log2(lo))), math.Pow(2, math.Ceil(math.Log2(hi)))
	}
	down := func(v float64) float64 {
		p := math.Pow(10, math.Floor(math.Log10(v)))
		for _, m := range []float64{5, 2, 1} {
			if m*p <= v {
				return m * p
			}
		}
		return p
	}
	up := func(v float64) float64 {
		p := math.Pow(10, math.Floor(math.Log10(v)))
		for _, m := range []float64{1, 2, 5, 10} {
			if m*p >= v {
				return m * p
			}
		}
		return 10 * p
	}
	return down(lo), up(hi)
}

// LinearRange pads [lo, hi] by 4% of the span so no point sits on the frame;
// a range of non-negative values stays non-negative.
func LinearRange(lo, hi float64) (float64, float64) {
	if !(hi > lo) {
		return widen(lo, hi)
	}
	d := (hi - lo) * 0.04
	nlo := lo - d
	if lo >= 0 && nlo < 0 {
		nlo = 0
	}
	return nlo, hi + d
}

// spansDecades reports whether positive values in vs span more than two
// decades, the point where a linear axis hides the small ones.
func spansDecades(vs []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vs {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi > 0 && hi/lo > 100
}
