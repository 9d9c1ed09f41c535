package models

import (
	"math"
	"sort"
)

// DirtyingModel is the dirtying curve the simulator's memory model draws:
// Hot pages dirty in any window, plus pools of pages receiving uniform page
// writes, each filling as n(1 - e^(-r w / n)) distinct pages after a window
// w (the occupancy of the simulator's pages model, whose (1-1/n)^k is
// e^(-k/n) to within 1/n). The Pools are the working set; Runtime, when
// its N is not 0, is a pool beside it (the runtime's memory, written at its
// own pace). Counts are in pages, rates in pages per second.
type DirtyingModel struct {
	Hot     float64
	Pools   []WritePool
	Runtime WritePool
}

// WritePool is N pages receiving Rate uniform page writes per second.
type WritePool struct {
	N, Rate float64
}

// at returns the distinct pages of p dirtied within a window of w seconds.
func (p WritePool) at(w float64) float64 {
	if p.N <= 0 || p.Rate <= 0 {
		return 0
	}
	return p.N * -math.Expm1(-p.Rate*w/p.N)
}

// At returns the distinct pages dirtied within a window of w seconds.
func (m DirtyingModel) At(w float64) float64 {
	d := m.Hot + m.Runtime.at(w)
	for _, p := range m.Pools {
		d += p.at(w)
	}
	return d
}

// FitDirtying fits a DirtyingModel with up to two pools to a measured curve
// (pages distinct within windows of ws seconds), in log space so that short
// and long windows weigh alike, with Hot plus the pools within limit pages
// (the resident memory; 0: no limit). Pools that add less than half a
// percent of the longest window's count are dropped; the hotter pool (the
// higher writes per page) comes first.
func FitDirtying(ws, pages []float64, limit float64) DirtyingModel {
	n := min(len(ws), len(pages))
	if n == 0 {
		return DirtyingModel{}
	}
	lo, hi := pages[0], pages[n-1]
	for _, p := range pages[:n] {
		lo, hi = min(lo, p), max(hi, p)
	}
	if hi <= 0 {
		return DirtyingModel{}
	}
	// x: log(Hot+1), log n1, log r1, log n2, log r2.
	model := func(x []float64) DirtyingModel {
		return DirtyingModel{Hot: max(math.Exp(x[0])-1, 0), Pools: []WritePool{
			{N: math.Exp(x[1]), Rate: math.Exp(x[2])}, {N: math.Exp(x[3]), Rate: math.Exp(x[4])}}}
	}
	cost := func(x []float64) float64 {
		for _, v := range x {
			if v > 60 || v < -60 {
				return math.Inf(1)
			}
		}
		m := model(x)
		var c float64
		for i := 0; i < n; i++ {
			e := math.Log1p(m.At(ws[i])) - math.Log1p(pages[i])
			c += e * e
		}
		if total := m.Hot + m.Pools[0].N + m.Pools[1].N; limit > 0 && total > limit {
			c += 10 * math.Pow(math.Log(total/limit), 2)
		}
		return c
	}
	w0, w1 := max(ws[0], 1e-3), max(ws[n-1], 1e-3)
	l := func(v float64) float64 { return math.Log(max(v, 1)) }
	var best []float64
	bestCost := math.Inf(1)
	for _, hotShare := range []float64{0.01, 0.3, 0.8} {
		for _, split := range []float64{0.05, 0.3} {
			x0 := []float64{l(hotShare*lo + 1), l(split * hi), l(split * hi / w0), l(hi), l(hi / w1)}
			x, c := nelderMead(cost, x0, 3000)
			if c < bestCost {
				best, bestCost = x, c
			}
		}
	}
	return simplify(model(best), ws[0], ws[n-1])
}

// simplify makes the fit say what the curve can tell. A pool already 85 %
// full at the shortest window w0 is (nearly) dirty in any window measured,
// so its pages join Hot (the fit then overstates the shortest window by at
// most 15 % of the pool, where the simulator follows the measured curve
// anyway). Of two pools, a hotter one at least half full at w0 is the
// runtime's memory beside the working set: the windows do not resolve its
// rate, and counted with the working set's it would make the dirty rate
// the runtime's (a 75-page pool at 449 pages/s, 79 % full at 0.26 s, made a
// 128 KiB/s workload's dirty_rate 2 MB/s, four times a 512 KiB/s one's). A
// pool that adds under half a percent at the longest window wMax is
// dropped. The working set's pools are ordered by writes per page, the
// hotter first.
func simplify(m DirtyingModel, w0, wMax float64) DirtyingModel {
	total := m.At(wMax)
	var keep []WritePool
	for _, p := range m.Pools {
		switch {
		case p.N < 1 || p.at(wMax) < 0.005*total:
		case p.at(w0) >= 0.85*p.N:
			m.Hot += p.N
		default:
			keep = append(keep, p)
		}
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].Rate/keep[i].N > keep[j].Rate/keep[j].N })
	if len(keep) == 2 && keep[0].at(w0) >= 0.5*keep[0].N {
		m.Runtime, keep = keep[0], keep[1:]
	}
	m.Pools = keep
	m.Hot = math.Round(m.Hot)
	return m
}

// nelderMead minimises f from x0 (a simplex of unit steps) for at most
// iters iterations and returns the best point and its value.
func nelderMead(f func([]float64) float64, x0 []float64, iters int) ([]float64, float64) {
	d := len(x0)
	pts := make([][]float64, d+1)
	vals := make([]float64, d+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += 1
		}
		vals[i] = f(pts[i])
	}
	at := func(c []float64, to []float64, t float64) []float64 {
		p := make([]float64, d)
		for k := range p {
			p[k] = c[k] + t*(to[k]-c[k])
		}
		return p
	}
	for it := 0; it < iters; it++ {
		idx := make([]int, d+1)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
		ps, vs := make([][]float64, d+1), make([]float64, d+1)
		for i, j := range idx {
			ps[i], vs[i] = pts[j], vals[j]
		}
		pts, vals = ps, vs
		if vals[d]-vals[0] < 1e-12 {
			break
		}
		c := make([]float64, d)
		for _, p := range pts[:d] {
			for k := range c {
				c[k] += p[k] / float64(d)
			}
		}
		r := at(c, pts[d], -1)
		fr := f(r)
		switch {
		case fr < vals[0]:
			if e := at(c, pts[d], -2); f(e) < fr {
				pts[d], vals[d] = e, f(e)
			} else {
				pts[d], vals[d] = r, fr
			}
		case fr < vals[d-1]:
			pts[d], vals[d] = r, fr
		default:
			k := at(c, pts[d], 0.5)
			if fk := f(k); fk < vals[d] {
				pts[d], vals[d] = k, fk
				continue
			}
			for i := 1; i <= d; i++ {
				pts[i] = at(pts[0], pts[i], 0.5)
				vals[i] = f(pts[i])
			}
		}
	}
	bi := 0
	for i := range vals {
		if vals[i] < vals[bi] {
			bi = i
		}
	}
	return pts[bi], vals[bi]
}
