package reports

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// downRec is a record with only a downtime, for pairing and error tests.
func downRec(scenario string, role models.Role, technique, backend string, rep int, down float64) models.Record {
	return models.Record{Schema: models.RecordSchema, Scenario: scenario, Role: role, Technique: technique,
		Backend: backend, Repetition: rep, Metrics: models.Metrics{DowntimeS: down, TotalTimeS: 10 * down}}
}

// pairIDs names pairs as "scenario/technique/rep/predictor".
func pairIDs(ps []Pair) []string {
	var out []string
	for _, p := range ps {
		if p.Predicted.Scenario != p.Measured.Scenario || p.Predicted.Technique != p.Measured.Technique || p.Predicted.Repetition != p.Measured.Repetition {
			out = append(out, "MISMATCH")
			continue
		}
		out = append(out, strings.Join([]string{p.Measured.Scenario, p.Measured.Technique, strconv.Itoa(p.Measured.Repetition), p.Predicted.Backend}, "/"))
	}
	return out
}

func TestComparePairing(t *testing.T) {
	const pc, cold = models.PreCopy, models.Cold
	sim, an, meas := models.BackendSim, models.BackendAnalytic, models.BackendReal
	failed := downRec("a", "", pc, meas, 3, 1)
	failed.Error = "boom"
	records := []models.Record{
		downRec("a", "", pc, sim, 0, 1), // no real rep 0
		downRec("a", "", pc, sim, 1, 1),
		downRec("a", "", pc, meas, 1, 1),
		downRec("a", "", pc, meas, 2, 1),  // no sim rep 2
		downRec("a", "", pc, an, 1, 1),    // analytic and sim both pair with real rep 1
		downRec("a", "", cold, sim, 1, 1), // another technique: not paired with precopy
		downRec("b", "", pc, meas, 1, 1),  // another scenario
		downRec("a", "", pc, sim, 1, 2),   // duplicate of sim rep 1
		failed,
		downRec("a", "", pc, sim, 3, 1), // its real counterpart failed
	}
	c, _ := Compare(records)
	want := []string{"a/precopy/1/analytic", "a/precopy/1/sim"}
	if got := pairIDs(c.Pairs); !reflect.DeepEqual(got, want) {
		t.Errorf("pairs = %v, want %v", got, want)
	}
	if c.Pairs[1].Predicted.Metrics.DowntimeS != 1 {
		t.Error("the first of duplicate records should be paired")
	}
	if len(c.Failed) != 1 || c.Failed[0].Error != "boom" {
		t.Errorf("failed = %v, want the failed real record", c.Failed)
	}
	// sim rep 0, real rep 2, cold sim rep 1, b real rep 1, the duplicate, sim rep 3.
	if len(c.Unpaired) != 6 {
		t.Errorf("unpaired = %d records, want 6: %+v", len(c.Unpaired), c.Unpaired)
	}
}

func TestCompareMAPE(t *testing.T) {
	records := []models.Record{
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendSim, 0, 9),
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendSim, 1, 11),
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendReal, 0, 10),
		downRec("v", models.RoleValidation, models.PreCopy, models.BackendReal, 1, 10),
		// Calibration pairs are perfect fits and must not lower the error.
		downRec("c", models.RoleCalibration, models.PreCopy, models.BackendSim, 0, 10),
		downRec("c", models.RoleCalibration, models.PreCopy, models.BackendReal, 0, 10),
	}
	c, s := Compare(records)
	if len(c.Pairs) != 3 || s.Scope != ScopeValidation || s.Pairs != 2 || s.LeftOut != 1 {
		t.Fatalf("pairs %d, scope %q, in scope %d, left out %d; want 3, validation, 2, 1", len(c.Pairs), s.Scope, s.Pairs, s.LeftOut)
	}
	st := s.Stats[0]
	if st.Metric != MetricDowntime || st.Technique != models.PreCopy || st.Predictor != models.BackendSim {
		t.Fatalf("first stat is %+v, want sim/precopy/downtime", st)
	}
	if st.MAPE.N != 2 || !near(st.MAPE.Center, 0.10) || !near(st.MedianAPE.Center, 0.10) || !st.MAPE.Range || !near(st.Bias, 0) {
		t.Errorf("downtime error = %+v, want MAPE 10%% and median APE 10%% over 2 pairs (a range), bias 0", st)
	}
	rounds := s.Stats[3]
	if rounds.Metric != MetricRounds || rounds.MAPE.N != 0 || rounds.Excluded != 2 {
		t.Errorf("rounds error = %+v, want no APE (measured 0) and 2 excluded", rounds)
	}
	if !strings.Contains(s.Table().Title, "validation scenarios only") {
		t.Errorf("summary title %q does not say it is over validation scenarios only", s.Table().Title)
	}
}

