package plot

import (
	"errors"
	"testing"

	"github.com/migrlab/migrlab/models"
)

func TestDirtyingCurve(t *testing.T) {
	p := models.DirtyingProfile{Scenario: "app", Host: "vm1", Resident: 8 << 20,
		Passes: []models.DirtyingPass{{WindowsS: []float64{0.1, 1, 10}, Bytes: []int64{0, 1 << 20, 4 << 20}}},
		Curve: []models.CurvePoint{{WindowS: 0.1, Bytes: 0, Fitted: 4096}, {WindowS: 1, Bytes: 1 << 20, Fitted: 1 << 20, Model: 900 << 10},
			{WindowS: 10, Bytes: 4 << 20, Fitted: 4 << 20, Model: 4 << 20}}}
	f, err := DirtyingCurve(p)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Series{}
	for _, s := range f.Series {
		byName[s.Name] = s
	}
	// A zero count has no place on a log axis: left out, not drawn at the bottom.
	if n := len(byName["passes"].Points); n != 2 {
		t.Errorf("pass points %d, want 2", n)
	}
	if m := byName["median"].Points; len(m) != 2 || m[1] != (Point{X: 10, Y: 4 << 20}) {
		t.Errorf("median %+v", m)
	}
	if len(byName["fitted"].Points) != 3 || len(byName["model"].Points) != 2 {
		t.Errorf("fitted %+v model %+v", byName["fitted"].Points, byName["model"].Points)
	}
	if r := byName["resident"].Points; r[0].Y != 8<<20 || r[1].X != 10 {
		t.Errorf("resident %+v", r)
	}
	if !f.X.Log || !f.Y.Log || f.Y.Max < 8<<20 {
		t.Errorf("axes %+v %+v", f.X, f.Y)
	}
	if _, err := DirtyingCurve(models.DirtyingProfile{}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty profile: %v", err)
	}
	p.Curve = []models.CurvePoint{{WindowS: 1}}
	if _, err := DirtyingCurve(p); !errors.Is(err, ErrNoData) {
		t.Errorf("no dirty page: %v", err)
	}
}
