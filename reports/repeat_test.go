package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// measured is a record with exact metrics (rec's fixtures add jitter).
func measured(scenario string, role models.Role, technique, backend string, rep int, downS float64, bytes int64) models.Record {
	return models.Record{Schema: models.RecordSchema, Scenario: scenario, Technique: technique, Backend: backend,
		Repetition: rep, Role: role, Metrics: models.Metrics{DowntimeS: downS, TotalTimeS: downS, BytesSent: bytes}}
}

func TestRepeatability(t *testing.T) {
	recs := []models.Record{
		// Not scored: calibration, warm-up, predictions, failures.
		measured("cal", models.RoleCalibration, "cold", models.BackendReal, 0, 100, 1000),
		measured("cal", models.RoleCalibration, "cold", models.BackendReal, 1, 300, 1000),
		measured("w", models.RoleWarmup, "cold", models.BackendReal, 0, 100, 1000),
		measured("w", models.RoleWarmup, "cold", models.BackendReal, 1, 900, 1000),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 0, 1, 1),
		measured("a", models.RoleValidation, "cold", models.BackendSim, 1, 9, 9),
		// MiGrror before cold in the input; the table follows models.TechniqueNames.
		measured("a", models.RoleValidation, "migrror", models.BackendReal, 0, 10, 3000),
		measured("a", models.RoleValidation, "migrror", models.BackendReal, 1, 10, 3000),
		// Cold, scenario a: downtimes 30, 40, 50 (median 40, mean 40, sd 10).
		measured("a", models.RoleValidation, "cold", models.BackendReal, 0, 30, 1000),
		measured("a", models.RoleValidation, "cold", models.BackendReal, 1, 40, 1000),
		measured("a", models.RoleValidation, "cold", models.BackendReal, 2, 50, 1000),
		// Cold, scenario b: 10, 20 (median 15, mean 15, sd 7.071).
		measured("b", models.RoleValidation, "cold", models.BackendReal, 0, 10, 2000),
		measured("b", models.RoleValidation, "cold", models.BackendReal, 1, 20, 2000),
		// Pre-copy measured once: no repeatability.
		measured("a", models.RoleValidation, "precopy", models.BackendReal, 0, 10, 3000),
	}
	failed := measured("a", models.RoleValidation, "cold", models.BackendReal, 3, 500, 1)
	failed.Error = "checkpoint failed"
	recs = append(recs, failed)

	got := Repeatability(recs)
	if len(got) != 2*len(repeatMetrics) || got[len(repeatMetrics)].Technique != "migrror" {
		t.Fatalf("got %d stats, want %d (cold, then migrror; pre-copy was measured once): %+v", len(got), 2*len(repeatMetrics), got)
	}
	if m := got[len(repeatMetrics)]; m.Cells != 1 || m.N != 2 || m.CoV != 0 || m.FloorMAPE != 0 {
		t.Errorf("migrror downtime %+v, want one cell of two equal measurements", m)
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
