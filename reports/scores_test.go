package reports

import (
	"math"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// scoreRec is a record of scenario and technique with a downtime and bytes
// (and, for a prediction, intervals of +-10 % around them).
func scoreRec(scenario, technique, backend string, rep int, down float64, bytes int64) models.Record {
	r := models.Record{Schema: models.RecordSchema, Scenario: scenario, Role: models.RoleValidation, Technique: technique,
		Backend: backend, Repetition: rep, Metrics: models.Metrics{DowntimeS: down, TotalTimeS: 2 * down, BytesSent: bytes}}
	if backend == models.BackendSim {
		r.Interval = &models.Interval{Confidence: 0.9, Draws: 12, DowntimeS: [2]float64{0.9 * down, 1.1 * down},
			TotalTimeS: [2]float64{1.8 * down, 2.2 * down}, BytesSent: [2]float64{0.9 * float64(bytes), 1.1 * float64(bytes)}}
	}
	return r
}

// TestScenarioScores: per validation scenario and technique, the medians of
// the measurements and of the predictions, the error of the one against the
// other and the migrations inside their intervals; a flagged migration, a
// calibration scenario and the closed-form model's predictions are left
// out; scenarios keep the records' order.
func TestScenarioScores(t *testing.T) {
	var recs []models.Record
	// "b": measured 10, 12, 20 s (median 12); predicted 11 s each: +-10 %
	// holds 10 and 12, not 20. Bytes 100, 104, 80 against 100 (median 100).
	for rep, m := range []struct {
		down  float64
		bytes int64
	}{{10, 100}, {12, 104}, {20, 80}} {
		recs = append(recs, scoreRec("b", models.Cold, models.BackendSim, rep, 11, 100), scoreRec("b", models.Cold, models.BackendReal, rep, m.down, m.bytes),
			scoreRec("b", models.Cold, models.BackendAnalytic, rep, 50, 999))
	}
	// "a": pre-copy measured 4 and 6 s, predicted 5 and 5.4 (medians 5 and
	// 5.2: +4 %); a third migration flagged, far off, not scored.
	recs = append(recs,
		scoreRec("a", models.PreCopy, models.BackendSim, 0, 5, 1000), scoreRec("a", models.PreCopy, models.BackendReal, 0, 4, 1000),
		scoreRec("a", models.PreCopy, models.BackendSim, 1, 5.4, 1000), scoreRec("a", models.PreCopy, models.BackendReal, 1, 6, 1100),
		scoreRec("a", models.PreCopy, models.BackendSim, 2, 5, 1000), scoreRec("a", models.PreCopy, models.BackendReal, 2, 40, 5000))
	recs[len(recs)-1].Flags = []string{"host CPU 40 % stolen"}
	cal := scoreRec("cal", models.Cold, models.BackendSim, 0, 1, 1)
	cal.Role = models.RoleCalibration
	calReal := cal
	calReal.Backend, calReal.Interval = models.BackendReal, nil
	recs = append(recs, cal, calReal)

	got := ScenarioScores(recs)
	if len(got) != 2 || got[0].Scenario != "b" || got[1].Scenario != "a" {
		t.Fatalf("scores %+v: want b then a", got)
	}
	b, a := got[0], got[1]
	near := func(x, want float64) bool { return math.Abs(x-want) < 1e-9 }
	if b.N != 3 || b.Measured[MetricDowntime] != 12 || b.Predicted[MetricDowntime] != 11 || !near(b.Error[MetricDowntime], -1.0/12) ||
		b.Covered[MetricDowntime] != 2 || b.Intervals[MetricDowntime] != 3 {
		t.Errorf("b downtime: %+v", b)
	}
	if b.Measured[MetricBytes] != 100 || b.Error[MetricBytes] != 0 || b.Covered[MetricBytes] != 2 {
		t.Errorf("b bytes: measured %v, error %v, covered %d", b.Measured[MetricBytes], b.Error[MetricBytes], b.Covered[MetricBytes])
	}
	if a.N != 2 || a.Measured[MetricDowntime] != 5 || !near(a.Predicted[MetricDowntime], 5.2) || !near(a.Error[MetricDowntime], 0.04) ||
		a.Covered[MetricDowntime] != 0 || a.Measured[MetricBytes] != 1050 || !near(a.Error[MetricBytes], -50.0/1050) || a.Covered[MetricBytes] != 2 {
		t.Errorf("a: %+v", a)
	}

	tab := ScenarioScoresTable(recs)
	if len(tab.Rows) != 2 || len(tab.Columns) != 11 {
		t.Fatalf("table %d rows, %d columns", len(tab.Rows), len(tab.Columns))
	}
	row := tab.Rows[0]
	if row[0].Text != "b" || row[2].Value != 3 || row[3].Value != 12 || row[4].Value != 11 || !near(row[5].Value, -1.0/12) || row[6].Text != "2/3" || row[10].Text != "2/3" {
		t.Errorf("row b: %+v", row)
	}
}

// TestScenarioScoresClientDowntime: the median client-side downtime of the
// measured migrations gets its own column when any was measured.
func TestScenarioScoresClientDowntime(t *testing.T) {
	var recs []models.Record
	for rep, client := range []float64{6.5, 7.5, 9} {
		m := scoreRec("redis", models.PreCopy, models.BackendReal, rep, 6, 100)
		m.Metrics.ProbeDowntimeS = client
		recs = append(recs, m, scoreRec("redis", models.PreCopy, models.BackendSim, rep, 6, 100))
	}
	recs = append(recs, scoreRec("plain", models.Cold, models.BackendReal, 0, 3, 10), scoreRec("plain", models.Cold, models.BackendSim, 0, 3, 10))
	tab := ScenarioScoresTable(recs)
	col := -1
	for i, c := range tab.Columns {
		if c.Key == "client_downtime_measured_s" {
			col = i
		}
	}
	if col < 0 || len(tab.Rows) != 2 {
		t.Fatalf("columns %+v, %d rows", tab.Columns, len(tab.Rows))
	}
	if c := tab.Rows[0][col]; c.Kind != KindNumber || c.Value != 7.5 {
		t.Errorf("redis client-side downtime %+v, want the median 7.5 s", c)
	}
	if c := tab.Rows[1][col]; c.Kind != KindMissing {
		t.Errorf("a scenario without a probe: %+v, want missing", c)
	}
	recs = recs[6:]
	for _, c := range ScenarioScoresTable(recs).Columns {
		if c.Key == "client_downtime_measured_s" {
			t.Error("the column is there without any client-side downtime")
		}
	}
}
