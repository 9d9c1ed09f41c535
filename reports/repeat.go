package reports

import (
	"fmt"
	"math"

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
	type cell struct{ scenario, technique string }
	byCell := map[cell][]models.Record{}
	var order []cell
	for _, r := range records {
		if r.Backend != models.BackendReal || r.Error != "" || Unscored(r.Role) {
			continue
		}
		k := cell{r.Scenario, r.Technique}
		if byCell[k] == nil {
			order = append(order, k)
		}
		byCell[k] = append(byCell[k], r)
	}
	var out []RepeatStat
	for _, tech := range techniqueOrder(records) {
		for _, k := range repeatMetrics {
			st := RepeatStat{Technique: tech, Metric: k}
			var covs, apesAll []float64
			for _, c := range order {
				rs := byCell[c]
				if c.technique != tech || len(rs) < 2 {
					continue
				}
				xs := make([]float64, len(rs))
				for i, r := range rs {
					xs[i] = k.Of(r.Metrics)
				}
				med := median(sorted(xs))
				a, _ := apes(repeated(med, len(xs)), xs)
				apesAll = append(apesAll, a...)
				if m := mean(xs); m != 0 {
					covs = append(covs, stddev(xs)/math.Abs(m))
				}
				st.Cells++
				st.N += len(xs)
			}
			if st.Cells == 0 {
				continue
			}
			st.CoV, st.FloorMAPE = mean(covs), mean(apesAll)
			out = append(out, st)
		}
	}
	return out
}

// techniqueOrder returns the techniques of records in models.TechniqueNames
// order, then any others in order of appearance.
func techniqueOrder(records []models.Record) []string {
	seen := map[string]bool{}
	for _, r := range records {
		seen[r.Technique] = true
	}
	var out []string
	for _, t := range models.TechniqueNames {
		if seen[t] {
			out = append(out, t)
			delete(seen, t)
		}
	}
	for _, r := range records {
		if seen[r.Technique] {
			out = append(out, r.Technique)
			delete(seen, r.Technique)
		}
	}
	return out
}

// repeated returns n copies of x.
func repeated(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
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
