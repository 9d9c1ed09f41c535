package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// briefMetrics are the metrics of the brief, in order.
var briefMetrics = []Metric{MetricDowntime, MetricTotalTime, MetricBytes}

// noiseMargin is how far above the testbed's noise floor a prediction error
// still counts as within the noise (5 points).
const noiseMargin = 0.05

// Brief is the comparison a person reads at the terminal: per technique and
// metric (downtime, total time, bytes), the simulator's error over the
// validation migrations (MAPE), the share of them inside their prediction
// intervals, the testbed's own noise floor and whether the error is within
// it, and the closed-form model's error beside. The floor comes from the
// records' repeated migrations (NoiseFloor), else from calib's (the
// calibration's repetitions of its plan; nil: none). Every per-pair table
// is in the report directory.
func Brief(records []models.Record, calib *models.Calibration) Table {
	_, sum := Compare(records)
	floors := map[string]RepeatStat{}
	if calib != nil {
		for _, n := range calib.Noise {
			floors[n.Technique+"/"+n.Metric] = RepeatStat{Technique: n.Technique, Metric: Metric(n.Metric), Cells: n.Cells, N: n.N, FloorMAPE: n.FloorMAPE}
		}
	}
	for _, f := range NoiseFloor(records) {
		floors[f.Technique+"/"+string(f.Metric)] = f
	}
	stat := func(predictor, technique string, m Metric) (ErrorStat, bool) {
		for _, st := range sum.Stats {
			if st.Predictor == predictor && st.Technique == technique && st.Metric == m {
				return st, true
			}
		}
		return ErrorStat{}, false
	}
	t := Table{
		Title: fmt.Sprintf("Prediction error of the calibrated simulator on %d validation pairs, beside the testbed's noise", countSim(sum)),
		Columns: []Column{
			{Key: "technique", Header: "Technique"},
			{Key: "metric", Header: "Metric"},
			{Key: "n", Header: "n", Align: AlignRight},
			{Key: "mape", Header: "MAPE", Align: AlignRight},
			{Key: "coverage", Header: "In 90 % interval", Align: AlignRight},
			{Key: "interval_check", Header: "Inside, check"},
			{Key: "noise_floor", Header: "Noise floor", Align: AlignRight},
			{Key: "verdict", Header: "Verdict"},
			{Key: "analytic_mape", Header: "Closed form MAPE", Align: AlignRight},
		},
	}
	var techniques []string
	for _, st := range sum.Stats {
		if st.Predictor == models.BackendSim && (len(techniques) == 0 || techniques[len(techniques)-1] != st.Technique) {
			techniques = append(techniques, st.Technique)
		}
	}
	for _, tech := range techniques {
		for _, m := range briefMetrics {
			st, ok := stat(models.BackendSim, tech, m)
			if !ok {
				continue
			}
			floor, hasFloor := floors[tech+"/"+string(m)]
			floorCell := Missing()
			if hasFloor {
				floorCell = Number(floor.FloorMAPE, UnitFraction)
			}
			analytic := Missing()
			if a, ok := stat(models.BackendAnalytic, tech, m); ok && a.MAPE.N > 0 {
				analytic = Number(a.MAPE.Center, UnitFraction)
			}
			t.Rows = append(t.Rows, []Cell{
				Text(tech), Label(m.Label(), string(m)), Number(float64(st.MAPE.N), UnitCount),
				Number(st.MAPE.Center, UnitFraction), coverageCell(st), coverageCheckCell(st), floorCell,
				Text(verdict(st.MAPE.Center, floor.FloorMAPE, hasFloor && st.MAPE.N > 0)), analytic,
			})
		}
	}
	t.Notes = []string{
		"MAPE over single validation migrations. In 90 % interval: the share of measurements inside their prediction's interval " +
			"(the simulator run again under the deviation from its prediction of each calibration migration of its kind, cold or live); well calibrated near 90 %. " +
			"Inside, check: how many, and whether that count is consistent with 90 % intervals (exact binomial test at the 5 % level) or says they are too narrow or too wide.",
		"Noise floor: the MAPE that each scenario's median measurement scores on the scenario's own repetitions " +
			"(calibration and validation migrations repeated with the same technique): the error a perfect model would still show on this testbed.",
		fmt.Sprintf("Verdict: within the noise when the MAPE is at most the floor plus %.0f points.", 100*noiseMargin),
	}
	var sims []ErrorStat
	for _, st := range sum.Stats {
		if st.Predictor == models.BackendSim && slices.Contains(briefMetrics, st.Metric) {
			sims = append(sims, st)
		}
	}
	if note := pooledCoverage(sims); note != "" {
		t.Notes = append(t.Notes, note)
	}
	if n := flaggedMigrations(sum.Flagged); len(n) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("Not scored: %d migration(s) ran outside the calibration's envelope (kept in records.jsonl): %s.",
			len(n), strings.Join(n, "; ")))
	}
	return t
}

// flaggedMigrations names each flagged measured migration once, with why.
func flaggedMigrations(pairs []Pair) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range pairs {
		m := p.Measured
		id := fmt.Sprintf("%s %s rep %d", m.Scenario, m.Technique, m.Repetition)
		if !seen[id] {
			seen[id] = true
			out = append(out, id+" ("+strings.Join(m.Flags, ", ")+")")
		}
	}
	return out
}

// countSim is the number of simulator pairs scored.
func countSim(s Summary) int {
	n := 0
	for _, st := range s.Stats {
		if st.Predictor == models.BackendSim && st.Metric == MetricDowntime {
			n += st.MAPE.N + st.Excluded
		}
	}
	return n
}

// verdict says whether an error is within the testbed's noise.
func verdict(mape, floor float64, known bool) string {
	switch {
	case !known || math.IsNaN(mape):
		return "noise unknown (nothing repeated)"
	case mape <= floor+noiseMargin:
		return "within the noise"
	}
	return fmt.Sprintf("beyond the noise by %.0f points", 100*(mape-floor))
}
