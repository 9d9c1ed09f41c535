package fidelity

import (
	"context"
	"math"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// pacedRunner "migrates" by simulating under c with every phase slowed by
// the hosts' paces (the next of paces each time, against ref) raised to
// the true elasticities, and reports those paces.
type pacedRunner struct {
	c     models.Calibration
	truth models.HostPace
	paces [][2]float64
	n     *int
}

func (r pacedRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	p := r.paces[*r.n%len(r.paces)]
	*r.n++
	x := map[string]float64{models.ExtraSourcePace: p[0], models.ExtraTargetPace: p[1]}
	d, _ := r.truth.Deviation(x)
	rec, err := sim.Run(ctx, r.c.Perturb(d).Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	rec.Metrics.Extra = x
	return rec, err
}

// pacedRecords are cold and pre-copy migrations of two sizes at paces from
// 0.8 to 1.9 times the median's, from r.
func pacedRecords(t *testing.T, r pacedRunner) []models.Record {
	t.Helper()
	var recs []models.Record
	for i := range 2 * len(r.paces) {
		s := scenarioNamed("calibration", models.Cold, models.PreCopy)
		s.Memory.Size = models.ByteSize(8+8*(i%2)) << 20
		for _, tech := range []string{models.Cold, models.PreCopy} {
			rec, err := r.Run(context.Background(), s, tech, i)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, rec)
		}
	}
	return recs
}

var testPaces = [][2]float64{{0.10, 0.12}, {0.12, 0.10}, {0.13, 0.16}, {0.19, 0.14}, {0.11, 0.23}, {0.09, 0.12}, {0.12, 0.12}}

// TestFitHostPaceFindsTheElasticities: calibration migrations whose dump
// followed the source's pace ^0.8 and whose restore the target's ^0.5 (the
// transfer none) give back those elasticities, and the calibration's
// median paces.
func TestFitHostPaceFindsTheElasticities(t *testing.T) {
	c := synthCalibration()
	truth := models.HostPace{Source: 0.12, Target: 0.12, FinalDump: 0.8, Restore: 0.5, LiveRounds: 0.8}
	recs := pacedRecords(t, pacedRunner{c: c, truth: truth, paces: testPaces, n: new(int)})
	p := FitHostPace(context.Background(), c, recs)
	if p == nil {
		t.Fatal("no pace model from 28 migrations at paces 0.09-0.23 s")
	}
	if p.Migrations != len(recs) || p.Source != 0.12 || p.Target != 0.12 {
		t.Errorf("model %+v: want %d migrations, median paces 0.12 / 0.12", *p, len(recs))
	}
	for _, e := range []struct {
		name      string
		got, want float64
	}{{"final dump", p.FinalDump, 0.8}, {"restore", p.Restore, 0.5}, {"transfer", p.FinalTransfer, 0}, {"live rounds", p.LiveRounds, 0.8}} {
		if math.Abs(e.got-e.want) > 0.1 {
			t.Errorf("%s elasticity %.3f, want %.1f", e.name, e.got, e.want)
		}
	}
}

// TestFitHostPaceNeedsSpreadPaces: migrations at one pace, or too few,
// give no model.
func TestFitHostPaceNeedsSpreadPaces(t *testing.T) {
	c := synthCalibration()
	truth := models.HostPace{Source: 0.12, Target: 0.12, FinalDump: 0.8, Restore: 0.5}
	same := pacedRecords(t, pacedRunner{c: c, truth: truth, paces: [][2]float64{{0.12, 0.12}}, n: new(int)})
	if p := FitHostPace(context.Background(), c, same); p != nil {
		t.Errorf("migrations all at one pace gave %+v", *p)
	}
	few := pacedRecords(t, pacedRunner{c: c, truth: truth, paces: testPaces, n: new(int)})[:minPaceFit-1]
	if p := FitHostPace(context.Background(), c, few); p != nil {
		t.Errorf("%d migrations gave %+v", len(few), *p)
	}
}

// TestComparePredictsAtTheMeasuredPace: with the fitted pace model, a
// validation migration run while the hosts were 1.8 times slower than the
// calibration's median is predicted within 3 % in downtime; without it,
// more than 15 % short.
func TestComparePredictsAtTheMeasuredPace(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	truth := models.HostPace{Source: 0.12, Target: 0.12, FinalDump: 0.8, Restore: 0.5, LiveRounds: 0.8}
	with := c
	with.HostPace = FitHostPace(ctx, c, pacedRecords(t, pacedRunner{c: c, truth: truth, paces: testPaces, n: new(int)}))
	slow := pacedRunner{c: c, truth: truth, paces: [][2]float64{{0.216, 0.216}}, n: new(int)}
	for _, cc := range []struct {
		name     string
		c        models.Calibration
		min, max float64
	}{{"with the pace model", with, 0.97, 1.03}, {"without", c, 1.15, 10}} {
		recs, err := Compare(ctx, slow, []models.Scenario{scenarioNamed("v", models.Cold)},
			CompareOptions{Calibration: cc.c, Predictor: SimPredictor{NoAnalytic: true}})
		if err != nil || len(recs) != 2 {
			t.Fatalf("%s: %d records, %v", cc.name, len(recs), err)
		}
		if r := recs[0].Metrics.DowntimeS / recs[1].Metrics.DowntimeS; r < cc.min || r > cc.max {
			t.Errorf("%s: measured / predicted downtime %.3f, want %.2f-%.2f", cc.name, r, cc.min, cc.max)
		}
	}
}
