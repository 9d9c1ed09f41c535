package fidelity

import (
	"errors"
	"math"

	"github.com/migrlab/migrlab/models"
)

// fitRuntime sets RuntimeHot and RuntimeDirtyRate (see
// models.RuntimeDirtying): what the container dirtied beyond its workload.
//
// The workload writes at its configured rate (its writer keeps that pace by
// construction), so the pages a round dumped beyond the occupancy of those
// writes over the WWS in the round's window are the runtime's. Those excess
// pages are fitted, by least squares, to the runtime's model over
// BaseMemory: hot pages dirty in any window, and uniform writes at a rate
// over the rest. Measured on the TCG testbed (docs/fidelity.md): 70-80 hot
// pages and ~10 page writes per second whatever the workload's rate, where
// schema 1's factor on the workload's rate (1.5-1.6 at 256 KiB/s) had
// under-predicted slow workloads and over-predicted fast ones.
func fitRuntime(c *models.Calibration, samples []DirtySample) error {
	const page = 4096.0
	var win, excess []float64
	for _, d := range samples {
		if d.WindowS <= 0 || d.Pages < 0 {
			continue
		}
		n := math.Floor(math.Min(float64(d.WWS), float64(d.Size)) / page)
		own := models.Occupancy(n, d.Rate/page*d.WindowS)
		win, excess = append(win, d.WindowS), append(excess, float64(d.Pages)-own)
	}
	if len(win) == 0 {
		return errors.New("runtime dirtying: no round after a live round among the samples (run pre-copy with two live rounds or more)")
	}
	base := math.Floor(float64(c.BaseMemory) / page)
	hot, rate, sse := fitHotAndRate(base, win, excess)
	c.RuntimeHot, c.RuntimeDirtyRate = models.ByteSize(hot*page), models.Rate(rate*page)
	m := mean(excess)
	var ssTot float64
	for _, e := range excess {
		ssTot += (e - m) * (e - m)
	}
	r2 := 1.0
	if ssTot > 0 {
		r2 = 1 - sse/ssTot
	}
	c.Fits = append(c.Fits, models.Fit{Name: FitRuntime, X: "seconds since the previous round",
		Y: "pages beyond the workload's (hot + occupancy of page writes/s)", Intercept: hot, Slope: rate, R2: r2, N: len(win)})
	return nil
}

// runtimePages is the model: hot pages, and the occupancy of rate page
// writes per second over the base-hot others, after w seconds.
func runtimePages(base, hot, rate, w float64) float64 {
	return hot + models.Occupancy(base-hot, rate*w)
}

// fitHotAndRate returns the whole number of hot pages (0..base; in steps of
// base/2000 beyond 2000 pages) and the rate
// (page writes/s) that minimise the squared error of runtimePages against
// the excess pages, and that error. For every hot count the rate comes from
// a log-spaced scan refined by golden-section search.
func fitHotAndRate(base float64, win, excess []float64) (hot, rate, sse float64) {
	cost := func(h, r float64) float64 {
		var e float64
		for i, w := range win {
			d := runtimePages(base, h, r, w) - excess[i]
			e += d * d
		}
		return e
	}
	sse = math.Inf(1)
	const lo, hi = -3.0, 6.0                   // log10 of the rate: 0.001 to a million page writes per second
	step := math.Max(1, math.Floor(base/2000)) // a large runtime: 2000 candidates at most
	for h := 0.0; h <= base; h += step {
		bestU, bestE := lo, cost(h, 0)
		if bestE < sse {
			hot, rate, sse = h, 0, bestE
		}
		if base-h < 1 {
			continue
		}
		const steps = 90
		for i := 0; i <= steps; i++ {
			u := lo + (hi-lo)*float64(i)/steps
			if e := cost(h, math.Pow(10, u)); e < bestE {
				bestU, bestE = u, e
			}
		}
		a, b := bestU-(hi-lo)/steps, bestU+(hi-lo)/steps
		g := (math.Sqrt(5) - 1) / 2
		for range 60 {
			x1, x2 := b-g*(b-a), a+g*(b-a)
			if cost(h, math.Pow(10, x1)) < cost(h, math.Pow(10, x2)) {
				b = x2
			} else {
				a = x1
			}
		}
		u := (a + b) / 2
		if e := cost(h, math.Pow(10, u)); e < sse {
			hot, rate, sse = h, math.Pow(10, u), e
		}
	}
	return hot, rate, sse
}
