package plot

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// ErrNoData is wrapped by the errors of plots whose records hold nothing to
// draw; [WriteAll] skips such plots.
var ErrNoData = errors.New("no data for this plot")

// metricNames maps the names [PredictedVsMeasured] accepts to metrics.
var metricNames = map[string]reports.Metric{
	"downtime": reports.MetricDowntime, "downtime_s": reports.MetricDowntime,
	"total_time": reports.MetricTotalTime, "total-time": reports.MetricTotalTime, "total_time_s": reports.MetricTotalTime,
	"bytes": reports.MetricBytes, "bytes_sent": reports.MetricBytes,
	"rounds": reports.MetricRounds, "live_rounds": reports.MetricRounds,
}

// ParseMetric returns the metric named by s: "downtime", "total_time",
// "bytes" or "rounds", or a record field name such as "downtime_s".
func ParseMetric(s string) (reports.Metric, error) {
	if m, ok := metricNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return m, nil
	}
	return "", fmt.Errorf("plot: unknown metric %q (valid: downtime, total_time, bytes, rounds)", s)
}

// predictorShape is the marker of each predicting backend.
var predictorShape = map[string]Shape{models.BackendSim: ShapeCircle, models.BackendAnalytic: ShapeTriangle}

// PredictedVsMeasured plots, for one metric ("downtime", "total_time", "bytes"
// or "rounds"), every prediction against the measurement of the same scenario,
// technique and repetition (pairs as [reports.Compare] makes them): x is the
// measured (real) value, y the predicted one, sim as circles and analytic as
// triangles, one colour per technique, calibration scenarios hollow and
// validation ones filled, with the y = x line. Both axes share one range and
// are logarithmic when the values span more than two decades. The error wraps
// [ErrNoData] when no prediction has a measurement.
func PredictedVsMeasured(recs []models.Record, metric string) (*Figure, error) {
	m, err := ParseMetric(metric)
	if err != nil {
		return nil, err
	}
	cmp, _ := reports.Compare(recs)
	if len(cmp.Pairs) == 0 {
		return nil, noPairs(recs)
	}
	var vals []float64
	for _, p := range cmp.Pairs {
		vals = append(vals, m.Of(p.Measured.Metrics), m.Of(p.Predicted.Metrics))
	}
	log := spansDecades(vals)
	var techs []string
	for _, p := range cmp.Pairs {
		techs = append(techs, p.Measured.Technique)
	}
	techs = sortTechniques(techs)
	cols := colors(techs)
	type key struct{ tech, backend string }
	series := map[key]*Series{}
	lo, hi, dropped := math.Inf(1), math.Inf(-1), 0
	roles := map[models.Role]bool{}
	for _, p := range cmp.Pairs {
		x, y := m.Of(p.Measured.Metrics), m.Of(p.Predicted.Metrics)
		if log && (x <= 0 || y <= 0) {
			dropped++
			continue
		}
		lo, hi = math.Min(lo, math.Min(x, y)), math.Max(hi, math.Max(x, y))
		k := key{p.Measured.Technique, p.Predicted.Backend}
		if series[k] == nil {
			series[k] = &Series{Name: k.tech + " " + k.backend, Kind: KindPoints, Color: cols[k.tech], Shape: predictorShape[k.backend]}
		}
		hollow := p.Role().Unscored()
		roles[p.Role()] = true
		series[k].Points = append(series[k].Points, Point{X: x, Y: y, Hollow: hollow})
	}
	ax := Axis{Unit: m.Unit(), Log: log}
	if log {
		ax.Min, ax.Max = LogRange(lo, hi, ax.Unit)
	} else {
		ax.Min, ax.Max = LinearRange(lo, hi)
	}
	label := m.Label()
	f := &Figure{
		Title:  fmt.Sprintf("%s: predicted vs measured", capitalize(label)),
		X:      ax,
		Y:      ax,
		Square: true,
		Series: []Series{{Name: "y = x", Kind: KindReference, Points: []Point{{X: ax.Min, Y: ax.Min}, {X: ax.Max, Y: ax.Max}}}},
	}
	f.X.Label = "Measured " + label + ", real testbed"
	f.Y.Label = "Predicted " + label
	f.Legend = append(f.Legend,
		LegendItem{Label: "y = x: exact", Color: colorRef, Shape: ShapeNone, Line: true, Dashed: true},
		LegendItem{Label: "Technique", Header: true})
	for _, t := range techs {
		f.Legend = append(f.Legend, LegendItem{Label: t, Color: cols[t], Shape: ShapeSquare})
	}
	f.Legend = append(f.Legend, LegendItem{Label: "Predictor", Header: true})
	for _, b := range []string{models.BackendSim, models.BackendAnalytic} {
		present := false
		for _, t := range techs {
			if s := series[key{t, b}]; s != nil {
				f.Series = append(f.Series, *s)
				present = true
			}
		}
		if present {
			f.Legend = append(f.Legend, LegendItem{Label: predictorLabel[b], Color: colorNote, Shape: predictorShape[b]})
		}
	}
	f.Legend = append(f.Legend, roleLegend(roles)...)
	f.Notes = append(f.Notes, fmt.Sprintf("%d prediction(s) of %d measured run(s).", len(cmp.Pairs)-dropped, measuredRuns(cmp.Pairs)))
	if dropped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d pair(s) with a value <= 0 not drawn on the log axes.", dropped))
	}
	if n := len(cmp.Unpaired); n > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d record(s) without a counterpart not drawn.", n))
	}
	if n := len(cmp.Failed); n > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%d failed record(s) not drawn.", n))
	}
	return f, nil
}

