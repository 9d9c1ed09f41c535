package sim

import (
	"time"

	"github.com/migrlab/migrlab/models"
)

// dirtyCurve is a scenario's measured dirtying curve (models.DirtyCurve) in
// the memory model's units: pages, or bytes for the analytic model.
type dirtyCurve struct {
	// w are the windows in seconds at the workload's base pace, d the
	// units dirty within each.
	w, d []float64
	// growing holds Curve.Growing: what a growing container dirties beyond
	// what it adds; unit converts its bytes to the model's units.
	growing models.DirtyCurve
	unit    float64
	// base is the base write rate (units per second) that turns the writes
	// since a round started into a window at the base pace; 0: the windows
	// are plain time.
	base float64
	// model is the workload model's dirtying within a window (seconds at
	// the base pace): how the curve extends beyond its last window.
	model func(w float64) float64
}

// newDirtyCurve builds m's curve from s (nil without one).
func newDirtyCurve(s models.Scenario, m *Memory) *dirtyCurve {
	pts := s.Workload.Curve.Points
	if len(pts) == 0 {
		return nil
	}
	unit := float64(m.pageSize)
	if m.analytic {
		unit = 1
	}
	c := &dirtyCurve{base: float64(s.Workload.DirtyRate) / unit}
	for _, p := range pts {
		c.w = append(c.w, p.Window.Seconds())
		c.d = append(c.d, float64(p.Bytes)/unit)
	}
	c.growing, c.unit = s.Workload.Curve, unit
	c.model = func(w float64) float64 {
		x := c.base * w
		rt := m.runtime.dirty(time.Duration(w * float64(time.Second)))
		if m.analytic {
			return min(x, m.wwsBytes) + rt
		}
		return m.expected(x) + rt
	}
	return c
}

// at returns the units dirty within a window of w seconds at the base pace:
// from 0 up to the first point, linear between points, and beyond the last
// the last point plus what the model adds from there.
func (c *dirtyCurve) at(w float64) float64 {
	n := len(c.w)
	switch {
	case w <= 0:
		return 0
	case w < c.w[0]:
		return c.d[0] * w / c.w[0]
	case w >= c.w[n-1]:
		return c.d[n-1] + max(0, c.model(w)-c.model(c.w[n-1]))
	}
	i := 1
	for c.w[i] < w {
		i++
	}
	f := (w - c.w[i-1]) / (c.w[i] - c.w[i-1])
	return c.d[i-1] + f*(c.d[i]-c.d[i-1])
}

// growingAt returns the units a growing container dirties within a window
// of w seconds at the base pace beyond those it adds
// (models.DirtyCurve.GrowingAt); ok is false without a growing part.
func (c *dirtyCurve) growingAt(w float64) (units float64, ok bool) {
	if len(c.growing.Growing) == 0 {
		return 0, false
	}
	return float64(c.growing.GrowingAt(models.Duration(w*1e9))) / c.unit, true
}

// window is the window at the base pace from the last Track to t: the
// writes since then over the base rate (a rate trace speeds it up or slows
// it down), or plain time without a base rate.
func (m *Memory) window(t time.Duration) float64 {
	end := min(t, m.frozen)
	if end <= m.since {
		return 0
	}
	if m.curve.base > 0 {
		return m.writes.between(m.since, end) / m.curve.base
	}
	return secs(end - m.since)
}
