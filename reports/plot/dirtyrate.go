package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// DowntimeVsDirtyRate plots downtime against the workload's dirty rate
// (Params.Workload.DirtyRate), one colour per technique: simulated records as
// a solid line through the median downtime at each dirty rate, analytic ones
// as a dashed line, and every measured (real) record as a point (hollow for
// calibration scenarios). The y axis is logarithmic when downtimes span more
// than two decades, the x axis when dirty rates do. Medians pool every record
// of a technique at a dirty rate, whatever its other parameters; a note says
// so when memory sizes or bandwidths differ. Failed records are left out. The
// error wraps [ErrNoData] when no record can be drawn or the records hold
// fewer than two dirty rates.
func DowntimeVsDirtyRate(recs []models.Record) (*Figure, error) {
	var ok []models.Record
	failed := 0
	rates := map[float64]bool{}
	for _, r := range recs {
		switch {
		case r.Error != "":
			failed++
		case r.Backend == models.BackendSim || r.Backend == models.BackendAnalytic || r.Backend == models.BackendReal:
			ok = append(ok, r)
			rates[float64(r.Params.Workload.DirtyRate)] = true
		}
	}
	switch {
	case len(ok) == 0:
		return nil, fmt.Errorf("plot: downtime vs dirty rate: no successful sim, analytic or real records among %d: %w", len(recs), ErrNoData)
	case len(rates) < 2:
		var only float64
		for r := range rates {
			only = r
		}
		return nil, fmt.Errorf("plot: downtime vs dirty rate: the %d records hold one dirty rate (params.workload.dirty_rate_bytes_per_s = %g), at least two are needed: %w",
			len(ok), only, ErrNoData)
	}
	var xs, ys []float64
	for _, r := range ok {
		xs = append(xs, float64(r.Params.Workload.DirtyRate))
		ys = append(ys, r.Metrics.DowntimeS)
	}
	logX, logY := spansDecades(xs), spansDecades(ys)
	var techs []string
	for _, r := range ok {
		techs = append(techs, r.Technique)
	}
	techs = sortTechniques(techs)
	cols := colors(techs)
	f := &Figure{Title: "Downtime vs dirty rate"}
	dropped := 0
	drawable := func(x, y float64) bool {
		if (logX && x <= 0) || (logY && y <= 0) {
			dropped++
			return false
		}
		return true
	}
	backends := map[string]bool{}
	for _, t := range techs {
		for _, b := range []string{models.BackendSim, models.BackendAnalytic} {
			med := medians(ok, t, b)
			s := Series{Name: t + " " + b, Kind: KindLine, Color: cols[t], Shape: ShapeSquare, Dashed: b == models.BackendAnalytic}
			if b == models.BackendAnalytic {
				s.Shape = ShapeNone
			}
			for _, p := range med {
				if drawable(p.X, p.Y) {
					s.Points = append(s.Points, p)
				}
			}
			if len(s.Points) > 0 {
				f.Series = append(f.Series, s)
				backends[b] = true
			}
		}
	}
	for _, t := range techs {
		s := Series{Name: t + " " + models.BackendReal, Kind: KindPoints, Color: cols[t], Shape: ShapeCircle}
		for _, r := range ok {
			x, y := float64(r.Params.Workload.DirtyRate), r.Metrics.DowntimeS
			if r.Technique == t && r.Backend == models.BackendReal && drawable(x, y) {
				s.Points = append(s.Points, Point{X: x, Y: y, Hollow: r.Role.Unscored()})
			}
		}
		if len(s.Points) > 0 {
			f.Series = append(f.Series, s)
			backends[models.BackendReal] = true
		}
	}
	f.X = axisOver(f.Series, func(p Point) float64 { return p.X }, logX, reports.UnitBytesPerSecond, "Dirty rate")
	f.Y = axisOver(f.Series, func(p Point) float64 { return p.Y }, logY, reports.UnitSeconds, "Downtime")
	f.Legend = dirtyRateLegend(techs, cols, backends, ok)
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d value(s) <= 0 not drawn on the log axis.", dropped))
	}
	if failed > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d failed record(s) not drawn.", failed))
	}
	if mixed(ok) {
		f.Notes = append(f.Notes, "Records differ in memory size or bandwidth; medians pool them.")
	}
	return f, nil
}

// medians returns the median downtime of technique t's records of backend b at
// each dirty rate, sorted by dirty rate.
func medians(recs []models.Record, t, b string) []Point {
	by := map[float64][]float64{}
	for _, r := range recs {
		if r.Technique == t && r.Backend == b {
			x := float64(r.Params.Workload.DirtyRate)
			by[x] = append(by[x], r.Metrics.DowntimeS)
		}
	}
	var out []Point
	for x, ys := range by {
		out = append(out, Point{X: x, Y: reports.MedianCI(ys, 0.95).Center})
	}
	slices.SortFunc(out, func(a, b Point) int { return cmpFloat(a.X, b.X) })
	return out
}

// cmpFloat orders two floats.
func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// axisOver builds an axis over the coordinate get of every series point.
func axisOver(series []Series, get func(Point) float64, log bool, u reports.Unit, label string) Axis {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			lo, hi = math.Min(lo, get(p)), math.Max(hi, get(p))
		}
	}
	a := Axis{Label: label, Unit: u, Log: log}
	if log {
		a.Min, a.Max = LogRange(lo, hi, u)
	} else {
		a.Min, a.Max = LinearRange(math.Min(lo, 0), hi)
	}
	return a
}

// dirtyRateLegend says which colour is which technique and how each backend
// is drawn.
func dirtyRateLegend(techs []string, cols map[string]color.RGBA, backends map[string]bool, recs []models.Record) []LegendItem {
	items := []LegendItem{{Label: "Technique", Header: true}}
	for _, t := range techs {
		items = append(items, LegendItem{Label: t, Color: cols[t], Shape: ShapeNone, Line: true})
	}
	items = append(items, LegendItem{Label: "Backend", Header: true})
	if backends[models.BackendSim] {
		items = append(items, LegendItem{Label: "simulator (median)", Color: colorNote, Shape: ShapeSquare, Line: true})
	}
	if backends[models.BackendAnalytic] {
		items = append(items, LegendItem{Label: "analytic model", Color: colorNote, Shape: ShapeNone, Line: true, Dashed: true})
	}
	if backends[models.BackendReal] {
		items = append(items, LegendItem{Label: "measured (real)", Color: colorNote, Shape: ShapeCircle})
		has := func(role models.Role) bool {
			return slices.ContainsFunc(recs, func(r models.Record) bool { return r.Backend == models.BackendReal && r.Role == role })
		}
		switch cal, warm := has(models.RoleCalibration), has(models.RoleWarmup); {
		case cal && warm:
			items = append(items, LegendItem{Label: "measured, calibration or warm-up", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		case cal:
			items = append(items, LegendItem{Label: "measured, calibration", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		case warm:
			items = append(items, LegendItem{Label: "measured, warm-up", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		}
	}
	return items
}

// mixed reports whether records differ in memory size or bandwidth.
func mixed(recs []models.Record) bool {
	for _, r := range recs[1:] {
		if r.Params.Memory.Size != recs[0].Params.Memory.Size || r.Params.Network.Bandwidth != recs[0].Params.Network.Bandwidth {
			return true
		}
	}
	return false
}
