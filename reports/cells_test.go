package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

func TestCellMedians(t *testing.T) {
	recs := []models.Record{
		// Cold, scenario a: measured 20, 30, 40 s (median 30), predicted 33 s
		// each time. Per migration the errors are 65 %, 10 %, 17.5 %; the
		// cell's median is off by 10 %.
		measured("a", models.RoleValidation, "cold", models.BackendReal, 0, 20, 1000),
		measured("a", models.RoleValidation, "cold", models.BackendReal, 1, 30, 1100),
		measured("a", models.RoleValidation, "cold", models.BackendReal, 2, 40, 1200),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 0, 33, 1100),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 1, 33, 1100),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 2, 33, 1100),
		// Cold, scenario b: measured 10 and 20 s (median 15), predicted 12
		// and 14 s (median 13): 13.33 % off.
		measured("b", models.RoleValidation, "cold", models.BackendReal, 0, 10, 500),
		measured("b", models.RoleValidation, "cold", models.BackendReal, 1, 20, 500),
		measured("b", models.RoleValidation, "cold", models.BackendSim, 0, 12, 500),
		measured("b", models.RoleValidation, "cold", models.BackendSim, 1, 14, 500),
		// Measured once: left out of the cell scores.
		measured("c", models.RoleValidation, "cold", models.BackendReal, 0, 10, 500),
		measured("c", models.RoleValidation, "cold", models.BackendSim, 0, 90, 500),
		// Calibration scenarios are never scored, repeated or not.
		measured("cal", models.RoleCalibration, "cold", models.BackendReal, 0, 10, 500),
		measured("cal", models.RoleCalibration, "cold", models.BackendReal, 1, 10, 500),
		measured("cal", models.RoleCalibration, "cold", models.BackendSim, 0, 99, 500),
		measured("cal", models.RoleCalibration, "cold", models.BackendSim, 1, 99, 500),
	}
	ct, perMigration := Compare(recs)
	cs := CellMedians(ct.Pairs)
	if cs.Cells != 2 || cs.Migrations != 5 || cs.MinRepeats != 2 || cs.MaxRepeats != 3 {
		t.Fatalf("cells %d migrations %d repeats %d..%d, want 2 cells, 5 migrations, 2..3 each", cs.Cells, cs.Migrations, cs.MinRepeats, cs.MaxRepeats)
	}
	down := findStat(t, cs.Stats, models.BackendSim, "cold", MetricDowntime)
	want := (0.10 + 2.0/15) / 2
	if down.MAPE.N != 2 || math.Abs(down.MAPE.Center-want) > 1e-12 {
		t.Errorf("cell downtime MAPE %.6f over %d cells, want %.6f over 2", down.MAPE.Center, down.MAPE.N, want)
	}
	// The cell median's bias: +10 % (a) and -13.3 % (b), median of two = their mean.
	if wantBias := (0.10 - 2.0/15) / 2; math.Abs(down.Bias-wantBias) > 1e-12 {
		t.Errorf("cell downtime bias %.6f, want %.6f", down.Bias, wantBias)
	}
	// Bytes: a's median measured 1100 = predicted, b's 500 = 500: no error.
	if b := findStat(t, cs.Stats, models.BackendSim, "cold", MetricBytes); b.MAPE.Center != 0 {
		t.Errorf("cell bytes MAPE %v, want 0", b.MAPE.Center)
	}
	// Per migration every validation pair counts, c's 800 % miss included.
	pm := findStat(t, perMigration.Stats, models.BackendSim, "cold", MetricDowntime)
	wantPM := (13.0/20 + 3.0/30 + 7.0/40 + 2.0/10 + 6.0/20 + 8.0) / 6
	if pm.MAPE.N != 6 || math.Abs(pm.MAPE.Center-wantPM) > 1e-12 {
		t.Errorf("per-migration MAPE %.6f over %d, want %.6f over 6", pm.MAPE.Center, pm.MAPE.N, wantPM)
	}

	if tb := cs.Table(); tb.Columns[0].Key != "predictor" || len(tb.Rows[0]) != len(tb.Columns) {
		t.Errorf("cell table: first column %q, %d cells for %d columns; want no scope column", tb.Columns[0].Key, len(tb.Rows[0]), len(tb.Columns))
	}
	var out bytes.Buffer
	if err := Render(&out, FormatMarkdown, cs.Table()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2 scenario-technique cells, 2 to 3 migrations each", "| sim | cold | downtime |", "11.7%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("cell table lacks %q:\n%s", s, out.String())
		}
	}
	if _, got := ComparisonTables(recs); len(got) != 3 || !strings.Contains(got[1].Title, "median") {
		t.Errorf("ComparisonTables: %d score tables, want per-migration, cell medians, repeatability", len(got))
	}
}

func TestCellMediansNeedRepeats(t *testing.T) {
	recs := []models.Record{
		measured("a", models.RoleValidation, "cold", models.BackendReal, 0, 20, 1000),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 0, 33, 1100),
	}
	ct, _ := Compare(recs)
	if cs := CellMedians(ct.Pairs); cs.Cells != 0 || len(cs.Stats) != 0 {
		t.Errorf("one migration per scenario gave %d cells, %d stats; want none", cs.Cells, len(cs.Stats))
	}
	if _, got := ComparisonTables(recs); len(got) != 1 {
		t.Errorf("ComparisonTables: %d score tables, want the per-migration summary only", len(got))
	}
}

// findStat returns the statistic of one predictor, technique and metric.
func findStat(t *testing.T, stats []ErrorStat, predictor, technique string, m Metric) ErrorStat {
	t.Helper()
	for _, s := range stats {
		if s.Predictor == predictor && s.Technique == technique && s.Metric == m {
			return s
		}
	}
	t.Fatalf("no %s %s %s statistic in %+v", predictor, technique, m, stats)
	return ErrorStat{}
}
