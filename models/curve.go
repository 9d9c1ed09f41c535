package models

import (
	"fmt"
	"math"
)

// DirtyCurve is a measured dirtying curve (`migrlab profile`'s median): the
// distinct bytes a container dirtied within a window of each length after a
// round started. Where it is set, the simulator takes the dirty memory from
// it instead of from dirty_rate, wws and the hot split, which then only
// extend it: between two points it is linear, before the first it rises
// from 0, and beyond the last it grows by what the workload's model adds.
// The windows are at the workload's base pace: under a rate_trace a window
// counts the trace's factor, as the writes do.
type DirtyCurve struct {
	Points []DirtyPoint `yaml:"points" json:"points"`
	// Growing is what a growing container (memory.growth) dirtied within
	// each window beyond the pages it added, measured while it grew: the
	// pages every window touches (its tables, buffers and stack) without
	// the rewrites of a dataset it has not finished writing. While the
	// container grows, a round's dirty set is this plus the pages it added,
	// at least Points'; without it, Points' or the pages added, whichever
	// is more. It needs Points, and holds beyond its last window.
	Growing []DirtyPoint `yaml:"growing,omitempty" json:"growing,omitempty"`
}

// DirtyPoint is the dirtying within one window.
type DirtyPoint struct {
	Window Duration `yaml:"window" json:"window"`
	Bytes  ByteSize `yaml:"bytes" json:"bytes"`
}

// MaxCurvePoints bounds a curve.
const MaxCurvePoints = 256

// Empty reports whether no curve is set.
func (c DirtyCurve) Empty() bool { return len(c.Points) == 0 }

// Validate checks the points against the memory; the error names the point.
func (c DirtyCurve) Validate(m Memory) error {
	if err := validatePoints("workload.curve.points", c.Points, m); err != nil {
		return err
	}
	if len(c.Growing) > 0 && len(c.Points) == 0 {
		return fmt.Errorf("workload.curve.growing: needs workload.curve.points (the curve once the container stops growing)")
	}
	return validatePoints("workload.curve.growing", c.Growing, m)
}

func validatePoints(field string, pts []DirtyPoint, m Memory) error {
	if len(pts) > MaxCurvePoints {
		return fmt.Errorf("%s: at most %d points, got %d", field, MaxCurvePoints, len(pts))
	}
	for i, p := range pts {
		if p.Window <= 0 || (i > 0 && p.Window <= pts[i-1].Window) {
			return fmt.Errorf("%s[%d].window: windows must be above 0 and increase, got %s", field, i, p.Window)
		}
		if p.Bytes < 0 || p.Bytes > m.Size || (i > 0 && p.Bytes < pts[i-1].Bytes) {
			return fmt.Errorf("%s[%d].bytes: must be between the previous point's and memory.size (%s), got %s", field, i, m.Size, p.Bytes)
		}
	}
	return nil
}

// GrowingAt is the growing part (Growing) within a window of w: from 0 up
// to its first point, linear between points, its last beyond it; 0
// without one.
func (c DirtyCurve) GrowingAt(w Duration) ByteSize {
	n := len(c.Growing)
	switch {
	case n == 0 || w <= 0:
		return 0
	case w < c.Growing[0].Window:
		return ByteSize(float64(c.Growing[0].Bytes) * float64(w) / float64(c.Growing[0].Window))
	case w >= c.Growing[n-1].Window:
		return c.Growing[n-1].Bytes
	}
	i := 1
	for c.Growing[i].Window < w {
		i++
	}
	a, b := c.Growing[i-1], c.Growing[i]
	f := float64(w-a.Window) / float64(b.Window-a.Window)
	return a.Bytes + ByteSize(f*float64(b.Bytes-a.Bytes))
}

// WithRoundPages is w with pages of m added to every point of its curve's
// growing part, each at most m's size (a migration's rounds dirty what the
// load at rest does not: Deviation.RoundPages); w itself without them.
func (w Workload) WithRoundPages(pages float64, m Memory) Workload {
	if !(pages > 0) || len(w.Curve.Growing) == 0 {
		return w
	}
	ps := m.PageSize
	if ps <= 0 {
		ps = 4096 // WithDefaults' page size
	}
	extra := ByteSize(math.Round(pages)) * ps
	g := make([]DirtyPoint, len(w.Curve.Growing))
	for i, p := range w.Curve.Growing {
		g[i] = DirtyPoint{Window: p.Window, Bytes: min(p.Bytes+extra, m.Size)}
	}
	w.Curve.Growing = g
	return w
}