func TestCompareScope(t *testing.T) {
	pair := func(role models.Role) []models.Record {
		return []models.Record{
			downRec("s", role, models.Cold, models.BackendSim, 0, 1),
			downRec("s", role, models.Cold, models.BackendReal, 0, 2),
		}
	}
	tests := []struct {
		role  models.Role
		scope string
		pairs int
		title string
	}{
		{"", ScopeAll, 1, "over all scenarios"},
		{models.RoleCalibration, ScopeNone, 0, "no validation scenarios"},
		{models.RoleValidation, ScopeValidation, 1, "validation scenarios only"},
	}
	for _, tt := range tests {
		_, s := Compare(pair(tt.role))
		if s.Scope != tt.scope || s.Pairs != tt.pairs || !strings.Contains(s.Table().Title, tt.title) {
			t.Errorf("role %q: scope %q, %d pairs, title %q; want %q, %d, containing %q", tt.role, s.Scope, s.Pairs, s.Table().Title, tt.scope, tt.pairs, tt.title)
		}
		if tt.scope == ScopeNone && len(s.Stats) != 0 {
			t.Errorf("role %q: calibration pairs were scored: %+v", tt.role, s.Stats)
		}
	}
}

func TestCompareDeterministic(t *testing.T) {
	c1, s1 := Compare(fixtureRecords())
	c2, s2 := Compare(fixtureRecords())
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(s1, s2) {
		t.Error("Compare gives different results for the same records")
	}
}

func TestPairError(t *testing.T) {
	p := Pair{Predicted: downRec("s", "", models.Cold, models.BackendSim, 0, 0.009), Measured: downRec("s", "", models.Cold, models.BackendReal, 0, 0.010)}
	abs, rel, ok := p.Error(MetricDowntime)
	if !near(abs, -0.001) || !near(rel, -0.1) || !ok {
		t.Errorf("Error = %g, %g, %v; want -0.001, -0.1, true", abs, rel, ok)
	}
	if _, _, ok := p.Error(MetricRounds); ok {
		t.Error("relative error of a zero measurement should be undefined")
	}
}

// TestCoverageCountsMeasurementsInsideIntervals: the share of measured
// values inside their prediction's interval, per technique and metric;
// predictions without one are not counted, and the column appears only
// when some prediction has one.
func TestCoverageCountsMeasurementsInsideIntervals(t *testing.T) {
	var recs []models.Record
	for i, down := range []float64{1, 2, 3, 4} {
		p := downRec("s", models.RoleValidation, models.Cold, models.BackendSim, i, 2)
		if i < 3 {
			p.Interval = &models.Interval{Confidence: 0.9, Draws: 12, DowntimeS: [2]float64{1.5, 3.5}, TotalTimeS: [2]float64{0, 100}}
		}
		recs = append(recs, p, downRec("s", models.RoleValidation, models.Cold, models.BackendReal, i, down))
	}
	_, sum := Compare(recs)
	var got []string
	for _, st := range sum.Stats {
		if st.Intervals > 0 {
			got = append(got, fmt.Sprintf("%s %d/%d", st.Metric, st.Covered, st.Intervals))
		}
	}
	if want := []string{"downtime_s 2/3", "total_time_s 3/3", "bytes_sent 3/3"}; !slices.Equal(got, want) {
		t.Errorf("coverage %v, want %v", got, want)
	}
	if tb := sum.Table(); !slices.ContainsFunc(tb.Columns, func(c Column) bool { return c.Key == "coverage" }) {
		t.Error("no coverage column")
	}
	for i := range recs {
		recs[i].Interval = nil
	}
	if _, sum := Compare(recs); slices.ContainsFunc(sum.Table().Columns, func(c Column) bool { return c.Key == "coverage" }) {
		t.Error("a coverage column without intervals")
	}
}
