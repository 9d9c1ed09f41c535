package reports

import (
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// TestBriefSetsTheErrorBesideTheNoise: the calibration's repeated
// migrations give the noise floor (cold: 10, 11, 12 s; the median 11 s
// misses them by 6.1 % on average); a validation error of 5 % is within it,
// one of 30 % is beyond it by about 24 points; a technique never repeated
// says its noise is unknown.
func TestBriefSetsTheErrorBesideTheNoise(t *testing.T) {
	var recs []models.Record
	for i, d := range []float64{10, 11, 12} {
		recs = append(recs, downRec("cal", models.RoleCalibration, models.Cold, models.BackendReal, i, d))
	}
	recs = append(recs,
		downRec("v", models.RoleValidation, models.Cold, models.BackendReal, 0, 10),
		downRec("v", models.RoleValidation, models.Cold, models.BackendSim, 0, 10.5),
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendReal, 0, 10),
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendSim, 0, 13),
	)
	b := Brief(recs, nil)
	row := func(tech string, m Metric) []Cell { return row2(b, tech, m) }
	cold := row(models.Cold, MetricDowntime)
	if math.Abs(cold[3].Value-0.05) > 1e-9 || math.Abs(cold[6].Value-(0.1+1.0/12)/3) > 1e-9 || cold[7].Text != "within the noise" {
		t.Errorf("cold downtime row: MAPE %v, floor %v, verdict %q", cold[3].Value, cold[6].Value, cold[7].Text)
	}
	if pre := row(models.PreCopy, MetricDowntime); pre[7].Text != "noise unknown (nothing repeated)" || math.Abs(pre[3].Value-0.3) > 1e-9 {
		t.Errorf("pre-copy downtime row: MAPE %v, verdict %q", pre[3].Value, pre[7].Text)
	}
	recs[4].Metrics.DowntimeS = 13 // cold predicted 30 % high
	if got := row2(Brief(recs, nil), models.Cold, MetricDowntime)[7].Text; got != "beyond the noise by 24 points" {
		t.Errorf("verdict %q", got)
	}
}

// row2 is the brief's row of technique tech and metric m (empty cells when
// it has none).
func row2(b Table, tech string, m Metric) []Cell {
	for _, r := range b.Rows {
		if r[0].Text == tech && r[1].Data == string(m) {
			return r
		}
	}
	return make([]Cell, len(b.Columns))
}

// TestFlaggedPairsAreNotScored: a validation migration flagged as outside
// the calibration's envelope is left out of the scores and named in the
// brief's notes.
func TestFlaggedPairsAreNotScored(t *testing.T) {
	recs := []models.Record{
		downRec("v", models.RoleValidation, models.Cold, models.BackendReal, 0, 10),
		downRec("v", models.RoleValidation, models.Cold, models.BackendSim, 0, 10.5),
		downRec("v", models.RoleValidation, models.Cold, models.BackendReal, 1, 5),
		downRec("v", models.RoleValidation, models.Cold, models.BackendSim, 1, 10.5),
	}
	recs[2].Flags = []string{"host CPU 40 % stolen"}
	_, sum := Compare(recs)
	if sum.Pairs != 1 || len(sum.Flagged) != 1 {
		t.Fatalf("pairs %d, flagged %d", sum.Pairs, len(sum.Flagged))
	}
	b := Brief(recs, nil)
	if r := row2(b, models.Cold, MetricDowntime); math.Abs(r[3].Value-0.05) > 1e-9 || r[2].Value != 1 {
		t.Errorf("cold downtime: MAPE %v over %v pairs, want 5 %% over the unflagged one", r[3].Value, r[2].Value)
	}
	if !strings.Contains(strings.Join(b.Notes, "\n"), "v cold rep 1 (host CPU 40 % stolen)") {
		t.Errorf("notes %q", b.Notes)
	}
}

// TestBriefTakesTheCalibrationsFloor: without repeated migrations among the
// records, the floor comes from the calibration's own repetitions.
func TestBriefTakesTheCalibrationsFloor(t *testing.T) {
	recs := []models.Record{
		downRec("v", models.RoleValidation, models.Cold, models.BackendReal, 0, 10),
		downRec("v", models.RoleValidation, models.Cold, models.BackendSim, 0, 11),
	}
	c := &models.Calibration{Noise: []models.Noise{{Technique: models.Cold, Metric: string(MetricDowntime), FloorMAPE: 0.08, Cells: 2, N: 6}}}
	r := row2(Brief(recs, c), models.Cold, MetricDowntime)
	if math.Abs(r[6].Value-0.08) > 1e-12 || r[7].Text != "within the noise" {
		t.Errorf("floor %v, verdict %q", r[6].Value, r[7].Text)
	}
}
