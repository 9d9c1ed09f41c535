package plot

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/migrlab/migrlab/models"
)

func TestCDF(t *testing.T) {
	got := CDF([]float64{3, 1, 2, 2})
	want := []Point{{X: 1, Y: 0.25}, {X: 2, Y: 0.5}, {X: 2, Y: 0.75}, {X: 3, Y: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("CDF = %v, want %v", got, want)
	}
}

// cdfRecord is a successful record of a downtime at a bandwidth.
func cdfRecord(tech, backend string, rep int, down, bw float64) models.Record {
	r := sampleRecord("s", "", tech, backend, rep, 10*mbs, down, 1, 1)
	r.Params.Network.Bandwidth = models.Rate(bw)
	return r
}

func TestDowntimeCDF(t *testing.T) {
	recs := []models.Record{
		cdfRecord(models.Cold, models.BackendSim, 0, 0.3, 100*mbs),
		cdfRecord(models.Cold, models.BackendSim, 1, 0.1, 100*mbs),
		cdfRecord(models.Cold, models.BackendSim, 2, 0.2, 1000*mbs),
		cdfRecord(models.Cold, models.BackendReal, 0, 0.25, 100*mbs),
		cdfRecord(models.Cold, models.BackendReal, 1, 0.15, 1000*mbs),
		cdfRecord(models.PreCopy, models.BackendSim, 0, 0.05, 1000*mbs),
	}
	failed := cdfRecord(models.Cold, models.BackendReal, 2, 9, 100*mbs)
	failed.Error = "criu dump failed"
	f, err := DowntimeCDF(append(recs, failed), By{})
	if err != nil {
		t.Fatal(err)
	}
	third := 1.0 / 3
	for _, c := range []struct {
		name   string
		points []Point
		dashed bool
	}{
		// backends are separate lines, never pooled
		{"cold sim", []Point{{X: 0.1, Y: third}, {X: 0.2, Y: 2 * third}, {X: 0.3, Y: 1}}, true},
		{"cold real", []Point{{X: 0.15, Y: 0.5}, {X: 0.25, Y: 1}}, false},
		{"precopy sim", []Point{{X: 0.05, Y: 1}}, true},
	} {
		s := series(f, c.name)
		if s == nil || s.Kind != KindStep || s.Dashed != c.dashed || len(s.Points) != len(c.points) {
			t.Fatalf("%s: %+v, want a step line of %d points (dashed %v)", c.name, s, len(c.points), c.dashed)
		}
		for i, p := range s.Points {
			if p.X != c.points[i].X || math.Abs(p.Y-c.points[i].Y) > 1e-12 || !p.Mark {
				t.Errorf("%s point %d = %+v, want %+v marked (a decile)", c.name, i, p, c.points[i])
			}
		}
	}
	if len(f.Series) != 3 || f.Y.Min != 0 || f.Y.Max < 1 || f.X.Log {
		t.Errorf("%d series, y %g..%g, log x %v", len(f.Series), f.Y.Min, f.Y.Max, f.X.Log)
	}
	if !slices.Contains(f.Notes, "1 failed record(s) not drawn.") {
		t.Errorf("notes %q", f.Notes)
	}

	by, err := ParseBy(recs, "network.bandwidth")
	if err != nil {
		t.Fatal(err)
	}
	f, err = DowntimeCDF(recs, by)
	if err != nil {
		t.Fatal(err)
	}
	if s := series(f, "cold sim, network.bandwidth = 100 MB/s"); s == nil || len(s.Points) != 2 || s.Points[1] != (Point{X: 0.3, Y: 1, Mark: true}) {
		t.Errorf("cold sim at 100 MB/s: %+v, want (0.1, 0.5), (0.3, 1)", s)
	}
	if s := series(f, "cold real, network.bandwidth = 1 GB/s"); s == nil || len(s.Points) != 1 || s.Shape != ShapeTriangle {
		t.Errorf("cold real at 1 GB/s: %+v, want one point, triangles", s)
	}
	if _, err := DowntimeCDF([]models.Record{failed}, By{}); !errors.Is(err, ErrNoData) {
		t.Errorf("only a failed record: error %v", err)
	}
}

func TestMarkDeciles(t *testing.T) {
	ps := CDF(make([]float64, 95))
	markDeciles(ps)
	var marked []int
	for i, p := range ps {
		if p.Mark {
			marked = append(marked, i)
		}
	}
	if want := []int{9, 18, 28, 37, 47, 56, 66, 75, 85, 94}; !slices.Equal(marked, want) {
		t.Errorf("marked %v, want %v", marked, want)
	}
}
