package reports

import (
	"fmt"
	"math"

	"github.com/migrlab/migrlab/models"
)

// CellSummary is the prediction error of each scenario's median: per
// predictor, technique and metric, the error of the median prediction against
// the median measurement of every validation scenario measured at least
// twice. A single migration on a noisy testbed can be 20-40 % off its own
// scenario's median; the median of repeated migrations is what the simulator
// is asked to predict, as in any validation against repeated measurements.
type CellSummary struct {
	// Cells is the number of (scenario, technique) cells scored, Migrations
	// the measured migrations in them.
	Cells, Migrations int
	// MinRepeats and MaxRepeats are the fewest and most measurements in a
	// scored cell.
	MinRepeats, MaxRepeats int
	Stats                  []ErrorStat
}

// CellMedians scores the pairs of validation scenarios that were measured at
// least twice with the same technique against each cell's medians (see
// [CellSummary]). Scenarios with a single measurement are left out: a median
// of one is the migration itself, which the per-migration [Summary] scores.
// Its Stats are empty when no validation cell repeats.
func CellMedians(pairs []Pair) CellSummary {
	type cell struct{ predictor, scenario, technique string }
	byCell := map[cell][]Pair{}
	var cells []cell
	for _, p := range pairs {
		if p.Role() != models.RoleValidation {
			continue
		}
		k := cell{p.Predicted.Backend, p.Measured.Scenario, p.Measured.Technique}
		if byCell[k] == nil {
			cells = append(cells, k)
		}
		byCell[k] = append(byCell[k], p)
	}
	var medians []Pair
	out := CellSummary{}
	counted := map[cell]bool{}
	for _, k := range cells {
		ps := byCell[k]
		if len(ps) < 2 {
			continue
		}
		medians = append(medians, medianPair(ps))
		// Each predictor scores the same migrations: count them once.
		if mk := (cell{"", k.scenario, k.technique}); !counted[mk] {
			counted[mk] = true
			out.Cells++
			out.Migrations += len(ps)
		}
		if out.MinRepeats == 0 || len(ps) < out.MinRepeats {
			out.MinRepeats = len(ps)
		}
		out.MaxRepeats = max(out.MaxRepeats, len(ps))
	}
	out.Stats = summarize(medians).Stats
	return out
}

// medianPair is one pair whose predicted and measured metrics are the medians
// of ps's, metric by metric (ps share a predictor, scenario and technique).
func medianPair(ps []Pair) Pair {
	pred, meas := ps[0].Predicted, ps[0].Measured
	pred.Metrics, meas.Metrics = models.Metrics{}, models.Metrics{}
	for _, k := range ComparedMetrics {
		var pv, mv []float64
		for _, p := range ps {
			pv = append(pv, k.Of(p.Predicted.Metrics))
			mv = append(mv, k.Of(p.Measured.Metrics))
		}
		setMetric(&pred.Metrics, k, models.Median(sorted(pv)))
		setMetric(&meas.Metrics, k, models.Median(sorted(mv)))
	}
	return Pair{Predicted: pred, Measured: meas}
}

// setMetric stores v as metric k of m (counts rounded to the nearest integer;
// a median of two counts may be a half, which rounds away from zero).
func setMetric(m *models.Metrics, k Metric, v float64) {
	switch k {
	case MetricDowntime:
		m.DowntimeS = v
	case MetricTotalTime:
		m.TotalTimeS = v
	case MetricBytes:
		m.BytesSent = int64(math.Round(v))
	case MetricRounds:
		m.LiveRounds = int(math.Round(v))
	default:
		panic(fmt.Sprintf("reports: unknown metric %q", string(k)))
	}
}

// Table returns one row per predictor, technique and metric; n counts cells.
func (s CellSummary) Table() Table {
	each := fmt.Sprint(s.MinRepeats)
	if s.MaxRepeats != s.MinRepeats {
		each = fmt.Sprintf("%d to %d", s.MinRepeats, s.MaxRepeats)
	}
	t := statsTable(fmt.Sprintf("Prediction error of each validation scenario's median (%d scenario-technique cells, %s migrations each; "+
		"MAPE [95%% bootstrap CI], median APE [95%% CI])", s.Cells, each), s.Stats, "")
	t.Notes = []string{
		"Each cell is one scenario and technique measured more than once: APE = |median predicted - median measured| / |median measured|; n counts cells.",
		"The per-migration table above scores every migration alone, the testbed's run-to-run noise included (see the repeatability table).",
	}
	return t
}

// ComparisonTables are a comparison's tables: the predicted-vs-measured one
// per pair, and the tables that score the predictions, in report order: the
// error per migration ([Summary]), the error of each repeated validation
// scenario's median ([CellSummary], when any repeats) and the testbed's
// repeatability ([Repeatability], when any scenario repeats).
func ComparisonTables(records []models.Record) (pairs Table, scores []Table) {
	ct, summary := Compare(records)
	scores = []Table{summary.Table()}
	if cs := CellMedians(ct.Pairs); len(cs.Stats) > 0 {
		scores = append(scores, cs.Table())
	}
	if rs := Repeatability(records); len(rs) > 0 {
		scores = append(scores, RepeatabilityTable(rs))
	}
	return ct.Table(), scores
}
