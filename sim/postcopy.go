package sim

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Handover implements models.PostCopyEnv: freeze (Costs.Freeze), dump the
// minimal state (RoundSetup + FinalSetup + Costs.FinalPerPage per page of it)
// and send it with Costs.FinalOverhead.
func (v *Env) Handover(ctx context.Context, minimal int64) (models.Round, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.Round{}, err
	}
	if v.frozen {
		return models.Round{}, errors.New("sim: handover after the workload was frozen")
	}
	r := models.Round{Kind: models.RoundHandover, Start: v.e.now, Frozen: true,
		Bytes: minimal, Pages: (minimal + v.mem.pageSize - 1) / v.mem.pageSize}
	pageBytes := r.Bytes
	r.Bytes += int64(v.s.Costs.FinalOverhead)
	v.frozen, v.started, v.postcopy = true, true, true
	v.mem.Freeze(r.Start)
	if v.trace != nil {
		v.tracef("freeze for handover")
	}
	v.send(p, &r, pageBytes, v.frozenExtra(), 0)
	v.lastPages = r.Pages
	return r, nil
}

// PushRemaining implements models.PostCopyEnv. After the resume the whole
// memory is pushed in address order as one transfer on the shared link. The
// workload runs on the target meanwhile, writing at its dirty rate over the
// WWS (whose pages are spread evenly over the address space); a write to a
// page that has not arrived faults once, costing a round trip of 2*latency +
// page/bandwidth, after which the page is present. The fault count is the
// expectation of that process in closed form per piece of the push (pages
// model: distinct pages per pool; analytic model: every write to a missing
// page faults). First-order model: stalls do not slow the workload's writes,
// and fault traffic does not slow the push. Degraded is resume to last page.
func (v *Env) PushRemaining(ctx context.Context) (models.PostCopyStats, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.PostCopyStats{}, err
	}
	if !v.postcopy || !v.resumed {
		return models.PostCopyStats{}, errors.New("sim: push of remaining pages needs a handover and a resume first")
	}
	pages, bytes := v.all()
	var log []progress
	v.link.transfer(p, float64(bytes), &log)
	st := models.PostCopyStats{Bytes: bytes, Pages: pages, End: v.e.now, Degraded: v.e.now - v.resumeEnd}
	faults, stall := v.faults(log, float64(bytes))
	st.Faults = int64(math.Floor(faults + 0.5))
	st.StallTime = roundDur(stall)
	if v.trace != nil {
		v.tracef("push end pages=%d faults=%d stall=%s", pages, st.Faults, st.StallTime)
	}
	return st, nil
}

// faults integrates the expected faults and stall time from the resume to the
// arrival of the last page. log is the push's progress at the source; pages
// arrive one latency later.
func (v *Env) faults(log []progress, total float64) (faults, stall float64) {
	lat := v.link.latency
	// Arrival breakpoints: (time, fraction arrived), starting at the resume.
	pts := []progress{{v.resumeEnd, 0}}
	for _, q := range log {
		pts = append(pts, progress{q.at + lat, q.sent / total})
	}
	m := v.mem
	pools, scale := m.pools, 1.0
	if m.analytic {
		pools, scale = []pool{{n: math.Inf(1), share: 1}}, 1/float64(m.pageSize)
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		// Split at the workload's rate changes so the write rate is constant.
		for t0 := a.at; t0 < b.at; {
			t1 := min(b.at, m.writes.next(t0))
			frac := func(t time.Duration) float64 {
				return a.sent + (b.sent-a.sent)*float64(t-a.at)/float64(b.at-a.at)
			}
			w := m.writes.rateAt(t0) * scale
			x0 := m.writes.between(v.resumeEnd, t0) * scale
			f := 0.0
			for _, pl := range pools {
				f += missingWrites(pl, w, x0, 1-frac(t0), 1-frac(t1), (t1 - t0).Seconds())
			}
			bw := v.link.cap.rateAt(t0)
			if bw <= 0 { // a stalled link: count the page at the base bandwidth
				bw = v.link.base
			}
			rtt := 2*lat.Seconds() + float64(m.pageSize)/bw
			faults += f
			stall += f * rtt
			t0 = t1
		}
	}
	return faults, stall
}

// missingWrites is the expected number of first writes to missing pages of
// pool pl over a piece of length d seconds: the workload writes w pages per
// second (x0 writes since the resume at the piece start) and the fraction of
// pages not yet pushed goes linearly from m0 to m1. A pool page is missing if
// it was neither pushed nor written (faulted) before:
//
//	∫_0^d share*w * (m0 + (m1-m0)u/d) * exp(a*(x0 + w*u)) du,  a = share*ln(1-1/n).
func missingWrites(pl pool, w, x0, m0, m1, d float64) float64 {
	if w <= 0 || d <= 0 || pl.share <= 0 {
		return 0
	}
	k := pl.share * w * math.Exp(pl.a*x0)
	c := pl.a * w // decay per second, <= 0
	beta := (m1 - m0) / d
	var i0, i1 float64 // ∫ e^{cu} du and ∫ u e^{cu} du over [0, d]
	if cd := c * d; math.Abs(cd) < 1e-4 {
		i0 = d * (1 + cd/2 + cd*cd/6)
		i1 = d * d * (0.5 + cd/3 + cd*cd/8)
	} else {
		e := math.Exp(cd)
		i0 = math.Expm1(cd) / c
		i1 = (cd*e - math.Expm1(cd)) / (c * c)
	}
	return k * (m0*i0 + beta*i1)
}
