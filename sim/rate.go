package sim

import (
	"math"
	"sort"
	"time"

	"github.com/migrlab/migrlab/models"
)

// rateFn is a base rate multiplied by a piecewise-constant trace, with its
// integral and the integral's inverse in closed form per segment.
type rateFn struct {
	at   []time.Duration // segment starts; at[0] == 0
	rate []float64       // units per second within the segment
	cum  []float64       // integral from 0 to at[i]
}

func newRateFn(base float64, tr models.Trace) rateFn {
	if tr.Empty() {
		return rateFn{at: []time.Duration{0}, rate: []float64{base}, cum: []float64{0}}
	}
	r := rateFn{}
	for _, p := range tr.Points {
		r.at = append(r.at, p.At.Duration())
		r.rate = append(r.rate, base*p.Factor)
	}
	r.cum = make([]float64, len(r.at))
	for i := 1; i < len(r.at); i++ {
		r.cum[i] = r.cum[i-1] + r.rate[i-1]*secs(r.at[i]-r.at[i-1])
	}
	return r
}

// seg returns the segment that contains t.
func (r *rateFn) seg(t time.Duration) int {
	if len(r.at) == 1 {
		return 0
	}
	return sort.Search(len(r.at), func(i int) bool { return r.at[i] > t }) - 1
}

// rateAt returns the rate in force at t.
func (r *rateFn) rateAt(t time.Duration) float64 { return r.rate[r.seg(t)] }

// next returns the start of the first segment after t, or MaxTime.
func (r *rateFn) next(t time.Duration) time.Duration {
	if i := r.seg(t) + 1; i < len(r.at) {
		return r.at[i]
	}
	return MaxTime
}

// F returns the integral of the rate from 0 to t.
func (r *rateFn) F(t time.Duration) float64 {
	i := r.seg(t)
	return r.cum[i] + r.rate[i]*secs(t-r.at[i])
}

// between returns the integral over [t0, t1].
func (r *rateFn) between(t0, t1 time.Duration) float64 {
	if t1 <= t0 {
		return 0
	}
	if len(r.at) == 1 {
		return r.rate[0] * secs(t1-t0)
	}
	return r.F(t1) - r.F(t0)
}

// reach returns the earliest time t >= from with between(from, t) >= amount,
// rounded up to the nanosecond, and false if the integral never gets there.
func (r *rateFn) reach(from time.Duration, amount float64) (time.Duration, bool) {
	if amount <= 0 {
		return from, true
	}
	if len(r.at) == 1 {
		if r.rate[0] <= 0 {
			return MaxTime, false
		}
		return r.nudge(from, amount, from+ceilDur(amount/r.rate[0]))
	}
	target := r.F(from) + amount
	// First segment whose end reaches the target (the last one runs forever).
	i := r.seg(from)
	j := i + sort.Search(len(r.at)-i-1, func(k int) bool { return r.cum[i+k+1] >= target })
	if j == len(r.at)-1 && r.rate[j] <= 0 {
		return MaxTime, false
	}
	start, base := r.at[j], r.cum[j]
	if j == i {
		start, base = from, r.F(from)
	}
	if r.rate[j] <= 0 { // target reached exactly at the end of a flat segment
		return r.nudge(from, amount, r.at[j+1])
	}
	return r.nudge(from, amount, start+ceilDur((target-base)/r.rate[j]))
}

// nudge corrects float rounding so that between(from, t) >= amount holds at t.
func (r *rateFn) nudge(from time.Duration, amount float64, t time.Duration) (time.Duration, bool) {
	if t >= MaxTime || t < 0 {
		return MaxTime, false
	}
	for k := 0; k < 64 && r.between(from, t) < amount; k++ {
		t++
	}
	return t, true
}

// secs converts d to seconds (exact below 2^53 ns, about 104 days).
func secs(d time.Duration) float64 { return float64(d) / 1e9 }

// ceilDur converts seconds to a Duration, rounding up to the nanosecond
// (results within 1e-6 ns of a whole nanosecond are taken as exact).
func ceilDur(sec float64) time.Duration {
	ns := sec * 1e9
	if ns >= float64(MaxTime) || math.IsNaN(ns) {
		return MaxTime
	}
	c := math.Ceil(ns - 1e-6)
	return time.Duration(c)
}

// roundDur converts seconds to a Duration, rounding to the nearest nanosecond.
func roundDur(sec float64) time.Duration {
	ns := sec * 1e9
	if ns >= float64(MaxTime) || math.IsNaN(ns) {
		return MaxTime
	}
	return time.Duration(math.Round(ns))
}
