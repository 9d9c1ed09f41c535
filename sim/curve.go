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
	// gw and gd are the windows and units of Curve.Growing: what a growing
	// container dirties beyond what it adds (none: empty).
	gw, gd []float64
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
	for _, p := range s.Workload.Curve.Growing {
		c.gw = append(c.gw, p.Window.Seconds())
		c.gd = append(c.gd, float64(p.Bytes)/unit)
	}
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
	if n := len(c.w); w >= c.w[n-1] {
		return c.d[n-1] + max(0, c.model(w)-c.model(c.w[n-1]))
	}
	return linear(c.w, c.d, w)
}

// linear interpolates the points (ws, ds) at w: from 0 up to the first,
// linear between points, the last beyond it.
func linear(ws, ds []float64, w float64) float64 {
	n := len(ws)
	switch {
	case w <= 0:
		return 0
	case w < ws[0]:
		return ds[0] * w / ws[0]
	case w >= ws[n-1]:
		return ds[n-1]
	}
	i := 1
	for ws[i] < w {
		i++
	}
	f := (w - ws[i-1]) / (ws[i] - ws[i-1])
	return ds[i-1] + f*(ds[i]-ds[i-1])
}

// growingAt returns the units a growing container dirties within a window
// of w seconds at the base pace beyond those it adds (Curve.Growing): from
// 0 up to the first point, linear between points, the last beyond it; ok
// is false without such points.
func (c *dirtyCurve) growingAt(w float64) (units float64, ok bool) {
	if len(c.gw) == 0 {
		return 0, false
	}
	return linear(c.gw, c.gd, w), true
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
