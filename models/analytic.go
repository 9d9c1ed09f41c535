package models

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrNotApplicable says that a closed-form model does not cover a scenario
// (time-varying traces, a group of containers).
var ErrNotApplicable = errors.New("the analytic model does not apply")

// LiuResult is the outcome of Liu et al.'s (HPDC'11) closed-form pre-copy model.
type LiuResult struct {
	// N is the index of the stop-and-copy round: rounds 0..N-1 are live.
	N int
	// Volumes are V_0..V_N in bytes (V_N is the stop-and-copy round).
	Volumes []float64
	// Total is the bytes sent, M(1-lambda^(N+1))/(1-lambda).
	Total float64
	// Time is the total migration time Total/R plus resume.
	Time time.Duration
	// Downtime is V_N/R plus resume.
	Downtime time.Duration
}

// LiuPreCopy evaluates Liu et al.'s model: memory m bytes, transfer rate r and
// dirty rate d in bytes per second, last-round threshold vthd bytes, at most nmax
// live rounds, resume time tr. V_i = m*lambda^i with lambda = d/r;
// n = min(ceil(log_lambda(vthd/m)), nmax); downtime = V_n/r + tr.
func LiuPreCopy(m, r, d, vthd float64, nmax int, tr time.Duration) (LiuResult, error) {
	if m <= 0 || r <= 0 || d < 0 || vthd < 0 || nmax < 1 {
		return LiuResult{}, fmt.Errorf("liu: need m > 0, r > 0, d >= 0, vthd >= 0, nmax >= 1")
	}
	lambda := d / r
	n := nmax
	switch {
	case d == 0:
		n = 1
	case lambda < 1 && vthd > 0:
		k := int(math.Ceil(math.Log(vthd/m)/math.Log(lambda) - 1e-12))
		n = min(max(k, 1), nmax)
	}
	res := LiuResult{N: n, Volumes: make([]float64, n+1)}
	for i := 0; i <= n; i++ {
		res.Volumes[i] = m * math.Pow(lambda, float64(i))
	}
	if lambda == 1 {
		res.Total = m * float64(n+1)
	} else {
		res.Total = m * (1 - math.Pow(lambda, float64(n+1))) / (1 - lambda)
	}
	res.Time = Seconds(res.Total/r) + tr
	res.Downtime = Seconds(res.Volumes[n]/r) + tr
	return res, nil
}

// analyticCosts evaluates the fixed and per-page costs of a scenario in the fluid
// model that the simulator's analytic memory model also follows.
type analyticCosts struct {
	s Scenario
	// r is the bandwidth (rl of live rounds), d the dirty rate, w the writable
	// working set, p the page size; hot, rr and rc the runtime's hot bytes,
	// write rate and the rest of its memory (Workload.Runtime).
	r, rl, d, w, p float64
	hot, rr, rc    float64
}

func newAnalyticCosts(s Scenario) analyticCosts {
	rt := s.Workload.Runtime
	return analyticCosts{s: s, r: float64(s.Network.Bandwidth), rl: float64(s.Network.LiveRate()), d: float64(s.Workload.DirtyRate),
		w: float64(s.Workload.WWSBytes(s.Memory)), p: float64(s.Memory.PageSize),
		hot: float64(rt.Hot), rr: float64(rt.Rate), rc: float64(rt.Memory - rt.Hot)}
}

// round is the dump and transfer of v bytes of pages: a live round's
// (DumpPerPage, RoundOverhead, the live bandwidth) or a frozen one's
// (FinalPerPage, FinalOverhead, the bandwidth; Freeze and FinalSetup are the
// caller's). sent is what goes on the wire.
func (c analyticCosts) round(v float64, frozen bool) (dump, transfer time.Duration, sent float64) {
	co := c.s.Costs
	per, over, r := co.DumpPerPage, co.RoundOverhead, c.rl
	if frozen {
		per, over, r = co.FinalPerPage(), co.FinalOverhead, c.r
	}
	sent = v + float64(over)
	dump = co.RoundSetup.Duration() + time.Duration(v/c.p*float64(per))
	transfer = co.TransferSetup.Duration() + c.s.Network.Latency.Duration() + Seconds(sent/r)
	return dump, transfer, sent
}

// dirty returns the bytes dirtied over dt: the workload's (every byte new,
// capped at the WWS) and the runtime's (its hot bytes, and every byte new up
// to the rest of its memory).
func (c analyticCosts) dirty(dt time.Duration) float64 {
	if dt <= 0 {
		return 0
	}
	x := dt.Seconds()
	return math.Min(c.d*x, c.w) + c.hot + math.Min(c.rr*x, c.rc)
}

// reach returns the shortest dt over which theta bytes are dirty, and false
// when that never happens (everything that can be dirty is less than theta).
func (c analyticCosts) reach(theta float64) (time.Duration, bool) {
	most := c.hot
	var hi float64 // seconds after which nothing more gets dirty
	if c.d > 0 {
		most, hi = most+c.w, c.w/c.d
	}
	if c.rr > 0 {
		most, hi = most+c.rc, math.Max(hi, c.rc/c.rr)
	}
	if theta > most {
		return 0, false
	}
	if c.hot == 0 && c.rr == 0 {
		return Seconds(theta / c.d), true // the workload alone: exact
	}
	lo := 0.0 // dirty is piecewise linear and nondecreasing: bisect
	for range 200 {
		mid := (lo + hi) / 2
		if mid <= lo || mid >= hi {
			break
		}
		if c.dirty(Seconds(mid)) >= theta {
			hi = mid
		} else {
			lo = mid
		}
	}
	return max(Seconds(hi), 1), true
}