// roleLegend says how scenario roles are drawn: the unscored ones
// (calibration, warm-up, probe, check) hollow, the rest filled. Records
// outside a comparison have no role; with no role of a comparison there is
// nothing to say.
func roleLegend(roles map[models.Role]bool) []LegendItem {
	var hollow []string
	for _, r := range []struct {
		role  models.Role
		label string
	}{{models.RoleCalibration, "calibration"}, {models.RoleWarmup, "warm-up"}, {models.RoleProbe, "probe"}, {models.RoleCheck, "check"}} {
		if roles[r.role] {
			hollow = append(hollow, r.label)
		}
	}
	val := roles[models.RoleValidation]
	other := len(roles) > btoi(val)+len(hollow)
	if !val && len(hollow) == 0 {
		return nil
	}
	items := []LegendItem{{Label: "Scenario role", Header: true}}
	switch {
	case val && other:
		items = append(items, LegendItem{Label: "validation, other: filled", Color: colorNote, Shape: ShapeCircle})
	case val:
		items = append(items, LegendItem{Label: "validation: filled", Color: colorNote, Shape: ShapeCircle})
	case other:
		items = append(items, LegendItem{Label: "no role: filled", Color: colorNote, Shape: ShapeCircle})
	}
	if len(hollow) > 0 {
		items = append(items, LegendItem{Label: strings.Join(hollow, ", ") + ": hollow", Color: colorNote, Shape: ShapeCircle, Hollow: true})
	}
	return items
}

// btoi is 1 for true.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// predictorLabel is how the legend names a predicting backend.
var predictorLabel = map[string]string{models.BackendSim: "simulator", models.BackendAnalytic: "analytic model"}

// measuredRuns counts the distinct measured records among pairs.
func measuredRuns(ps []reports.Pair) int {
	type k struct {
		s, t string
		r    int
	}
	seen := map[k]bool{}
	for _, p := range ps {
		seen[k{p.Measured.Scenario, p.Measured.Technique, p.Measured.Repetition}] = true
	}
	return len(seen)
}

// noPairs explains why records hold no prediction with a measurement.
func noPairs(recs []models.Record) error {
	n := map[string]int{}
	for _, r := range recs {
		if r.Error == "" {
			n[r.Backend]++
		}
	}
	pred := n[models.BackendSim] + n[models.BackendAnalytic]
	switch {
	case len(recs) == 0:
		return fmt.Errorf("plot: predicted vs measured: no records: %w", ErrNoData)
	case n[models.BackendReal] == 0:
		return fmt.Errorf("plot: predicted vs measured: no successful measured (backend %q) records among %d: %w", models.BackendReal, len(recs), ErrNoData)
	case pred == 0:
		return fmt.Errorf("plot: predicted vs measured: no successful predicted (backend %q or %q) records among %d: %w", models.BackendSim, models.BackendAnalytic, len(recs), ErrNoData)
	}
	return fmt.Errorf("plot: predicted vs measured: none of %d predicted and %d measured records share scenario, technique and repetition: %w",
		pred, n[models.BackendReal], ErrNoData)
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
