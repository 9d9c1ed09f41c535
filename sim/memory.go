package sim

import (
	"math"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Memory is the source container's memory as a migration sees it: the set of
// pages dirtied since dirty tracking last restarted (a round start).
//
// The workload writes pages at Workload.DirtyRate/PageSize writes per second
// (times the rate trace) over its writable working set (WWS). With hot/cold
// split, HotFraction of the WWS pages take HotShare of the writes; within a pool
// writes are uniform. Beside the WWS, the container's runtime
// (Workload.Runtime, see runtimeDirt) dirties its hot pages in any window and
// its own writes over the rest of its memory; in every model its pages add to
// the workload's. Three models:
//
//   - pages (models.ModelPages, the default): the dirty set is tracked per pool as
//     the expected number of distinct pages after k uniform writes over n pages,
//     n(1-(1-1/n)^k), rounded to the nearest whole page. A page written twice
//     within a round counts once. Exact occupancy math, no per-write loop.
//   - exhaustive (Simulator.Exhaustive with the pages model): a per-page bitset
//     written by a PCG generator seeded from models.DeriveSeed; used to validate
//     the occupancy math (the runtime's pages stay its expected occupancy).
//   - analytic (models.ModelAnalytic): every dirtied byte counts as new, capped
//     per round at the WWS (the closed forms' assumption); byte-granular.
//
// A measured curve (Workload.Curve, see dirtyCurve) replaces the pools where
// it was measured, in either model; the pools extend it beyond its last
// window.
//
// A growing container (models.Memory.Growing) holds Memory.ResidentAt(t), t
// in the workload's time (its load fills it: under a rate trace it grows as
// the writes go, faster or slower). The pages it adds are new, so they are
// dirty in the round they arrive in (a measured curve already counts them:
// the dirty set is then at least them), and the dirty set never exceeds
// what it holds.
type Memory struct {
	analytic bool
	pageSize int64
	pages    int64 // all memory pages
	wwsBytes float64
	pools    []pool
	maxDirty float64 // pages (or bytes) the dirty set can reach
	writes   rateFn  // page writes per second, or bytes per second (analytic)
	since    time.Duration
	tracking bool // Track was called
	frozen   time.Duration
	runtime  *runtimeDirt   // the container's own dirtying (nil: none)
	curve    *dirtyCurve    // a measured dirtying curve (nil: none)
	growth   *models.Memory // the memory of a growing container (nil: a constant one)
	marks    *models.Memory // the memory of a container with whole-mapping marks (nil: none)
	touch    *models.Memory // the memory of an app whose check writes before the freeze (nil: none)
	pace     rateFn         // the workload's time: seconds at its base pace (the rate trace's integral)
	bits     *bitMemory
	// memo caches the last occupancy evaluation (rounds and waits ask for the
	// same instant several times).
	memo struct {
		ok       bool
		t, since time.Duration
		pages    int64
	}
	// inv caches the last inversion (MiGrror waits for the same threshold
	// after every round).
	inv struct{ d, x float64 }
}

// pool is a set of n pages that receives share of the writes.
type pool struct {
	n, share float64
	a        float64 // share*ln(1-1/n): log of the survival per write
}

// NewMemory builds the memory model of scenario s (defaults applied). seed feeds
// the exhaustive model only; the occupancy and analytic models are exact.
func NewMemory(s models.Scenario, seed uint64, exhaustive bool) *Memory {
	ps := int64(s.Memory.PageSize)
	m := &Memory{analytic: s.Model == models.ModelAnalytic, pageSize: ps, pages: s.Memory.Pages(),
		wwsBytes: float64(s.Workload.WWSBytes(s.Memory)), frozen: MaxTime}
	m.runtime = newRuntimeDirt(s, m.analytic)
	if s.Memory.Growing() {
		m.growth = &s.Memory
	}
	if len(s.Memory.Marks) > 0 {
		m.marks = &s.Memory
	}
	if s.Memory.CheckTouch > 0 {
		m.touch = &s.Memory
	}
	if m.growth != nil || m.marks != nil {
		m.pace = newRateFn(1, s.Workload.RateTrace)
	}
	if m.analytic {
		m.writes = newRateFn(float64(s.Workload.DirtyRate), s.Workload.RateTrace)
		m.maxDirty = m.wwsBytes + m.runtime.max()
		m.curve = newDirtyCurve(s, m)
		return m
	}
	m.writes = newRateFn(float64(s.Workload.DirtyRate)/float64(ps), s.Workload.RateTrace)
	m.pools = hotCold(s.Workload, max(1, int64(m.wwsBytes)/ps))
	for _, p := range m.pools {
		if p.share > 0 {
			m.maxDirty += p.n
		}
	}
	m.maxDirty += m.runtime.max()
	m.curve = newDirtyCurve(s, m)
	if exhaustive && m.curve == nil && m.growth == nil && m.marks == nil { // a measured curve has no pages to draw
		m.bits = newBitMemory(m.pools, seed)
	}
	return m
}

// hotCold splits w WWS pages into a hot and a cold pool (or one pool).
func hotCold(wl models.Workload, w int64) []pool {
	mk := func(n int64, share float64) pool {
		return pool{n: float64(n), share: share, a: share * math.Max(math.Log1p(-1/float64(n)), -700)}
	}
	if wl.HotFraction <= 0 || w < 2 {
		return []pool{mk(w, 1)}
	}
	h := min(max(int64(math.Round(wl.HotFraction*float64(w))), 1), w-1)
	return []pool{mk(h, wl.HotShare), mk(w-h, 1-wl.HotShare)}
}

// Pages returns the number of pages of the whole memory (of a growing
// container, what it grows to).
func (m *Memory) Pages() int64 { return m.pages }

// Resident returns the pages and bytes the container holds at t (all of
// them unless it grows; it stops growing when frozen).
func (m *Memory) Resident(t time.Duration) (pages, bytes int64) {
	if m.growth == nil {
		return m.pages, m.pages * m.pageSize
	}
	b := int64(m.growth.ResidentAt(m.workTime(t)))
	if m.analytic {
		return (b + m.pageSize - 1) / m.pageSize, b
	}
	pages = b / m.pageSize
	return pages, pages * m.pageSize
}

// added returns the units (pages, or bytes in the analytic model) a growing
// container added between the last Track and t.
func (m *Memory) added(t time.Duration) float64 {
	if m.growth == nil {
		return 0
	}
	p1, b1 := m.Resident(t)
	p0, b0 := m.Resident(m.since)
	if m.analytic {
		return float64(b1 - b0)
	}
	return float64(p1 - p0)
}

// Track restarts dirty tracking at t (a round starts) and returns the pages and
// bytes dirtied since the previous restart: what the round sends. The first
// call starts tracking and returns zero (the first round sends everything).
func (m *Memory) Track(t time.Duration) (pages, bytes int64) {
	if m.tracking {
		pages, bytes = m.Dirty(t)
	}
	m.restart(t)
	return pages, bytes
}

// TrackFinal is Track of a live migration's final round: with what the
// app's check wrote right before the freeze (models.Memory.CheckTouchAt
// what the container holds then), as one region with the marks that fell
// since the round before (models.TouchedWithMarked), in union with what
// the load wrote over what the container holds.
func (m *Memory) TrackFinal(t time.Duration) (pages, bytes int64) {
	if m.touch == nil || !m.tracking {
		return m.Track(t)
	}
	pages, bytes, marked := m.dirtyParts(t)
	_, rb := m.Resident(t)
	touch := float64(m.touch.CheckTouchAt(models.ByteSize(rb)))
	pages, bytes = m.union(t, pages, bytes, models.TouchedWithMarked(touch, marked))
	m.restart(t)
	return pages, bytes
}

// restart starts counting what is dirtied from t.
func (m *Memory) restart(t time.Duration) {
	if m.bits != nil {
		m.bits.reset(m.writesUntil(t))
	}
	m.since, m.tracking = t, true
}

// Freeze stops the workload at t: nothing is dirtied after it.
func (m *Memory) Freeze(t time.Duration) {
	m.frozen = min(m.frozen, t)
	m.memo.ok = false
}

// writesUntil returns the cumulative writes (or bytes) from time 0 to t.
func (m *Memory) writesUntil(t time.Duration) float64 { return m.writes.F(min(t, m.frozen)) }

// Dirty returns the pages and bytes dirtied between the last Track and t.
func (m *Memory) Dirty(t time.Duration) (pages, bytes int64) {
	pages, bytes, marked := m.dirtyParts(t)
	return m.union(t, pages, bytes, marked)
}

// dirtyParts is what Dirty counts, in two parts: the pages and bytes the
// workload wrote (and a growing container added) since the last Track, and
// the bytes marked whole meanwhile (marked; 0 without marks).
func (m *Memory) dirtyParts(t time.Duration) (pages, bytes int64, marked float64) {
	if m.growth != nil {
		pages, bytes = m.dirtyGrowing(t)
	} else {
		pages, bytes = m.dirty(t)
	}
	if m.marks != nil && m.tracking {
		marked = m.marked(t)
	}
	return pages, bytes, marked
}

// workTime is t in the workload's time (its rate trace's pace), stopped
// when the container freezes.
func (m *Memory) workTime(t time.Duration) time.Duration {
	return time.Duration(m.pace.F(min(t, m.frozen)) * float64(time.Second))
}

// marked is the memory marked whole since the last Track, at t: the
// expectation over where each mark falls (models.Memory.MarkedExpected), in
// the workload's time. A round sends it in union with what was written
// (models.UnionWithMarked) over what the container holds at t.
func (m *Memory) marked(t time.Duration) float64 {
	return m.marks.MarkedExpected(m.workTime(m.since), m.workTime(t))
}

// union is a round's dirty pages and bytes at t in union with extra bytes
// that fall independently of them (models.UnionWithMarked) over what the
// container holds then.
func (m *Memory) union(t time.Duration, pages, bytes int64, extra float64) (int64, int64) {
	if extra <= 0 {
		return pages, bytes
	}
	rp, rb := m.Resident(t)
	if m.analytic {
		b := int64(math.Round(models.UnionWithMarked(float64(bytes), extra, float64(rb))))
		return (b + m.pageSize - 1) / m.pageSize, b
	}
	extra = math.Ceil(extra / float64(m.pageSize))
	p := int64(math.Round(models.UnionWithMarked(float64(pages), extra, float64(rp))))
	return p, p * m.pageSize
}

// dirtyGrowing is Dirty of a growing container: what its model dirties plus
// the pages it added, at most what it holds. A measured curve counts them
// already: at least them, or, where the curve says what the container
// dirties beyond them while it grows (Curve.Growing), that plus them while
// it adds any, at least the curve.
func (m *Memory) dirtyGrowing(t time.Duration) (pages, bytes int64) {
	pages, bytes = m.dirty(t)
	add := m.added(t)
	rp, rb := m.Resident(t)
	withCurve := func(d float64) float64 {
		if g, ok := m.curve.growingAt(m.window(t)); ok && add > 0 {
			return max(d, g+add)
		}
		return max(d, add)
	}
	if m.analytic {
		d := float64(bytes) + add
		if m.curve != nil {
			d = withCurve(float64(bytes))
		}
		bytes = min(int64(math.Round(d)), rb)
		return (bytes + m.pageSize - 1) / m.pageSize, bytes
	}
	d := pages + int64(add)
	if m.curve != nil {
		d = int64(math.Floor(withCurve(float64(pages)) + 0.5))
	}
	pages = min(d, rp)
	return pages, pages * m.pageSize
}

// dirty is Dirty of a memory that does not grow.
func (m *Memory) dirty(t time.Duration) (pages, bytes int64) {
	if m.curve != nil {
		d := m.curve.at(m.window(t))
		if m.analytic {
			b := int64(math.Round(d))
			return (b + m.pageSize - 1) / m.pageSize, b
		}
		pages = min(int64(math.Floor(d+0.5)), m.pages)
		return pages, pages * m.pageSize
	}
	x := m.writes.between(m.since, min(t, m.frozen))
	rt := m.runtimeDirty(t)
	switch {
	case m.analytic:
		b := int64(math.Round(math.Min(x, m.wwsBytes) + rt))
		return (b + m.pageSize - 1) / m.pageSize, b
	case m.bits != nil:
		pages = m.bits.advance(m.writesUntil(t)) + int64(math.Floor(rt+0.5))
	case m.memo.ok && m.memo.t == t && m.memo.since == m.since:
		pages = m.memo.pages
	default:
		pages = int64(math.Floor(m.expected(x) + rt + 0.5))
		m.memo.ok, m.memo.t, m.memo.since, m.memo.pages = true, t, m.since, pages
	}
	return pages, pages * m.pageSize
}

// expected returns the expected number of distinct pages dirtied by x writes.
func (m *Memory) expected(x float64) float64 {
	if x <= 0 {
		return 0
	}
	d := 0.0
	for _, p := range m.pools {
		d += p.n * -math.Expm1(p.a*x)
	}
	return d
}

// Reach returns the earliest time t in [from, limit] at which at least atLeast
// bytes are dirty, and false when that does not happen by limit. It inverts
// the occupancy curve in closed form (one pool) or by Newton's method (two
// pools) and the rate trace per segment: no stepping through time.
func (m *Memory) Reach(atLeast int64, from, limit time.Duration) (time.Duration, bool) {
	if m.curve != nil || m.growth != nil || m.marks != nil {
		return m.reachByTime(atLeast, from, limit)
	}
	if m.bits != nil { // looks ahead without advancing the bitset past now
		return m.bits.reach((atLeast+m.pageSize-1)/m.pageSize, from, limit, m)
	}
	if atLeast <= 0 {
		return from, from <= limit
	}
	if m.runtime != nil {
		return m.reachByTime(atLeast, from, limit)
	}
	// x is how many writes (bytes) since the last Track the target needs.
	var x float64
	if m.analytic {
		if float64(atLeast)-0.5 >= m.maxDirty {
			return limit, false
		}
		x = float64(atLeast) - 0.5
	} else {
		need := float64((atLeast + m.pageSize - 1) / m.pageSize)
		if need-0.5 >= m.maxDirty {
			return limit, false
		}
		x = m.invert(need - 0.5)
	}
	if m.writes.between(m.since, min(from, m.frozen)) >= x*(1-1e-9) {
		if _, b := m.Dirty(from); b >= atLeast { // already there
			return from, from <= limit
		}
	}
	for range 8 {
		t, ok := m.writes.reach(m.since, x)
		if !ok || t > m.frozen || t > limit {
			return limit, false
		}
		t = max(t, from)
		if _, b := m.Dirty(t); b >= atLeast {
			return t, true
		}
		x = x*(1+1e-12) + 1e-9 // float rounding: ask for a hair more
	}
	return limit, false
}

// runtimeDirty is what the runtime dirtied between the last Track and t (it
// stops when the container freezes).
func (m *Memory) runtimeDirty(t time.Duration) float64 {
	return m.runtime.dirty(min(t, m.frozen) - m.since)
}

// runtimePages is runtimeDirty in whole pages, rounded as Dirty rounds.
func (m *Memory) runtimePages(t time.Duration) int64 {
	return int64(math.Floor(m.runtimeDirty(t) + 0.5))
}

// reachByTime is Reach when two processes dirty memory (the workload and the
// runtime): Dirty is nondecreasing in time, so bisect the time.
func (m *Memory) reachByTime(atLeast int64, from, limit time.Duration) (time.Duration, bool) {
	if _, b := m.Dirty(from); b >= atLeast {
		return from, from <= limit
	}
	end := min(limit, max(m.frozen, from)) // nothing more gets dirty once frozen
	if end <= from {
		return limit, false
	}
	if _, b := m.Dirty(end); b < atLeast {
		return limit, false
	}
	lo, hi := from, end // Dirty(lo) < atLeast <= Dirty(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if _, b := m.Dirty(mid); b >= atLeast {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// invert returns the writes x at which expected(x) == d (0 < d < maxDirty).
func (m *Memory) invert(d float64) float64 {
	if len(m.pools) == 1 {
		p := m.pools[0]
		return math.Log1p(-d/p.n) / p.a
	}
	if m.inv.d == d {
		return m.inv.x
	}
	// expected is increasing and concave: Newton's method from below converges
	// monotonically.
	x := 0.0
	for range 200 {
		f, df := 0.0, 0.0
		for _, p := range m.pools {
			e := math.Exp(p.a * x)
			f += p.n * (1 - e)
			df -= p.n * p.a * e
		}
		step := (d - f) / df
		x += step
		if step <= 1e-12*x || df == 0 {
			break
		}
	}
	m.inv.d, m.inv.x = d, x
	return x
}
