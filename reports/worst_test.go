package reports

import (
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// worstRecs are a measurement and a prediction of one migration: downtime
// and bytes sent each.
func worstRecs(scenario string, role models.Role, technique string, realDown, simDown float64, realBytes, simBytes int64) []models.Record {
	r := downRec(scenario, role, technique, models.BackendReal, 0, realDown)
	p := downRec(scenario, role, technique, models.BackendSim, 0, simDown)
	r.Metrics.BytesSent, p.Metrics.BytesSent = realBytes, simBytes
	return []models.Record{r, p}
}

// TestWorstFirstOrder: validation pairs come worst-predicted first, by the
// larger of the downtime and bytes errors (a bytes error of +50 % ranks
// above a downtime error of +10 %, a downtime error of -75 % above both);
// equal errors keep the input order; analytic pairs, calibration pairs and
// flagged migrations are left out (the flagged one counted in a note); n
// cuts the rows; the search score sits beside its scenario's pairs and is
// missing for a scenario the map does not hold.
func TestWorstFirstOrder(t *testing.T) {
	var recs []models.Record
	recs = append(recs, worstRecs("a", models.RoleValidation, models.Cold, 10, 11, 100, 100)...)    // 0.10
	recs = append(recs, worstRecs("a", models.RoleValidation, models.PreCopy, 10, 10, 100, 150)...) // 0.50
	recs = append(recs, worstRecs("b", models.RoleValidation, models.MiGrror, 4, 1, 100, 100)...)   // 0.75
	recs = append(recs, worstRecs("b", models.RoleValidation, models.Cold, 5, 5, 100, 100)...)      // 0
	recs = append(recs, worstRecs("d", models.RoleValidation, models.Cold, 10, 9, 100, 100)...)     // 0.10, after a's
	recs = append(recs, worstRecs("cal", models.RoleCalibration, models.Cold, 1, 9, 100, 100)...)   // not scored
	flagged := worstRecs("f", models.RoleValidation, models.Cold, 1, 9, 100, 100)
	flagged[0].Flags = []string{"host CPU steal 30 %"}
	recs = append(recs, flagged...)
	an := downRec("b", models.RoleValidation, models.Cold, models.BackendAnalytic, 0, 50)
	recs = append(recs, an)
	scores := map[string]float64{"a": 0.4, "b": 0.9}

	tab := WorstFirst(recs, 0, scores)
	want := []struct {
		id    string
		worst float64
		score float64 // NaN: missing
	}{
		{"b/migrror", 0.75, 0.9}, {"a/precopy", 0.5, 0.4}, {"a/cold", 0.1, 0.4}, {"d/cold", 0.1, math.NaN()}, {"b/cold", 0, 0.9},
	}
	if len(tab.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(tab.Rows), len(want), tab.Rows)
	}
	last := len(tab.Columns) - 1
	if tab.Columns[last].Key != "search_score" {
		t.Fatalf("last column %q, want search_score", tab.Columns[last].Key)
	}
	for i, w := range want {
		r := tab.Rows[i]
		if id := r[1].Text + "/" + r[2].Text; id != w.id || math.Abs(r[10].Value-w.worst) > 1e-9 || r[0].Value != float64(i+1) {
			t.Errorf("row %d: %s worst %v (rank %v), want %s worst %v", i, id, r[10].Value, r[0].Value, w.id, w.worst)
		}
		if math.IsNaN(w.score) != (r[last].Kind == KindMissing) || !math.IsNaN(w.score) && r[last].Value != w.score {
			t.Errorf("row %d (%s): score cell %+v, want %v", i, w.id, r[last], w.score)
		}
	}
	if r := tab.Rows[0]; math.Abs(r[6].Value+0.75) > 1e-9 || r[9].Value != 0 || r[4].Value != 1 || r[5].Value != 4 {
		t.Errorf("b/migrror: downtime %v vs %v error %v, bytes error %v", r[4].Value, r[5].Value, r[6].Value, r[9].Value)
	}
	if !strings.Contains(strings.Join(tab.Notes, " "), "1 pair(s) left out") {
		t.Errorf("notes %q do not count the flagged pair", tab.Notes)
	}

	top := WorstFirst(recs, 2, nil)
	if len(top.Rows) != 2 || top.Rows[1][1].Text != "a" || top.Rows[1][2].Text != models.PreCopy || top.Columns[len(top.Columns)-1].Key == "search_score" {
		t.Errorf("top 2 without scores: %v, columns %v", top.Rows, top.Columns)
	}
}

// TestWorstFirstWithoutRoles: records without roles are all scored.
func TestWorstFirstWithoutRoles(t *testing.T) {
	recs := append(worstRecs("x", "", models.Cold, 10, 12, 100, 100), worstRecs("y", "", models.Cold, 10, 10, 100, 130)...)
	tab := WorstFirst(recs, 0, nil)
	if len(tab.Rows) != 2 || tab.Rows[0][1].Text != "y" || math.Abs(tab.Rows[0][10].Value-0.3) > 1e-9 {
		t.Fatalf("rows %v", tab.Rows)
	}
}
