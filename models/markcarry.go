package models

import (
	"slices"
	"time"
)

// Marks a profile missed. An allocator that maps its memory a step at a
// time next to the last step (memcached's slabs: 1 MiB and a page each,
// merged into one mapping) marks the whole mapping at every step, so its
// profile records marks that grow by the step: 291, 548, 805, 1062 and
// 1319 pages. At rest the step after 1319 pages mapped apart and the
// profile recorded no mark, while the migrations of the same app at the
// same age sent the grown mapping whole in one round (held-out sets C, F
// and H: a pre-copy round of 1570 pages where the prediction had none).
// So a profile whose marks step regularly is read as a mapping that is
// marked again at every further step its memory grows by.

// markStepTolerance is how far (a fraction of their median) the steps
// between consecutive marks may differ for the marks to count as one
// mapping growing a step at a time.
const markStepTolerance = 0.05

// CarriedMarks is memory.marks with the marks a regular progression
// implies: when there are at least three marks and their steps (each
// mark's memory less the previous one's) agree within 5 % of their median
// step, every further step by which the memory grows after the last mark
// (memory.growth, linear between its points) is marked again, holding the
// last mark's memory plus a step for each step grown, a median gap between
// the marks after the previous one where the growth's points allow it,
// else when the growth (linear between them) reaches it. Marks as they are
// otherwise.
func (m Memory) CarriedMarks() []Mark {
	ks := m.Marks
	n := len(ks)
	if n < 3 || !m.Growing() {
		return ks
	}
	steps, gaps := make([]float64, n-1), make([]float64, n-1)
	for i := 1; i < n; i++ {
		steps[i-1] = float64(ks[i].Bytes - ks[i-1].Bytes)
		gaps[i-1] = float64(ks[i].After - ks[i-1].After)
	}
	step := Median(steps)
	if step <= 0 {
		return ks
	}
	for _, s := range steps {
		if s < step*(1-markStepTolerance) || s > step*(1+markStepTolerance) {
			return ks
		}
	}
	gap := time.Duration(Median(gaps))
	last := ks[n-1]
	from := last.After.Duration()
	base := float64(m.ResidentAt(from))
	out := slices.Clone(ks)
	for k := 1; len(out) < MaxMarks; k++ {
		b := last.Bytes + ByteSize(float64(k)*step)
		at, lo, hi, ok := m.grownTo(from, base+float64(k)*step)
		if !ok || b > m.Size {
			break
		}
		// The growth is measured at the profile's windows (10, 20, 40 s
		// apart late in a pass): by a point it had grown, but when between
		// it and the one before is unknown, while the marks came at a
		// steady pace; that pace decides wherever the points allow.
		if paced := from + time.Duration(k)*gap; paced > lo && paced <= hi {
			at = paced
		}
		if at <= out[len(out)-1].After.Duration() {
			break
		}
		out = append(out, Mark{After: Duration(at), Bytes: b})
	}
	return out
}

// grownTo is the first time after from at which the memory's growth
// reaches target bytes (linear between memory.growth's points), and the
// times of the points it grew between (from for the first); false when it
// never does.
func (m Memory) grownTo(from time.Duration, target float64) (at, lo, hi time.Duration, ok bool) {
	prevT, prevB := from, float64(m.ResidentAt(from))
	for _, p := range m.Growth {
		t, b := p.After.Duration(), float64(min(p.Bytes, m.Size))
		if t <= from {
			continue
		}
		if b >= target && b > prevB {
			f := (target - prevB) / (b - prevB)
			return prevT + time.Duration(f*float64(t-prevT)), prevT, t, true
		}
		prevT, prevB = t, b
	}
	return 0, 0, 0, false
}
