package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// measured is a record with exact metrics (rec's fixtures add jitter).
func measured(scenario, role, technique, backend string, rep int, downS float64, bytes int64) models.Record {
	return models.Record{Schema: models.RecordSchema, Scenario: scenario, Technique: technique, Backend: backend,
		Repetition: rep, Role: role, Metrics: models.Metrics{DowntimeS: downS, TotalTimeS: downS, BytesSent: bytes}}
}

func TestRepeatability(t *testing.T) {
	rec := func(scenario, role, technique, backend string, rep int, downS, _ float64, bytes int64, _ int, _ string) models.Record {
		return measured(scenario, role, technique, backend, rep, downS, bytes)
	}
	recs := []models.Record{
		// Not scored: calibration, warm-up, predictions, failures.
		rec("cal", RoleCalibration, "cold", models.BackendReal, 0, 100, 100, 1000, 0, "final"),
		rec("cal", RoleCalibration, "cold", models.BackendReal, 1, 300, 300, 1000, 0, "final"),
		rec("w", RoleWarmup, "cold", models.BackendReal, 0, 100, 100, 1000, 0, "final"),
		rec("w", RoleWarmup, "cold", models.BackendReal, 1, 900, 900, 1000, 0, "final"),
		rec("a", RoleValidation, "cold", models.BackendSim, 0, 1, 1, 1, 0, "final"),
		rec("a", RoleValidation, "cold", models.BackendSim, 1, 9, 9, 9, 0, "final"),
		// Cold, scenario a: downtimes 30, 40, 50 (median 40, mean 40, sd 10).
		rec("a", RoleValidation, "cold", models.BackendReal, 0, 30, 30, 1000, 0, "final"),
		rec("a", RoleValidation, "cold", models.BackendReal, 1, 40, 40, 1000, 0, "final"),
		rec("a", RoleValidation, "cold", models.BackendReal, 2, 50, 50, 1000, 0, "final"),
		// Cold, scenario b: 10, 20 (median 15, mean 15, sd 7.071).
		rec("b", RoleValidation, "cold", models.BackendReal, 0, 10, 10, 2000, 0, "final"),
		rec("b", RoleValidation, "cold", models.BackendReal, 1, 20, 20, 2000, 0, "final"),
		// Pre-copy measured once: no repeatability.
		rec("a", RoleValidation, "precopy", models.BackendReal, 0, 10, 20, 3000, 3, "max_rounds"),
	}
	failed := rec("a", RoleValidation, "cold", models.BackendReal, 3, 500, 500, 1, 0, "final")
	failed.Error = "checkpoint failed"
	recs = append(recs, failed)

	got := Repeatability(recs)
	if len(got) != len(repeatMetrics) {
		t.Fatalf("got %d stats, want %d (cold only): %+v", len(got), len(repeatMetrics), got)
	}
	d := got[0]
	if d.Technique != "cold" || d.Metric != MetricDowntime || d.Cells != 2 || d.N != 5 {
		t.Fatalf("downtime stat %+v, want cold, 2 cells, 5 measurements", d)
	}
	// CoV: (10/40 + 7.0711/15) / 2; floor: APEs of 40 on 30,40,50 and 15 on 10,20.
	wantCoV := (10.0/40 + math.Sqrt(50)/15) / 2
	wantFloor := (10.0/30 + 0 + 10.0/50 + 5.0/10 + 5.0/20) / 5
	if math.Abs(d.CoV-wantCoV) > 1e-12 || math.Abs(d.FloorMAPE-wantFloor) > 1e-12 {
		t.Errorf("downtime CoV %.6f floor %.6f, want %.6f and %.6f", d.CoV, d.FloorMAPE, wantCoV, wantFloor)
	}
	if b := got[2]; b.Metric != MetricBytes || b.CoV != 0 || b.FloorMAPE != 0 {
		t.Errorf("bytes stat %+v, want no variation", b)
	}

	var out bytes.Buffer
	if err := Render(&out, FormatMarkdown, RepeatabilityTable(got)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| cold | downtime | 2 | 5 | 36.1% | 25.7% |", "noise"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if len(Repeatability(recs[:6])) != 0 {
		t.Error("no scored real records: want no statistics")
	}
}
