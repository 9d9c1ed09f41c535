package reports

import (
	"fmt"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
)

// RepeatStat is how much the testbed itself varies when the same scenario and
// technique is migrated again: the noise floor under every prediction error.
type RepeatStat struct {
	Technique string
	Metric    Metric
	// Cells is the number of scenarios of this technique measured at least
	// twice; N the number of measurements in them.
	Cells, N int
	// CoV is the coefficient of variation (sample standard deviation over the
	// mean) averaged over the cells.
	CoV float64
	// FloorMAPE is the mean absolute percentage error that each cell's own
	// median measurement scores on the cell's measurements: what a predictor
	// that knew every cell's median would score on single migrations.
	FloorMAPE float64
}

// repeatMetrics are the metrics whose repeatability is reported.
var repeatMetrics = []Metric{MetricDowntime, MetricTotalTime, MetricBytes}

// Repeatability returns the testbed's repeatability per technique and metric
// over the successful real records that are scored (not calibration nor
// warm-up migrations), from scenarios measured at least twice with the same
// technique. Techniques come in models.TechniqueNames order; it is empty when
// no scenario was repeated.
func Repeatability(records []models.Record) []RepeatStat {
	return repeatability(records, func(r models.Record) bool { return !r.Role.Unscored() })
}

// NoiseFloor is Repeatability over every repeated real migration but the
// warm-ups: the calibration's repetitions of its plan count too, so that
// cold and pre-copy have a floor even when no validation scenario was
// repeated.
func NoiseFloor(records []models.Record) []RepeatStat {
	return repeatability(records, func(r models.Record) bool { return r.Role != models.RoleWarmup })
}

// repeatability is Repeatability over the successful real records that keep holds.
func repeatability(records []models.Record, keep func(models.Record) bool) []RepeatStat {
	type cell struct{ scenario, technique string }
	byCell := map[cell][]models.Metrics{}
	var cells []cell
	var techniques []string
	for _, r := range records {
		if r.Backend != models.BackendReal || r.Error != "" || !keep(r) {
			continue
		}
		k := cell{r.Scenario, r.Technique}
		if byCell[k] == nil {
			cells = append(cells, k)
			if !slices.Contains(techniques, r.Technique) {
				techniques = append(techniques, r.Technique)
			}
		}
		byCell[k] = append(byCell[k], r.Metrics)
	}
	o := newOrderer(records)
	slices.SortFunc(techniques, func(a, b string) int { return o.compare(GroupTechnique, a, b) })
	var out []RepeatStat
	for _, tech := range techniques {
		for _, k := range repeatMetrics {
			st := RepeatStat{Technique: tech, Metric: k}
			var covs, apes []float64
			for _, c := range cells {
				if c.technique != tech || len(byCell[c]) < 2 {
					continue
				}
				xs := make([]float64, len(byCell[c]))
				for i, m := range byCell[c] {
					xs[i] = k.Of(m)
				}
				med := models.Median(sorted(xs))
				for _, x := range xs {
					if e, ok := relErr(med, x); ok {
						apes = append(apes, math.Abs(e))
					}
				}
				if m := mean(xs); m != 0 {
					covs = append(covs, stddev(xs)/math.Abs(m))
				}
				st.Cells++
				st.N += len(xs)
			}
			if st.Cells > 0 {
				st.CoV, st.FloorMAPE = mean(covs), mean(apes)
				out = append(out, st)
			}
		}
	}
	return out
}

// stddev is the sample standard deviation of xs (n - 1; 0 below two values).
func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m, ss := mean(xs), 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

// RepeatabilityTable renders [Repeatability]'s statistics.
func RepeatabilityTable(stats []RepeatStat) Table {
	t := Table{
		Title: "Testbed repeatability: the same scenario and technique migrated again (scored migrations)",
		Columns: []Column{
			{Key: "technique", Header: "Technique"},
			{Key: "metric", Header: "Metric"},
			{Key: "cells", Header: "Scenarios", Align: AlignRight},
			{Key: "n", Header: "n", Align: AlignRight},
			{Key: "cov", Header: "CoV", Align: AlignRight},
			{Key: "floor_mape", Header: "MAPE of the median", Align: AlignRight},
		},
	}
	for _, s := range stats {
		t.Rows = append(t.Rows, []Cell{
			Text(s.Technique), Label(s.Metric.Label(), string(s.Metric)),
			Number(float64(s.Cells), UnitCount), Number(float64(s.N), UnitCount),
			Number(s.CoV, UnitFraction), Number(s.FloorMAPE, UnitFraction),
		})
	}
	t.Notes = []string{fmt.Sprintf("CoV: standard deviation over mean of each scenario's repetitions, averaged. " +
		"MAPE of the median: the error a predictor that knew each scenario's median measurement would make on single migrations; " +
		"a prediction error near it is the testbed's noise, not the model's.")}
	return t
}
