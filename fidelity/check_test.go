package fidelity

import (
	"context"
	"math"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// slowCheckRunner is fakeRunner whose MiGrror check migrations take factor
// times the downtime the truth gives: a model wrong on a scenario it was
// not fitted to, and right on the others.
type slowCheckRunner struct {
	fakeRunner
	factor float64
}

func (r *slowCheckRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	rec, err := r.fakeRunner.Run(ctx, s, technique, rep)
	if technique == models.MiGrror {
		rec.Metrics.DowntimeS *= r.factor
	}
	return rec, err
}

// The check migrations are never fitted (the calibration and its spread are
// those of the four fitted steps) and their error is the model error, per
// technique: the mean of its own check's squared log error and the pooled
// one over every check (a technique without a check: the pooled one);
// metrics the model got right none.
func TestCheckMigrationsMeasureTheModelError(t *testing.T) {
	truthCal := synthCalibration()
	r := &slowCheckRunner{fakeRunner: fakeRunner{calib: truthCal}, factor: 1.1}
	res, err := Calibrate(context.Background(), r, fakeLink{synthLink()}, CalibrateOptions{Repeat: 2})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Calibrate(context.Background(), &fakeRunner{calib: truthCal}, fakeLink{synthLink()}, CalibrateOptions{Repeat: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Calibration
	if len(c.Spread) != 8 || c.Costs != plain.Calibration.Costs || len(c.Scenarios) != 3 {
		t.Fatalf("the checks changed the fit: spread %d, scenarios %v, costs %+v vs %+v", len(c.Spread), c.Scenarios, c.Costs, plain.Calibration.Costs)
	}
	l := math.Log(1.1)
	pooled := l * l / 4 // four check cells, one of them off
	// A technique with a check of its own: the mean of its own and the
	// pooled; post-copy, never checked: the pooled.
	for tech, want := range map[string]float64{models.MiGrror: math.Sqrt((l*l + pooled) / 2), models.Cold: math.Sqrt(pooled / 2),
		models.PreCopy: math.Sqrt(pooled / 2), models.PostCopy: math.Sqrt(pooled)} {
		e, ok := c.ModelErrors[tech]
		if !ok || math.Abs(e.DowntimeS-want) > 1e-3 || e.TotalTimeS > 1e-3 || e.Bytes > 1e-3 {
			t.Errorf("%s: model error %+v (present %v), want downtime %.4f and nothing else", tech, e, ok, want)
		}
	}
	// Every interval is widened by its technique's error.
	s := fittedPlan()[2].Scenario
	var narrow, wide models.Record
	for _, cc := range []struct {
		c models.Calibration
		p *models.Record
	}{{plain.Calibration, &narrow}, {c, &wide}} {
		p, err := sim.Run(context.Background(), cc.c.Apply(s), models.MiGrror, 0)
		if err != nil {
			t.Fatal(err)
		}
		*cc.p = p
		WithInterval(context.Background(), cc.c, s, models.MiGrror, 0, cc.p)
	}
	if narrow.Interval == nil || wide.Interval == nil {
		t.Fatal("no interval")
	}
	wn, ww := narrow.Interval.DowntimeS, wide.Interval.DowntimeS
	if !(ww[0] < wn[0] && ww[1] > wn[1]) || wide.Interval.BytesSent != narrow.Interval.BytesSent {
		t.Errorf("MiGrror's downtime interval %v not widened beyond %v (bytes %v vs %v)", ww, wn, wide.Interval.BytesSent, narrow.Interval.BytesSent)
	}
}

// squaredBias takes a cell's mean log error squared less its sampling
// variance: repetitions that scatter about zero give no bias.
func TestSquaredBias(t *testing.T) {
	b := squaredBias([][3]float64{{0.1, 0.02, -0.1}, {0.1, -0.02, -0.1}, {0.1, 0, -0.1}})
	if math.Abs(b[0]-0.01) > 1e-12 || b[1] != 0 || math.Abs(b[2]-0.01) > 1e-12 {
		t.Errorf("squared bias %v, want 0.01, 0, 0.01", b)
	}
	if b := squaredBias([][3]float64{{0.2, 0, 0}}); math.Abs(b[0]-0.04) > 1e-12 {
		t.Errorf("one repetition: %v, want its square", b)
	}
}

// The testbed's noise that the check migrations' repetitions showed beyond
// the fitted migrations' is added to the model error of the techniques of
// their kind: pooled with equal degrees of freedom, half the difference of
// the two variances; none where the checks repeated as well as the fitted
// ones, or for the other kind.
func TestCheckErrorsAddTheNoiseTheFittedMigrationsMissed(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	f := &fakeRunner{calib: c}
	// Three repetitions of each scenario, their downtime exp(-x), 1 and
	// exp(x) times the truth: within-cell variance x², no bias.
	runs := func(check bool, x float64) []models.Record {
		var out []models.Record
		for _, st := range DefaultPlan() {
			if st.Check != check || st.Technique != models.Cold {
				continue
			}
			for rep, k := range []float64{-1, 0, 1} {
				r, err := f.Run(ctx, st.Scenario, st.Technique, rep)
				if err != nil {
					t.Fatal(err)
				}
				r.Metrics.DowntimeS *= math.Exp(k * x)
				out = append(out, r)
			}
		}
		return out
	}
	const quiet, noisy = 0.02, 0.12
	fitted, checks := runs(false, quiet), runs(true, noisy)
	if len(fitted) != 6 || len(checks) != 6 {
		t.Fatalf("%d fitted and %d check migrations, want 6 cold ones each", len(fitted), len(checks))
	}
	e := CheckErrors(ctx, c, fitted, checks)
	want := math.Sqrt((noisy*noisy - quiet*quiet) / 2)
	if got := e[models.Cold]; math.Abs(got.DowntimeS-want) > 1e-3 || got.TotalTimeS > 1e-6 || got.Bytes > 1e-6 {
		t.Errorf("cold model error %+v, want downtime %.4f and nothing else", got, want)
	}
	for _, tech := range []string{models.PreCopy, models.MiGrror} {
		if got := e[tech]; got.DowntimeS > 1e-6 {
			t.Errorf("%s model error %+v: the cold checks' noise is not a live migration's", tech, got)
		}
	}
	// Checks that repeat better than the fitted migrations add nothing.
	if got := CheckErrors(ctx, c, runs(false, noisy), runs(true, quiet))[models.Cold]; got.DowntimeS > 1e-6 {
		t.Errorf("quiet checks gave cold model error %+v, want none", got)
	}
}

// The MiGrror check syncs before it is decided, as a MiGrror a user runs
// does: under the synthetic testbed's calibration, several sync rounds
// after its full copy, stopped by its trigger.
func TestMiGrrorCheckSyncs(t *testing.T) {
	for _, st := range DefaultPlan() {
		if !st.Check || st.Technique != models.MiGrror {
			continue
		}
		r, err := sim.Run(context.Background(), synthCalibration().Apply(st.Scenario), models.MiGrror, 0)
		if err != nil || r.Error != "" {
			t.Fatalf("%s: %v %s", st.Scenario.Name, err, r.Error)
		}
		if r.Metrics.LiveRounds < 3 || r.Metrics.StopReason != string(models.StopTrigger) {
			t.Errorf("%s: %d live rounds, stopped by %q: want a full copy and at least two syncs before the trigger", st.Scenario.Name, r.Metrics.LiveRounds, r.Metrics.StopReason)
		}
		return
	}
	t.Fatal("no MiGrror check in the default plan")
}
