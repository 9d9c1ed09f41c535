package fidelity

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

func TestRoleOf(t *testing.T) {
	c := models.Calibration{Scenarios: []string{"calibration-16MiB", "calibration-64MiB"}}
	for _, tc := range []struct {
		scenario string
		want     models.Role
	}{
		{"calibration-16MiB", models.RoleCalibration},
		{"calibration-64MiB", models.RoleCalibration},
		{"calibration-16MiB/x", models.RoleValidation},
		{"demo/dirty_rate=1MiB/s", models.RoleValidation},
		{"", models.RoleValidation},
	} {
		if got := RoleOf(c, tc.scenario); got != tc.want {
			t.Errorf("RoleOf(%q) = %q, want %q", tc.scenario, got, tc.want)
		}
	}
	if got := RoleOf(models.Calibration{}, "x"); got != models.RoleValidation {
		t.Errorf("no calibration scenarios: %q", got)
	}
}

func TestTechniquesSkipsPostCopy(t *testing.T) {
	s := models.Scenario{Name: "x", Techniques: []string{"cold", "post-copy", "migrror", "postcopy"}}
	run, skipped := Techniques(s)
	if strings.Join(run, ",") != "cold,migrror" || len(skipped) != 2 {
		t.Errorf("run %v skipped %v", run, skipped)
	}
}

func scenarioNamed(name string, techniques ...string) models.Scenario {
	s := models.Scenario{Name: name, Techniques: techniques, Memory: models.Memory{Size: 16 << 20},
		Workload: models.Workload{DirtyRate: 512 << 10, WWS: 4 << 20}, Network: models.Network{Bandwidth: 1e9}}
	s.PreCopy.Stop = models.StopRules{Threshold: 4096, MaxRounds: 3}
	s.MiGrror = models.MiGrrorParams{SyncThreshold: 512 << 10, Trigger: models.Duration(models.Seconds(20))}
	return s.WithDefaults()
}

