package fidelity

import (
	"errors"
	"math"

	"github.com/migrlab/migrlab/models"
)

// fitRuntime sets RuntimeHot, RuntimeDirtyRate and RuntimeFresh (see
// models.RuntimeDirtying): what the container dirtied beyond its workload.
//
// The workload writes at its configured rate (its writer keeps that pace by
// construction), so the pages a round dumped beyond the occupancy of those
// writes over the WWS in the round's window are the runtime's. Those excess
// pages are fitted, by least squares, to hot pages dirty in any window plus
// fresh pages at a constant rate: every write of the runtime a page not
// dirty yet.
//
// Measured on the TCG testbed (docs/fidelity.md): 70-80 hot pages and ~10
// page writes per second whatever the workload's rate. The fresh form
// replaced uniform writes over BaseMemory (which fill it and flatten off):
// rounds after windows of 12-28 s, longer than the calibration's 1-8 s,
// dumped 180-530 runtime pages, at times more than the whole base memory.
// Fitted on the calibration's windows alone, the filling model predicted
// them 12-40 % low (means per scenario), the fresh one from 22 % low to 6 %
// high; after 9-10 s both were within 4 % (held-out and demo records of
// 2026-12-01 to 2026-12-05, scenarios that no longer judge the model).
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
	hot, rate := fitHotAndFresh(base, win, excess)
	c.RuntimeHot, c.RuntimeDirtyRate, c.RuntimeFresh = models.ByteSize(hot*page), models.Rate(rate*page), true
	m := mean(excess)
	var sse, ssTot float64
	for i, e := range excess {
		d := hot + rate*win[i] - e
		sse, ssTot = sse+d*d, ssTot+(e-m)*(e-m)
	}
	r2 := 1.0
	if ssTot > 0 {
		r2 = 1 - sse/ssTot
	}
	c.Fits = append(c.Fits, models.Fit{Name: FitRuntime, X: "seconds since the previous round",
		Y: "pages beyond the workload's (hot + fresh page writes/s)", Intercept: hot, Slope: rate, R2: r2, N: len(win)})
	return nil
}

// fitHotAndFresh returns the line hot + rate*w nearest the excess pages in
// least squares, with hot a whole number of pages in [0, base] and rate
// (page writes/s) at least zero: the unconstrained line, then, where it
// leaves those bounds, the best line on the bound it crossed.
func fitHotAndFresh(base float64, win, excess []float64) (hot, rate float64) {
	mw, me := mean(win), mean(excess)
	var sww, swe float64
	for i, w := range win {
		sww += (w - mw) * (w - mw)
		swe += (w - mw) * (excess[i] - me)
	}
	if sww == 0 || swe <= 0 { // one window length, or no growth with it: a flat line
		return math.Min(math.Max(math.Round(me), 0), base), 0
	}
	rate = swe / sww
	hot = math.Min(math.Max(math.Round(me-rate*mw), 0), base)
	// The slope that goes with the hot count held at a bound or rounded.
	var num, den float64
	for i, w := range win {
		num += w * (excess[i] - hot)
		den += w * w
	}
	return hot, math.Max(num/den, 0)
}