// AnalyticMigration runs a technique in the fluid closed-form model: every dirtied
// byte counts as new, capped per round at the writable working set, constant
// rates, the scenario's costs. It is the model under which the simulator's
// "analytic" memory model must agree, and it reduces to Liu et al. with zero costs.
func AnalyticMigration(s Scenario, technique string) (Result, error) {
	if !s.Workload.RateTrace.Empty() || !s.Network.BandwidthTrace.Empty() {
		return Result{}, fmt.Errorf("%w: scenario %q has time-varying traces", ErrNotApplicable, s.Name)
	}
	if !s.Workload.Curve.Empty() {
		return Result{}, fmt.Errorf("%w: scenario %q follows a measured dirtying curve", ErrNotApplicable, s.Name)
	}
	if s.Memory.Growing() {
		return Result{}, fmt.Errorf("%w: scenario %q grows while it migrates (memory.initial)", ErrNotApplicable, s.Name)
	}
	if s.Group.Containers > 1 {
		return Result{}, fmt.Errorf("%w: scenario %q migrates a group", ErrNotApplicable, s.Name)
	}
	c := newAnalyticCosts(s)
	m := float64(s.Memory.Size)
	var res Result
	var pending float64
	var t time.Duration
	live := func(v float64, kind RoundKind) Round {
		dump, tr, sent := c.round(v, false)
		r := Round{Index: len(res.Rounds), Kind: kind, Start: t, Bytes: int64(math.Round(sent)),
			Pages: int64(math.Ceil(v / c.p)), DumpTime: dump, TransferTime: tr}
		r.End = t + dump + tr
		pending = c.dirty(r.End - r.Start)
		t = r.End
		res.Rounds = append(res.Rounds, r)
		return r
	}
	switch technique {
	case Cold:
		res.StopReason = StopNoRounds
		pending = m
	case PreCopy:
		v := m
		for {
			live(v, kindFor(len(res.Rounds)))
			h := History{Memory: s.PreCopy.Stop.capMemory(s.Memory), Rounds: res.Rounds, Pending: int64(math.Round(pending))}
			if reason := s.PreCopy.Stop.Check(h); reason != StopNone {
				res.StopReason = reason
				break
			}
			v = pending
		}
	case MiGrror:
		res.StopReason, res.TriggerAt = StopTrigger, s.MiGrror.Trigger.Duration()
		theta, minGap := float64(s.MiGrror.SyncThreshold), s.MiGrror.MinInterval.Duration()
		v := m
		for {
			r := live(v, kindFor(len(res.Rounds)))
			if t >= res.TriggerAt {
				break
			}
			next := r.Start + minGap
			if dt, ok := c.reach(theta); !ok {
				next = res.TriggerAt
			} else {
				next = max(next, r.Start+dt, t)
			}
			if next >= res.TriggerAt {
				t = res.TriggerAt
				pending = c.dirty(t - r.Start)
				break
			}
			t = next
			v = c.dirty(t - r.Start)
		}
	case PostCopy:
		return analyticPostCopy(s, c)
	default:
		_, err := NewTechnique(technique, s)
		return Result{}, err
	}
	res.Technique = technique
	final := frozenRound(s, c, t, pending, len(res.Rounds), RoundFinal)
	res.Rounds = append(res.Rounds, final)
	res.FreezeAt = final.Start
	restored := final.Pages
	if s.Costs.RestoreAllPages {
		restored = s.Memory.Pages()
	}
	res.Resume = resumeAt(s, final.End, restored, final.Pages, final.Index > 0)
	return res, nil
}

func kindFor(i int) RoundKind {
	if i == 0 {
		return RoundFull
	}
	return RoundDelta
}

func frozenRound(s Scenario, c analyticCosts, t time.Duration, v float64, idx int, kind RoundKind) Round {
	dump, tr, sent := c.round(v, true)
	dump += s.Costs.Freeze.Duration() + s.Costs.FinalSetupFor(idx > 0 && kind == RoundFinal).Duration()
	return Round{Index: idx, Kind: kind, Start: t, End: t + dump + tr, Bytes: int64(math.Round(sent)),
		Pages: int64(math.Ceil(v / c.p)), DumpTime: dump, TransferTime: tr, Frozen: true}
}

// resumeAt restores pages (finalPages of them from the final round, chained
// when it followed live rounds) and resumes, from t.
func resumeAt(s Scenario, t time.Duration, pages, finalPages int64, chained bool) ResumeInfo {
	d := s.Costs.RestoreTime(pages, finalPages, chained) + s.Costs.Resume.Duration()
	return ResumeInfo{Start: t, End: t + d, Pages: pages}
}

// analyticPostCopy: freeze and hand over minimal state, resume, then push the
// rest at the link rate; the degraded period lasts until the last page arrives.
func analyticPostCopy(s Scenario, c analyticCosts) (Result, error) {
	res := Result{Technique: PostCopy, StopReason: StopNoRounds}
	h := frozenRound(s, c, 0, float64(s.PostCopy.Handover), 0, RoundHandover)
	res.Rounds = []Round{h}
	res.FreezeAt = 0
	res.Resume = resumeAt(s, h.End, h.Pages, h.Pages, false)
	rest := float64(s.Memory.Size)
	tr := s.Costs.TransferSetup.Duration() + s.Network.Latency.Duration() + Seconds(rest/c.r)
	res.PostCopy = &PostCopyStats{Degraded: tr, Bytes: int64(rest), Pages: s.Memory.Pages(), End: res.Resume.End + tr}
	return res, nil
}
