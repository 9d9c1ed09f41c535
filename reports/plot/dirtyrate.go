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
	return versus{
		title: "Downtime vs dirty rate", what: "downtime vs dirty rate",
		xName: "dirty rate", xField: "params.workload.dirty_rate_bytes_per_s", xLabel: "Dirty rate", xUnit: reports.UnitBytesPerSecond,
		x:      func(r models.Record) (float64, bool) { return float64(r.Params.Workload.DirtyRate), true },
		yLabel: "Downtime", y: func(r models.Record) float64 { return r.Metrics.DowntimeS },
		mixed: func(recs []models.Record) string {
			if mixed(recs) {
				return "Records differ in memory size or bandwidth; medians pool them."
			}
			return ""
		},
	}.figure(recs)
}

// versus is a plot of a metric against a scenario parameter: medians of the
// simulated and analytic records as lines, measured records as points.
type versus struct {
	title, what string
	// xName and xField name the parameter in errors; xLabel and xUnit label
	// its axis; x reads it (false: the record is not drawn).
	xName, xField, xLabel string
	xUnit                 reports.Unit
	x                     func(models.Record) (float64, bool)
	yLabel                string
	y                     func(models.Record) float64
	// mixed returns a note when the pooled records differ otherwise ("": none).
	mixed func([]models.Record) string
}

// figure builds the plot of recs.
func (v versus) figure(recs []models.Record) (*Figure, error) {
	var ok []models.Record
	failed := 0
	xsSeen := map[float64]bool{}
	for _, r := range recs {
		x, has := v.x(r)
		switch {
		case !has:
		case r.Error != "":
			failed++
		case r.Backend == models.BackendSim || r.Backend == models.BackendAnalytic || r.Backend == models.BackendReal:
			ok = append(ok, r)
			xsSeen[x] = true
		}
	}
	switch {
	case len(ok) == 0:
		return nil, fmt.Errorf("plot: %s: no successful sim, analytic or real records among %d: %w", v.what, len(recs), ErrNoData)
	case len(xsSeen) < 2:
		var only float64
		for x := range xsSeen {
			only = x
		}
		return nil, fmt.Errorf("plot: %s: the %d records hold one %s (%s = %g), at least two are needed: %w",
			v.what, len(ok), v.xName, v.xField, only, ErrNoData)
	}
	xOf := func(r models.Record) float64 { x, _ := v.x(r); return x }
	var xs, ys []float64
	for _, r := range ok {
		xs = append(xs, xOf(r))
		ys = append(ys, v.y(r))
	}
	logX, logY := spansDecades(xs), spansDecades(ys)
	var techs []string
	for _, r := range ok {
		techs = append(techs, r.Technique)
	}
	techs = sortTechniques(techs)
	cols := colors(techs)
	f := &Figure{Title: v.title}
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
			med := medians(ok, t, b, xOf, v.y)
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
			x, y := xOf(r), v.y(r)
			if r.Technique == t && r.Backend == models.BackendReal && drawable(x, y) {
				s.Points = append(s.Points, Point{X: x, Y: y, Hollow: r.Role.Unscored()})
			}
		}
		if len(s.Points) > 0 {
			f.Series = append(f.Series, s)
			backends[models.BackendReal] = true
		}
	}
	f.X = axisOver(f.Series, func(p Point) float64 { return p.X }, logX, v.xUnit, v.xLabel)
	f.Y = axisOver(f.Series, func(p Point) float64 { return p.Y }, logY, reports.UnitSeconds, v.yLabel)
	f.Legend = dirtyRateLegend(techs, cols, backends, ok)
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d value(s) <= 0 not drawn on the log axis.", dropped))
	}
	if failed > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d failed record(s) not drawn.", failed))
	}
	if note := v.mixed(ok); note != "" {
		f.Notes = append(f.Notes, note)
	}
	return f, nil
}

// medians returns the median of y over technique t's records of backend b
// at each x, sorted by x.
func medians(recs []models.Record, t, b string, x, y func(models.Record) float64) []Point {
	by := map[float64][]float64{}
	for _, r := range recs {
		if r.Technique == t && r.Backend == b {
			by[x(r)] = append(by[x(r)], y(r))
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
