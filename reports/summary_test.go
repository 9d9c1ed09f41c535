package reports

import (
	"reflect"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// column returns the cells of the column keyed key.
func column(t *testing.T, tab Table, key string) []Cell {
	t.Helper()
	for i, c := range tab.Columns {
		if c.Key == key {
			var out []Cell
			for _, r := range tab.Rows {
				out = append(out, r[i])
			}
			return out
		}
	}
	t.Fatalf("table %q has no column %q", tab.Title, key)
	return nil
}

func TestSummarizeOrder(t *testing.T) {
	tab := Summarize(fixtureRecords())
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r[0].Text+"/"+r[1].Text+"/"+r[2].Text)
	}
	want := []string{
		"web-1g/precopy/sim", "web-1g/precopy/real", "web-1g/migrror/sim", "web-1g/migrror/real",
		"idle-small/cold/analytic", "idle-small/cold/sim", "idle-small/cold/real",
		"idle-small/precopy/analytic", "idle-small/precopy/real",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows =\n%v\nwant\n%v", got, want)
	}
}

func TestSummarizeValues(t *testing.T) {
	var rs []models.Record
	for i := range 10 {
		r := downRec("s", "", models.PreCopy, models.BackendSim, i, float64(i+1)/1000)
		r.Metrics.StopReason = string(models.StopThreshold)
		r.Metrics.Converged = true
		if i >= 8 {
			r.Metrics.StopReason = string(models.StopMaxRounds)
			r.Metrics.Converged = false
		}
		rs = append(rs, r)
	}
	bad := downRec("s", "", models.PreCopy, models.BackendSim, 10, 99)
	bad.Error = "lost the target"
	rs = append(rs, bad)
	tab := Summarize(rs)
	if len(tab.Rows) != 1 {
		t.Fatalf("%d rows, want 1", len(tab.Rows))
	}
	if n := column(t, tab, "n")[0].Value; n != 10 {
		t.Errorf("n = %g, want 10 (the failed run left out)", n)
	}
	if f := column(t, tab, "failed")[0].Value; f != 1 {
		t.Errorf("failed = %g, want 1", f)
	}
	d := column(t, tab, "downtime_s")[0].Est
	if !near(d.Center, 0.0055) || !near(d.Lo, 0.002) || !near(d.Hi, 0.009) || d.Range {
		t.Errorf("downtime = %+v, want 5.5 ms [2, 9] ms, a CI", d)
	}
	if s := column(t, tab, "stop_reason")[0]; s.Text != "threshold (8/10)" || s.dataText() != "threshold" {
		t.Errorf("stop reason = %q / %q, want threshold (8/10) / threshold", s.Text, s.dataText())
	}
	if c := column(t, tab, "converged_share")[0].Value; !near(c, 0.8) {
		t.Errorf("converged = %g, want 0.8", c)
	}
	if len(tab.Notes) == 0 || !strings.Contains(tab.Notes[0], "Failed") {
		t.Errorf("notes %v do not mention the failed run", tab.Notes)
	}
}

func TestSummarizeTies(t *testing.T) {
	rs := []models.Record{
		downRec("s", "", models.PreCopy, models.BackendSim, 0, 1),
		downRec("s", "", models.PreCopy, models.BackendSim, 1, 1),
	}
	rs[0].Metrics.StopReason, rs[1].Metrics.StopReason = "threshold", "max_rounds"
	if s := column(t, Summarize(rs), "stop_reason")[0].Text; s != "max_rounds/threshold (1/2 each)" {
		t.Errorf("tied stop reasons = %q", s)
	}
}

func TestSummarizeAllFailed(t *testing.T) {
	r := downRec("s", "", models.Cold, models.BackendReal, 0, 1)
	r.Error = "no host"
	tab := Summarize([]models.Record{r})
	if c := column(t, tab, "downtime_s")[0]; c.Kind != KindMissing {
		t.Errorf("downtime of a group without successful runs = %+v, want missing", c)
	}
	for _, f := range Formats {
		if err := Render(&strings.Builder{}, f, tab); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSummarizeGroupBy(t *testing.T) {
	// By technique: one row per technique and backend (backends never pool).
	tab := Summarize(fixtureRecords(), GroupTechnique)
	var got []string
	for _, r := range tab.Rows {
		got = append(got, r[0].Text+"/"+r[1].Text)
	}
	if want := []string{"cold/analytic", "cold/sim", "cold/real", "precopy/analytic", "precopy/sim", "precopy/real", "migrror/sim", "migrror/real"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unknown group key did not panic")
		}
	}()
	Summarize(fixtureRecords(), GroupKey("colour"))
}

func TestParseGroupBy(t *testing.T) {
	got, err := ParseGroupBy(" Technique , backend")
	if err != nil || !reflect.DeepEqual(got, []GroupKey{GroupTechnique, GroupBackend}) {
		t.Errorf("ParseGroupBy = %v, %v", got, err)
	}
	for _, bad := range []string{"colour", "scenario,scenario"} {
		if _, err := ParseGroupBy(bad); err == nil {
			t.Errorf("ParseGroupBy(%q) succeeded", bad)
		}
	}
}

func TestRoundsTable(t *testing.T) {
	tab := Rounds(roundsRecord())
	if len(tab.Rows) != 4 || !column(t, tab, "frozen")[3].Flag || column(t, tab, "bytes")[0].Value != 1<<30 {
		t.Errorf("rounds table rows = %+v", tab.Rows)
	}
}

// TestSummarizeNeverPoolsBackends: grouped by scenario and technique only,
// the simulator's and the closed form's records stay apart.
func TestSummarizeNeverPoolsBackends(t *testing.T) {
	recs := []models.Record{
		downRec("s", "", models.Cold, models.BackendSim, 0, 1),
		downRec("s", "", models.Cold, models.BackendAnalytic, 0, 9),
	}
	tb := Summarize(recs, GroupScenario, GroupTechnique)
	if len(tb.Rows) != 2 || tb.Columns[2].Key != string(GroupBackend) {
		t.Fatalf("%d rows, columns %v: want one row per backend", len(tb.Rows), tb.Columns[:3])
	}
	for _, r := range tb.Rows {
		if r[3].Value != 1 {
			t.Errorf("row %v: n %v, want 1", r[2].Text, r[3].Value)
		}
	}
}

// TestSummarySaysWhenSimAndClosedFormDisagree: a downtime the closed form
// puts at more than twice (or less than half) the simulator's is named in
// the notes; a close one is not.
func TestSummarySaysWhenSimAndClosedFormDisagree(t *testing.T) {
	recs := []models.Record{
		downRec("far", "", models.PreCopy, models.BackendSim, 0, 1),
		downRec("far", "", models.PreCopy, models.BackendAnalytic, 0, 2.5),
		downRec("near", "", models.PreCopy, models.BackendSim, 0, 1),
		downRec("near", "", models.PreCopy, models.BackendAnalytic, 0, 1.5),
	}
	notes := strings.Join(Summarize(recs).Notes, "\n")
	if !strings.Contains(notes, "far precopy (simulator 1.00 s, closed form 2.50 s)") || strings.Contains(notes, "near") {
		t.Errorf("notes: %q", notes)
	}
}
