package plot

import (
	"fmt"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// cdfBackend is how a CDF draws one backend's lines.
type cdfBackend struct {
	name, label    string
	dashed, dotted bool
}

// cdfBackends are the backends a CDF draws, each its own line: measured
// solid with markers, simulated dashed, analytic dotted. Backends never pool.
var cdfBackends = []cdfBackend{
	{models.BackendReal, "measured (real)", false, false},
	{models.BackendSim, "simulator", true, false},
	{models.BackendAnalytic, "analytic model", false, true},
}

// DowntimeCDF plots the empirical distribution of downtime: for every
// technique and backend (and with by, every value of its parameter) a step
// line through (d, k/n), d the k-th smallest of its n downtimes, so a line
// reaches y at the downtime y of its migrations stay under. Measured lines
// are solid, simulated dashed, analytic dotted; markers at the deciles
// (circles on measured lines, or with by one shape per value). The x axis is
// logarithmic when downtimes span more than two decades (then downtimes of 0
// are left out and a note says so). Failed records are left out. The error
// wraps [ErrNoData] when no record succeeded.
func DowntimeCDF(recs []models.Record, by By) (*Figure, error) {
	var ok []models.Record
	failed := 0
	for _, r := range recs {
		switch {
		case r.Error != "":
			failed++
		case slices.ContainsFunc(cdfBackends, func(b cdfBackend) bool { return b.name == r.Backend }):
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("plot: downtime CDF: no successful sim, analytic or real records among %d: %w", len(recs), ErrNoData)
	}
	var ds []float64
	var techs []string
	for _, r := range ok {
		ds = append(ds, r.Metrics.DowntimeS)
		techs = append(techs, r.Technique)
	}
	logX := spansDecades(ds)
	techs = sortTechniques(techs)
	cols := colors(techs)
	vals := by.values(ok)
	split := len(vals) > 1
	valOf := make([]value, len(ok))
	for i, r := range ok {
		valOf[i] = by.of(r)
	}
	f := &Figure{Title: "Downtime distribution"}
	dropped := 0
	backends := map[string]bool{}
	for vi, val := range vals {
		for _, t := range techs {
			for _, b := range cdfBackends {
				var d []float64
				for i, r := range ok {
					if r.Technique == t && r.Backend == b.name && valOf[i] == val {
						if logX && r.Metrics.DowntimeS <= 0 {
							dropped++
							continue
						}
						d = append(d, r.Metrics.DowntimeS)
					}
				}
				if len(d) == 0 {
					continue
				}
				s := Series{Name: t + " " + b.name, Kind: KindStep, Color: cols[t], Shape: ShapeNone,
					Dashed: b.dashed, Dotted: b.dotted, Points: CDF(d)}
				switch {
				case split:
					s.Name += ", " + by.Name + " = " + by.label(val)
					s.Shape = byShapes[vi%len(byShapes)]
				case b.name == models.BackendReal:
					s.Shape = ShapeCircle
				}
				markDeciles(s.Points)
				f.Series = append(f.Series, s)
				backends[b.name] = true
			}
		}
	}
	f.X = axisOver(f.Series, func(p Point) float64 { return p.X }, logX, reports.UnitSeconds, "Downtime")
	f.Y = Axis{Label: "Fraction of migrations", Min: 0, Max: 1.04}
	f.Legend = []LegendItem{{Label: "Technique", Header: true}}
	for _, t := range techs {
		f.Legend = append(f.Legend, LegendItem{Label: t, Color: cols[t], Shape: ShapeNone, Line: true})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Backend", Header: true})
	for _, b := range cdfBackends {
		if backends[b.name] {
			it := LegendItem{Label: b.label, Color: colorNote, Shape: ShapeNone, Line: true, Dashed: b.dashed, Dotted: b.dotted}
			if b.name == models.BackendReal && !split {
				it.Shape = ShapeCircle
			}
			f.Legend = append(f.Legend, it)
		}
	}
	if split {
		f.Legend = append(f.Legend, byLegend(by, vals)...)
		f.Notes = append(f.Notes, repeatNote(by, vals)...)
	}
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d downtime(s) <= 0 not drawn on the log axis.", dropped))
	}
	if failed > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d failed record(s) not drawn.", failed))
	}
	return f, nil
}

// CDF returns the empirical distribution function of vs as the points
// (v_k, k/n), v_k the k-th smallest value, k = 1..n.
func CDF(vs []float64) []Point {
	s := slices.Clone(vs)
	slices.Sort(s)
	out := make([]Point, len(s))
	for i, v := range s {
		out[i] = Point{X: v, Y: float64(i+1) / float64(len(s))}
	}
	return out
}

// markDeciles sets Mark on the first point at or above each tenth of a
// CDF's points, so markers stay few however many records a line holds.
func markDeciles(ps []Point) {
	for k := 1; k <= 10; k++ {
		i := int(math.Ceil(float64(k)*float64(len(ps))/10)) - 1
		ps[max(i, 0)].Mark = true
	}
}
