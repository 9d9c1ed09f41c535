package plot

import (
	"fmt"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// versus is a plot of a metric against a scenario parameter: medians of the
// simulated and analytic records as lines, measured records as points, one
// colour per technique, and with a By one marker shape per value of its
// parameter.
type versus struct {
	title, what string
	// xName and xField name the parameter in errors; xLabel and xUnit label
	// its axis; x reads it (false: the record is not drawn).
	xName, xField, xLabel string
	xUnit                 reports.Unit
	x                     func(models.Record) (float64, bool)
	yLabel                string
	y                     func(models.Record) float64
	// pools names the parameters (of [poolable]) the medians may pool: a
	// note says which differ within a line.
	pools []string
	// by splits the series by a parameter (zero: one series per technique
	// and backend).
	by By
}

// errOneX is the error of a plot against a parameter whose records hold one
// value of it.
var errOneX = fmt.Errorf("at least two are needed: %w", ErrNoData)

// byShapes are the markers of a By's values, in order (then again).
var byShapes = []Shape{ShapeSquare, ShapeTriangle, ShapeDiamond, ShapeCircle}

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
		return nil, fmt.Errorf("plot: %s: the %d records hold one %s (%s = %g), %w",
			v.what, len(ok), v.xName, v.xField, only, errOneX)
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
	if v.by.Key != "" && v.xField == "params."+v.by.Key {
		v.by = By{} // split by the x axis' own parameter: one point a line
	}
	vals := v.by.values(ok)
	split := len(vals) > 1
	groups := make([][]models.Record, len(vals))
	for _, r := range ok { // (by.of reads the record's parameters: once each)
		i := slices.Index(vals, v.by.of(r))
		groups[i] = append(groups[i], r)
	}
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
	for gi, group := range groups {
		shape, suffix := ShapeSquare, ""
		if split {
			shape, suffix = byShapes[gi%len(byShapes)], ", "+v.by.Name+" = "+v.by.label(vals[gi])
		}
		for _, t := range techs {
			for _, b := range []string{models.BackendSim, models.BackendAnalytic} {
				s := Series{Name: t + " " + b + suffix, Kind: KindLine, Color: cols[t], Shape: shape, Dashed: b == models.BackendAnalytic}
				if b == models.BackendAnalytic && !split {
					s.Shape = ShapeNone
				}
				for _, p := range medians(group, t, b, xOf, v.y) {
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
	}
	for gi, group := range groups {
		shape, suffix := ShapeCircle, ""
		if split {
			shape, suffix = byShapes[gi%len(byShapes)], ", "+v.by.Name+" = "+v.by.label(vals[gi])
		}
		for _, t := range techs {
			s := Series{Name: t + " " + models.BackendReal + suffix, Kind: KindPoints, Color: cols[t], Shape: shape}
			for _, r := range group {
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
	}
	f.X = axisOver(f.Series, func(p Point) float64 { return p.X }, logX, v.xUnit, v.xLabel)
	f.Y = axisOver(f.Series, func(p Point) float64 { return p.Y }, logY, reports.UnitSeconds, v.yLabel)
	f.Legend = versusLegend(techs, cols, backends, ok, split)
	if split {
		f.Legend = append(f.Legend, byLegend(v.by, vals)...)
		f.Notes = append(f.Notes, repeatNote(v.by, vals)...)
	}
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d value(s) <= 0 not drawn on the log axis.", dropped))
	}
	if failed > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d failed record(s) not drawn.", failed))
	}
	for _, g := range groups {
		if note := pooledNote(g, v.pools...); note != "" {
			f.Notes = append(f.Notes, note)
			break
		}
	}
	return f, nil
}

// repeatNote says when a By has more values than there are marker shapes.
func repeatNote(by By, vals []value) []string {
	if len(vals) <= len(byShapes) {
		return nil
	}
	return []string{fmt.Sprintf("%d values of %s: marker shapes repeat.", len(vals), by.Name)}
}

// byLegend says which marker shape is which value of a By's parameter.
func byLegend(by By, vals []value) []LegendItem {
	items := []LegendItem{{Label: by.Name, Header: true}}
	for i, v := range vals {
		items = append(items, LegendItem{Label: by.label(v), Color: colorNote, Shape: byShapes[i%len(byShapes)]})
	}
	return items
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
