package plot

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// only keeps the records of the given backends.
func only(recs []models.Record, backends ...string) []models.Record {
	var out []models.Record
	for _, r := range recs {
		if slices.Contains(backends, r.Backend) {
			out = append(out, r)
		}
	}
	return out
}

func TestPredictedVsMeasuredErrors(t *testing.T) {
	recs := sampleRecords()
	for _, c := range []struct {
		name   string
		recs   []models.Record
		metric string
		noData bool
		want   string
	}{
		{"unknown metric", recs, "latency", false, `unknown metric "latency"`},
		{"no records", nil, "downtime", true, "no records"},
		{"no measurements", only(recs, models.BackendSim), "downtime", true, `no successful measured (backend "real")`},
		{"no predictions", only(recs, models.BackendReal), "bytes", true, "no successful predicted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := PredictedVsMeasured(c.recs, c.metric)
			if err == nil || f != nil {
				t.Fatalf("got a figure, want an error")
			}
			if !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrNoData) != c.noData {
				t.Errorf("error %q (ErrNoData %v), want %q (ErrNoData %v)", err, errors.Is(err, ErrNoData), c.want, c.noData)
			}
		})
	}
	unmatched := only(recs, models.BackendReal)
	for i := range unmatched {
		unmatched[i].Scenario += "-measured"
	}
	_, err := PredictedVsMeasured(append(only(recs, models.BackendSim), unmatched...), "downtime")
	if err == nil || !strings.Contains(err.Error(), "share scenario, technique and repetition") {
		t.Errorf("unpaired records: error %v", err)
	}
}

func TestPredictedVsMeasuredLinearAndNotes(t *testing.T) {
	recs := sampleRecords()
	failed := recs[0]
	failed.Error = "criu dump failed"
	f, err := PredictedVsMeasured(append(recs, failed), "bytes")
	if err != nil {
		t.Fatal(err)
	}
	if f.X.Log || f.Y.Log {
		t.Error("1..6.4 GiB spans under two decades: want linear axes")
	}
	if f.X.Min != f.Y.Min || f.X.Max != f.Y.Max {
		t.Errorf("x %g..%g and y %g..%g differ; predicted-vs-measured axes share one range", f.X.Min, f.X.Max, f.Y.Min, f.Y.Max)
	}
	if !slices.ContainsFunc(f.Notes, func(n string) bool { return strings.Contains(n, "1 failed record") }) {
		t.Errorf("notes %q do not mention the failed record", f.Notes)
	}
	if !strings.Contains(f.X.Label, "Measured bytes sent") || !strings.Contains(f.Y.Label, "Predicted bytes sent") {
		t.Errorf("labels %q, %q", f.X.Label, f.Y.Label)
	}
}

func TestDowntimeVsDirtyRate(t *testing.T) {
	f, err := DowntimeVsDirtyRate(sampleRecords(), By{})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Y.Log || f.X.Log {
		t.Errorf("log y %v (want true: 5 ms..30 s), log x %v (want false: 5..50 MB/s)", f.Y.Log, f.X.Log)
	}
	var sim *Series
	reals := 0
	for i, s := range f.Series {
		if s.Name == "precopy sim" {
			sim = &f.Series[i]
		}
		if s.Kind == KindPoints {
			reals += len(s.Points)
		}
	}
	if reals != 27 {
		t.Errorf("%d measured points, want one per real record (27)", reals)
	}
	if sim == nil || sim.Kind != KindLine || len(sim.Points) != 3 {
		t.Fatalf("precopy sim series %+v, want a line of 3 medians", sim)
	}
	for i, want := range []float64{5 * mbs, 20 * mbs, 50 * mbs} {
		if p := sim.Points[i]; p.X != want || !closeTo([]float64{p.Y}, []float64{truth["precopy"][want/mbs][0]}) {
			t.Errorf("median %d = (%g, %g), want (%g, %g)", i, p.X, p.Y, want, truth["precopy"][want/mbs][0])
		}
	}
}

func TestDowntimeVsDirtyRateErrors(t *testing.T) {
	one := only(sampleRecords(), models.BackendSim)[:3]
	_, err := DowntimeVsDirtyRate(one, By{})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "one dirty rate") {
		t.Errorf("one dirty rate: error %v", err)
	}
	if _, err := DowntimeVsDirtyRate(nil, By{}); !errors.Is(err, ErrNoData) {
		t.Errorf("no records: error %v", err)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteAll(dir, sampleRecords())
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2*5 { // downtime_vs_memory: one memory size, left out without a word
		t.Errorf("wrote %v, want 10 files", paths)
	}
	for _, name := range []string{"downtime_pred_vs_meas.svg", "downtime_pred_vs_meas.png", "bytes_pred_vs_meas.png", "downtime_vs_dirty_rate.svg"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Simulated records only: the predicted-vs-measured plots are skipped.
	dir = t.TempDir()
	paths, err = WriteAll(dir, only(sampleRecords(), models.BackendSim))
	var sk *SkippedError
	if !errors.As(err, &sk) || len(sk.Skipped) != 3 || !errors.Is(err, ErrNoData) {
		t.Fatalf("error %v, want the three predicted-vs-measured plots skipped", err)
	}
	if !strings.Contains(err.Error(), "downtime_pred_vs_meas: ") || !strings.Contains(err.Error(), `backend "real"`) {
		t.Errorf("error %q does not say which plot and why", err)
	}
	var want []string
	for _, n := range []string{"downtime_vs_dirty_rate", "downtime_cdf"} {
		want = append(want, filepath.Join(dir, n+".svg"), filepath.Join(dir, n+".png"))
	}
	if !slices.Equal(paths, want) {
		t.Errorf("wrote %v, want %v", paths, want)
	}
}

func TestRoleLegend(t *testing.T) {
	labels := func(roles ...string) []string {
		m := map[models.Role]bool{}
		for _, r := range roles {
			m[models.Role(r)] = true
		}
		var out []string
		for _, it := range roleLegend(m) {
			out = append(out, it.Label)
		}
		return out
	}
	for _, c := range []struct {
		roles []string
		want  []string
	}{
		{[]string{"validation", "calibration"}, []string{"Scenario role", "validation: filled", "calibration: hollow"}},
		{[]string{"calibration", ""}, []string{"Scenario role", "no role: filled", "calibration: hollow"}},
		{[]string{"validation", ""}, []string{"Scenario role", "validation, other: filled"}},
		{[]string{""}, nil},
		{[]string{"validation", "calibration", "warmup"}, []string{"Scenario role", "validation: filled", "calibration, warm-up: hollow"}},
		{[]string{"warmup", ""}, []string{"Scenario role", "no role: filled", "warm-up: hollow"}},
	} {
		if got := labels(c.roles...); !slices.Equal(got, c.want) {
			t.Errorf("roles %q: legend %q, want %q", c.roles, got, c.want)
		}
	}
}