// TestComparePipeline runs a calibration scenario and a validation scenario
// (two repetitions, one with post-copy) through Compare with a fake runner,
// and checks roles, pairing, streaming, provenance and that the prediction
// of the synthetic testbed's own migrations has no error.
func TestComparePipeline(t *testing.T) {
	calib := synthCalibration()
	calib.Scenarios = []string{"cal"}
	r := &fakeRunner{calib: calib}
	val := scenarioNamed("val", "cold", "precopy", "migrror", "postcopy")
	val.Repetitions = 2
	scenarios := []models.Scenario{scenarioNamed("cal", "precopy"), val}
	var streamed []models.Record
	var progress bytes.Buffer
	recs, err := Compare(context.Background(), r, scenarios, CompareOptions{Calibration: calib,
		Provenance: models.Provenance{Tool: "migrlab", Version: "test"}, Progress: &progress,
		Emit: func(rec models.Record) error { streamed = append(streamed, rec); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.runs) != 1+3*2 {
		t.Fatalf("real runs %v", r.runs)
	}
	if len(streamed) != len(recs) {
		t.Fatalf("streamed %d records, returned %d", len(streamed), len(recs))
	}
	backends := map[string]int{}
	for _, rec := range recs {
		backends[rec.Backend]++
		want := models.RoleValidation
		if rec.Scenario == "cal" {
			want = models.RoleCalibration
		}
		if rec.Role != want {
			t.Errorf("%s %s %s: role %q, want %q", rec.Scenario, rec.Technique, rec.Backend, rec.Role, want)
		}
		if rec.Backend != models.BackendReal && rec.Provenance.Version != "test" {
			t.Errorf("prediction provenance %+v", rec.Provenance)
		}
		if rec.Technique == models.PostCopy {
			t.Errorf("post-copy ran: %+v", rec)
		}
	}
	if backends[models.BackendReal] != 7 || backends[models.BackendSim] != 7 || backends[models.BackendAnalytic] != 7 {
		t.Fatalf("records per backend %v", backends)
	}
	ct, sum := reports.Compare(recs)
	if len(ct.Pairs) != 14 || len(ct.Failed) != 0 {
		t.Fatalf("pairs %d, failed %d, unpaired %d", len(ct.Pairs), len(ct.Failed), len(ct.Unpaired))
	}
	if sum.Scope != reports.ScopeValidation || sum.Pairs != 12 || sum.LeftOut != 2 {
		t.Fatalf("summary scope %s pairs %d left out %d", sum.Scope, sum.Pairs, sum.LeftOut)
	}
	for _, st := range sum.Stats {
		if st.Predictor == models.BackendSim && st.MAPE.Center > 1e-9 {
			t.Errorf("sim %s %s: MAPE %g on its own testbed", st.Technique, st.Metric, st.MAPE.Center)
		}
	}
	for _, want := range []string{"skipping postcopy", "[validation]", "[calibration]", "real: downtime"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

// TestCompareKeepsGoing: a failed real migration is a record with an error
// (not paired), the others still run, and the error is returned.
func TestCompareKeepsGoing(t *testing.T) {
	r := &fakeRunner{calib: synthCalibration(), fail: map[string]error{"val/cold": errors.New("restore failed")}}
	recs, err := Compare(context.Background(), r, []models.Scenario{scenarioNamed("val", "cold", "precopy")},
		CompareOptions{Calibration: synthCalibration(), Predictor: SimPredictor{NoAnalytic: true}})
	if err == nil || !strings.Contains(err.Error(), "restore failed") {
		t.Fatalf("error %v", err)
	}
	if len(r.runs) != 2 || len(recs) != 4 {
		t.Fatalf("runs %v, %d records", r.runs, len(recs))
	}
	if recs[0].Error == "" || recs[0].Backend != models.BackendReal || recs[0].Role != models.RoleValidation {
		t.Errorf("failed record %+v", recs[0])
	}
	ct, _ := reports.Compare(recs)
	if len(ct.Failed) != 1 || len(ct.Pairs) != 1 {
		t.Errorf("failed %d pairs %d", len(ct.Failed), len(ct.Pairs))
	}
}

func TestCompareStopsOnEmitError(t *testing.T) {
	r := &fakeRunner{calib: synthCalibration()}
	boom := errors.New("disk full")
	_, err := Compare(context.Background(), r, []models.Scenario{scenarioNamed("val", "cold", "precopy")},
		CompareOptions{Calibration: synthCalibration(), Emit: func(models.Record) error { return boom }})
	if !errors.Is(err, boom) || len(r.runs) != 1 {
		t.Fatalf("err %v, runs %v", err, r.runs)
	}
}

// TestReplay: a comparison replayed from its records gives the same real
// records and pairs; missing records are failures.
func TestReplay(t *testing.T) {
	calib := synthCalibration()
	s := scenarioNamed("val", "cold", "precopy")
	s.Repetitions = 2
	recs, err := Compare(context.Background(), &fakeRunner{calib: calib}, []models.Scenario{s}, CompareOptions{Calibration: calib})
	if err != nil {
		t.Fatal(err)
	}
	rp, scenarios := NewReplay(recs)
	if len(scenarios) != 1 || scenarios[0].Name != "val" || strings.Join(scenarios[0].Techniques, ",") != "cold,precopy" || scenarios[0].Repetitions != 2 {
		t.Fatalf("scenarios %+v", scenarios)
	}
	calib.Scenarios = []string{"val"}
	again, err := Compare(context.Background(), rp, scenarios, CompareOptions{Calibration: calib})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(recs) {
		t.Fatalf("%d records replayed, %d recorded", len(again), len(recs))
	}
	for i := range again {
		if again[i].Backend == models.BackendReal && again[i].Metrics.DowntimeS != recs[i].Metrics.DowntimeS {
			t.Errorf("record %d differs", i)
		}
		if again[i].Role != models.RoleCalibration {
			t.Errorf("record %d role %q", i, again[i].Role)
		}
	}
	if _, err := rp.Run(context.Background(), s, "migrror", 0); err == nil {
		t.Error("a missing record was replayed")
	}
	// A warm-up migration among the replayed records keeps its role, and so
	// do its predictions: it is never scored.
	warm := recs[0]
	warm.Scenario, warm.Role = WarmupScenarioPrefix+"8MiB", models.RoleWarmup
	rp, scenarios = NewReplay(append([]models.Record{warm}, recs...))
	again, err = Compare(context.Background(), rp, scenarios, CompareOptions{Calibration: calib})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[models.Role]int{}
	for _, r := range again {
		if r.Scenario == warm.Scenario {
			roles[r.Role]++
		}
	}
	if roles[models.RoleWarmup] < 2 || len(roles) != 1 {
		t.Errorf("replayed warm-up records by role: %v, want all %q (real and predictions)", roles, models.RoleWarmup)
	}
}

// TestPhaseTables: the per-phase breakdown covers the validation pairs of
// the simulator only, and its downtime phases add up to the downtime.
func TestPhaseTables(t *testing.T) {
	calib := synthCalibration()
	calib.Scenarios = []string{"cal"}
	recs, err := Compare(context.Background(), &fakeRunner{calib: calib},
		[]models.Scenario{scenarioNamed("cal", "cold"), scenarioNamed("val", "cold", "precopy")}, CompareOptions{Calibration: calib})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if recs[i].Backend == models.BackendReal && recs[i].Technique == "precopy" {
			recs[i].Metrics.Extra = map[string]float64{models.ExtraOrchestratorSteal: 0.25}
		}
	}
	detail, summary := reports.PhaseTables(recs)
	// cold: 3 downtime phases + final bytes; precopy: all 7.
	if len(detail.Rows) != 4+7 || len(summary.Rows) != 4+7 {
		t.Fatalf("detail %d rows, summary %d rows", len(detail.Rows), len(summary.Rows))
	}
	for _, row := range detail.Rows {
		if row[0].Text != "val" || row[6].Value != 0 {
			t.Errorf("row %+v", row)
		}
		// The measured migration's host steal, where it was recorded.
		if steal := row[8]; (row[1].Text == "precopy") != (steal.Value == 0.25 && steal.Unit == reports.UnitFraction) {
			t.Errorf("%s %s: host steal cell %+v, want 25 %% for precopy only", row[1].Text, row[3].Text, steal)
		}
	}
	for _, r := range recs {
		if r.Backend != models.BackendReal || r.Scenario != "val" {
			continue
		}
		sum := 0.0
		for _, ph := range reports.Phases[:3] {
			v, ok := ph.Of(r)
			if !ok {
				t.Fatalf("%s: no %s", r.Technique, ph.Name)
			}
			sum += v
		}
		if math.Abs(sum-r.Metrics.DowntimeS) > 1e-9 {
			t.Errorf("%s: downtime phases add up to %g, downtime %g", r.Technique, sum, r.Metrics.DowntimeS)
		}
	}
}

// TestSummaryLineNamesHostSteal: a measured migration on a contended host says so.
func TestSummaryLineNamesHostSteal(t *testing.T) {
	r := models.Record{Backend: models.BackendReal, Metrics: models.Metrics{DowntimeS: 30, BytesSent: 1 << 20, LiveRounds: 2,
		Extra: map[string]float64{models.ExtraOrchestratorSteal: 0.123}}}
	if got, want := summaryLine(r, nil), "real: downtime 30.00s, 1.00 MiB, 2 live rounds (host CPU 12 % stolen)"; got != want {
		t.Errorf("summaryLine = %q, want %q", got, want)
	}
	r.Metrics.Extra[models.ExtraOrchestratorSteal] = 0.01
	if got := summaryLine(r, nil); strings.Contains(got, "stolen") {
		t.Errorf("1 %% steal: %q, want no note", got)
	}
}

// TestETA: the time left is the done steps' pace times the steps left.
func TestETA(t *testing.T) {
	for _, tc := range []struct {
		elapsed     time.Duration
		done, total int
		want        string
	}{
		{time.Minute, 0, 10, ""},
		{10 * time.Minute, 5, 5, ""},
		{4 * time.Minute, 2, 5, " (3 left, about 6m)"},
		{90 * time.Second, 3, 4, " (1 left, about 30s)"},
	} {
		if got := eta(tc.elapsed, tc.done, tc.total); got != tc.want {
			t.Errorf("eta(%s, %d, %d) = %q, want %q", tc.elapsed, tc.done, tc.total, got, tc.want)
		}
	}
}
