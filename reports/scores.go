package reports

import (
	"fmt"

	"github.com/migrlab/migrlab/models"
)

// scoreMetrics are the metrics of the per-scenario scores, in order.
var scoreMetrics = []Metric{MetricDowntime, MetricBytes}

// ScenarioScore is the simulator's score on one validation scenario and
// technique: the medians of its scored (unflagged) migrations and of their
// predictions, per metric of scoreMetrics.
type ScenarioScore struct {
	Scenario, Technique string
	// N is the number of scored migrations.
	N int
	// Measured and Predicted are the medians, Error the relative error of
	// the predicted median against the measured one (NaN when the
	// measured median is 0), per metric.
	Measured, Predicted, Error map[Metric]float64
	// Covered of Intervals migrations fell inside their prediction's
	// interval, per metric (predictions without one are not counted).
	Covered, Intervals map[Metric]int
	// Client is the median client-side downtime of the measured
	// migrations (the probe's: what the workload's or the app's clients
	// saw), in seconds; 0 when none was measured.
	Client float64
}

// ScenarioScores scores the simulator per validation scenario and technique
// (in the order of Compare's pairs), over the pairs the brief scores: a
// user sees whether the error is uniform or concentrated in one scenario.
func ScenarioScores(records []models.Record) []ScenarioScore {
	ct, _ := Compare(records)
	type key struct{ scenario, technique string }
	var keys []key
	byKey := map[key][]Pair{}
	for _, p := range ct.Pairs {
		if p.Predicted.Backend != models.BackendSim || p.Role() != models.RoleValidation || len(p.Measured.Flags) > 0 {
			continue
		}
		k := key{p.Measured.Scenario, p.Measured.Technique}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	out := make([]ScenarioScore, 0, len(keys))
	for _, k := range keys {
		ps := byKey[k]
		s := ScenarioScore{Scenario: k.scenario, Technique: k.technique, N: len(ps),
			Measured: map[Metric]float64{}, Predicted: map[Metric]float64{}, Error: map[Metric]float64{},
			Covered: map[Metric]int{}, Intervals: map[Metric]int{}}
		for _, m := range scoreMetrics {
			var pred, meas []float64
			for _, p := range ps {
				pred = append(pred, m.Of(p.Predicted.Metrics))
				meas = append(meas, m.Of(p.Measured.Metrics))
				if iv, ok := intervalOf(p.Predicted.Interval, m); ok {
					s.Intervals[m]++
					if x := m.Of(p.Measured.Metrics); x >= iv[0] && x <= iv[1] {
						s.Covered[m]++
					}
				}
			}
			s.Measured[m], s.Predicted[m] = models.Median(sorted(meas)), models.Median(sorted(pred))
			s.Error[m], _ = relErr(s.Predicted[m], s.Measured[m])
		}
		var client []float64
		for _, p := range ps {
			if d := p.Measured.Metrics.ProbeDowntimeS; d > 0 {
				client = append(client, d)
			}
		}
		if len(client) > 0 {
			s.Client = models.Median(sorted(client))
		}
		out = append(out, s)
	}
	return out
}

// ScenarioScoresTable is the table of ScenarioScores: one row per validation
// scenario and technique, with n and, for downtime and bytes, the median
// measured and predicted, the error and how many migrations fell inside
// their interval.
func ScenarioScoresTable(records []models.Record) Table {
	t := Table{
		Title: "The simulator per validation scenario and technique (medians of the scored migrations and of their predictions)",
		Columns: []Column{
			{Key: "scenario", Header: "Scenario"},
			{Key: "technique", Header: "Technique"},
			{Key: "n", Header: "n", Align: AlignRight},
		},
	}
	for _, c := range []struct{ name, key, unit string }{{"downtime", "downtime", "_s"}, {"bytes", "bytes_sent", ""}} {
		t.Columns = append(t.Columns,
			Column{Key: c.key + "_measured" + c.unit, Header: "Measured " + c.name, Align: AlignRight},
			Column{Key: c.key + "_predicted" + c.unit, Header: "Predicted", Align: AlignRight},
			Column{Key: c.key + "_error", Header: "Error", Align: AlignRight},
			Column{Key: c.key + "_in_interval", Header: "In interval", Align: AlignRight})
	}
	scores := ScenarioScores(records)
	client := false
	for _, s := range scores {
		client = client || s.Client > 0
	}
	if client {
		t.Columns = append(t.Columns, Column{Key: "client_downtime_measured_s", Header: "Client-side downtime", Align: AlignRight})
	}
	for _, s := range scores {
		row := []Cell{Text(s.Scenario), Text(s.Technique), Number(float64(s.N), UnitCount)}
		for _, m := range scoreMetrics {
			in := Missing()
			if n := s.Intervals[m]; n > 0 {
				in = Text(fmt.Sprintf("%d/%d", s.Covered[m], n))
			}
			row = append(row, Number(s.Measured[m], m.Unit()), Number(s.Predicted[m], m.Unit()), Signed(s.Error[m], UnitFraction), in)
		}
		if client {
			c := Missing()
			if s.Client > 0 {
				c = Number(s.Client, UnitSeconds)
			}
			row = append(row, c)
		}
		t.Rows = append(t.Rows, row)
	}
	t.Notes = []string{
		"Error: (median predicted - median measured) / median measured. In interval: the migrations whose measurement fell " +
			"inside their prediction's 90 % interval, of those with one. Migrations flagged by the run guard are not scored.",
	}
	if client {
		t.Notes = append(t.Notes, "Client-side downtime: the median measured gap between the last answer from the source and the "+
			"first from the target, as the probe (the app's own protocol for an app) saw it; the simulator predicts the downtime, not this.")
	}
	return t
}
