package fidelity

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// noisyTestbed "migrates" by simulating under the calibration perturbed by
// a deviation drawn from a known law (each phase's ratio log-normal, sigma
// 0.15, the phases of one migration correlated through a shared term): a
// testbed whose noise the spread must capture. Its bytes follow the
// simulator's under those times (a slower live round lets more memory be
// dirtied), times a log-normal error of their own when bytesRng is set:
// sigma 1 % for a migration with live rounds (the runtime's dirtying) and
// 0.1 % for one without (podman's archive), as on the TCG testbed.
type noisyTestbed struct {
	c        models.Calibration
	rng      *rand.Rand
	bytesRng *rand.Rand
	// coldScale, when set, scales the sigmas of a cold migration's
	// deviations: a testbed whose cold migrations repeat better.
	coldScale float64
}

func (n *noisyTestbed) draw(scale float64) models.Deviation {
	shared := n.rng.NormFloat64() * 0.1 * scale
	f := func() float64 { return math.Exp(shared + n.rng.NormFloat64()*0.11*scale) }
	return models.Deviation{FinalDump: f(), FinalTransfer: f(), Restore: f(), LiveRounds: f()}
}

func (n *noisyTestbed) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	scale := 1.0
	if technique == models.Cold && n.coldScale > 0 {
		scale = n.coldScale
	}
	rec, err := sim.Run(ctx, n.c.Perturb(n.draw(scale)).Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	if n.bytesRng != nil {
		sigma := 0.001
		if rec.Metrics.LiveRounds > 0 {
			sigma = 0.01
		}
		rec.Metrics.BytesSent = int64(float64(rec.Metrics.BytesSent) * math.Exp(n.bytesRng.NormFloat64()*sigma))
	}
	return rec, err
}

// spreadOn is the spread a calibration measures on testbed tb: the
// deviations under c of the fitted plan's migrations, run reps times.
func spreadOn(ctx context.Context, t *testing.T, c models.Calibration, tb Runner, reps int) []models.Deviation {
	t.Helper()
	var cal []models.Record
	for rep := range reps {
		for _, st := range fittedPlan() {
			r, err := tb.Run(ctx, st.Scenario, st.Technique, rep)
			if err != nil {
				t.Fatal(err)
			}
			cal = append(cal, r)
		}
	}
	return Deviations(ctx, c, cal)
}

// TestIntervalsCoverTheirShare: with the spread measured from twelve
// calibration migrations (six cold, six pre-copy) of a testbed whose noise
// is known, the 90 % intervals of new migrations' predictions, each from
// the six deviations of its kind (sameKind), cover at least 75 % of them
// over 300 draws, for every technique and for downtime and total time; the
// deviations themselves are the testbed's (their median near 1). Six
// draws in three repetitions give an interval as wide as they happen to
// spread (this calibration's cold one covers 99 %):
// TestIntervalsOfEachKindCoverTheirShare judges the average over many.
func TestIntervalsCoverTheirShare(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	tb := &noisyTestbed{c: c, rng: rand.New(rand.NewPCG(1, 2)), bytesRng: rand.New(rand.NewPCG(3, 4))}
	c.Spread = spreadOn(ctx, t, c, tb, 3)
	if len(c.Spread) != 12 {
		t.Fatalf("%d deviations from 12 migrations", len(c.Spread))
	}
	var dumps []float64
	for _, d := range c.Spread {
		dumps = append(dumps, d.FinalDump)
	}
	if m := models.Median(dumps); m < 0.85 || m > 1.15 {
		t.Errorf("median final-dump deviation %.3f, want about 1", m)
	}
	s := scenarioNamed("val", models.Cold, models.PreCopy, models.MiGrror)
	s.Memory.Size = 12 << 20
	s.Workload.DirtyRate = 256 << 10
	for _, technique := range []string{models.Cold, models.PreCopy, models.MiGrror} {
		var p models.Record
		var err error
		if p, err = sim.Run(ctx, c.Apply(s), technique, 0); err != nil {
			t.Fatal(err)
		}
		WithInterval(ctx, c, s, technique, 0, &p)
		if p.Interval == nil || p.Interval.Draws != 6 || p.Interval.Confidence != DefaultConfidence {
			t.Fatalf("%s: interval %+v", technique, p.Interval)
		}
		down, total, bytes := 0, 0, 0
		const n = 300
		for i := 0; i < n; i++ {
			m, err := tb.Run(ctx, s, technique, 0)
			if err != nil {
				t.Fatal(err)
			}
			if iv := p.Interval.DowntimeS; m.Metrics.DowntimeS >= iv[0] && m.Metrics.DowntimeS <= iv[1] {
				down++
			}
			if iv := p.Interval.TotalTimeS; m.Metrics.TotalTimeS >= iv[0] && m.Metrics.TotalTimeS <= iv[1] {
				total++
			}
			if iv, b := p.Interval.BytesSent, float64(m.Metrics.BytesSent); b >= iv[0] && b <= iv[1] {
				bytes++
			}
		}
		// The bytes' coverage under one calibration's six or so deviations
		// of a kind swings widely; TestBytesIntervalsCoverTheirShare
		// judges it over many calibrations.
		t.Logf("%s: downtime covered %d/%d, total time %d/%d, bytes %d/%d", technique, down, n, total, n, bytes, n)
		for name, k := range map[string]int{"downtime": down, "total time": total} {
			if cov := float64(k) / n; cov < 0.75 {
				t.Errorf("%s %s: the 90 %% interval %v covers %.0f %% of %d migrations", technique, name, p.Interval, 100*cov, n)
			}
		}
	}
}

// TestIntervalTakesTheBytesSpread: a calibration whose migrations sent 2 to
// 6 % more bytes than predicted gives intervals above the prediction.
func TestIntervalTakesTheBytesSpread(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	for _, b := range []float64{1.02, 1.04, 1.06, 1.03} {
		c.Spread = append(c.Spread, models.Deviation{FinalDump: 1, FinalTransfer: 1, Restore: 1, Bytes: b})
	}
	s := scenarioNamed("val", models.Cold)
	p, err := sim.Run(ctx, c.Apply(s), models.Cold, 0)
	if err != nil {
		t.Fatal(err)
	}
	WithInterval(ctx, c, s, models.Cold, 0, &p)
	b := float64(p.Metrics.BytesSent)
	if iv := p.Interval.BytesSent; iv[0] < b*0.98 || iv[0] > b*1.02 || iv[1] > b*1.1 || iv[1] < b*1.06 {
		t.Errorf("bytes interval %v for a prediction of %.0f: want it from about 0.99 to 1.09 times it", iv, b)
	}
}

// stolenRunner "migrates" by simulating and reports a host CPU steal share.
type stolenRunner struct {
	c     models.Calibration
	steal float64
}

func (r stolenRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	rec, err := sim.Run(ctx, r.c.Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	rec.Metrics.Extra = map[string]float64{models.ExtraOrchestratorSteal: r.steal}
	return rec, err
}

// TestCompareFlagsMigrationsOutsideTheEnvelope: the calibration's envelope
// flags a validation migration whose host was far more contended than any
// calibration migration's; one within it is not flagged.
func TestCompareFlagsMigrationsOutsideTheEnvelope(t *testing.T) {
	c := synthCalibration()
	c.Envelope = models.Envelope{Migrations: 4, StealMax: 0.03}
	for _, c2 := range []struct {
		steal   float64
		flagged bool
	}{{0.05, false}, {0.4, true}} {
		recs, err := Compare(context.Background(), stolenRunner{c, c2.steal}, []models.Scenario{scenarioNamed("v", models.Cold)},
			CompareOptions{Calibration: c, Predictor: SimPredictor{NoAnalytic: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(recs[0].Flags) > 0; recs[0].Backend != models.BackendReal || got != c2.flagged {
			t.Errorf("steal %.2f: flags %q, want flagged %v", c2.steal, recs[0].Flags, c2.flagged)
		}
	}
}

// TestRepresentativeLeavesBusyMigrationsOut: of six calibration migrations,
// the one run while the machine was far busier than the others is left out
// and flagged.
func TestRepresentativeLeavesBusyMigrationsOut(t *testing.T) {
	rec := func(rep int, busy float64) models.Record {
		return models.Record{Backend: models.BackendReal, Scenario: "calibration-8MiB", Technique: models.Cold, Repetition: rep,
			Metrics: models.Metrics{Extra: map[string]float64{models.ExtraOrchestratorBusy: busy}}}
	}
	recs := []models.Record{rec(0, 0.85), rec(1, 0.86), rec(2, 0.99), rec(3, 0.84), rec(4, 0.87), rec(5, 0.86)}
	kept := Representative(recs)
	for i, r := range recs {
		if flagged := len(r.Flags) > 0; flagged != (i == 2) {
			t.Errorf("rep %d: flags %q, want only rep 2 flagged", r.Repetition, r.Flags)
		}
	}
	if len(kept) != 5 || slices.ContainsFunc(kept, func(r models.Record) bool { return r.Repetition == 2 }) {
		t.Errorf("kept %d records: want the five others", len(kept))
	}
}

// loadedRunner "migrates" by simulating and reports the given CPU shares.
type loadedRunner struct {
	c     models.Calibration
	extra map[string]float64
}

func (r loadedRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	rec, err := sim.Run(ctx, r.c.Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	rec.Metrics.Extra = r.extra
	return rec, err
}

// TestCompareFlagsABusyGuest: the calibration's migrations, measured with
// their hosts' CPU, set the envelope; a validation migration whose source
// guest was far busier than in any of them (other work in the guest) is
// flagged, one as busy as the busiest is not.
func TestCompareFlagsABusyGuest(t *testing.T) {
	cal := func(src, dst float64) models.Record {
		return models.Record{Backend: models.BackendReal, Metrics: models.Metrics{Extra: map[string]float64{
			models.ExtraSourceBusy: src, models.ExtraSourceSteal: 0, models.ExtraTargetBusy: dst, models.ExtraTargetSteal: 0}}}
	}
	c := synthCalibration()
	c.Envelope = EnvelopeOf([]models.Record{cal(0.52, 0.31), cal(0.58, 0.44), cal(0.49, 0.36)})
	if e := c.Envelope; e.HostMigrations != 3 || e.SourceBusyMax != 0.58 || e.TargetBusyMax != 0.44 {
		t.Fatalf("envelope %+v", e)
	}
	for _, c2 := range []struct {
		busy    float64
		flagged bool
	}{{0.58, false}, {0.93, true}} {
		recs, err := Compare(context.Background(), loadedRunner{c, map[string]float64{models.ExtraSourceBusy: c2.busy, models.ExtraTargetBusy: 0.4}},
			[]models.Scenario{scenarioNamed("v", models.Cold)}, CompareOptions{Calibration: c, Predictor: SimPredictor{NoAnalytic: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(recs[0].Flags) > 0; recs[0].Backend != models.BackendReal || got != c2.flagged {
			t.Errorf("source busy %.2f: flags %q, want flagged %v", c2.busy, recs[0].Flags, c2.flagged)
		}
	}
}

// TestBytesIntervalsCoverTheirShare: on a testbed whose bytes vary by a
// known law (noisyTestbed: through the times, and by 1 % beyond them with
// live rounds, 0.1 % without), the 90 % bytes intervals cover close to
// 90 % of new migrations, for each technique, on average over many
// calibrations (each of twelve migrations: a single calibration's interval
// is as wide as its few deviations happen to spread). Intervals that
// applied the live migrations' bytes spread to cold predictions covered
// every cold migration; bytes deviations that also held what the times
// explain (counted again by the time draws) covered 95 % of pre-copy's
// and 73 % of MiGrror's (a slower live round dirties more memory for a
// pre-copy round but leaves time for fewer MiGrror syncs: counted twice,
// the two effects add for one and cancel for the other).
func TestBytesIntervalsCoverTheirShare(t *testing.T) {
	cov := coverageOverCalibrations(t, func(seed uint64, c models.Calibration) *noisyTestbed {
		return &noisyTestbed{c: c, rng: rand.New(rand.NewPCG(seed, 2)), bytesRng: rand.New(rand.NewPCG(seed, 4))}
	}, func(iv *models.Interval, m models.Metrics) bool {
		b := float64(m.BytesSent)
		return b >= iv.BytesSent[0] && b <= iv.BytesSent[1]
	})
	for _, technique := range []string{models.Cold, models.PreCopy, models.MiGrror} {
		t.Logf("%s: bytes covered %.1f %%", technique, 100*cov[technique])
		if c := cov[technique]; c < 0.84 || c > 0.95 {
			t.Errorf("%s: the 90 %% bytes intervals cover %.1f %% of new migrations over many calibrations, want 84-95 %%", technique, 100*c)
		}
	}
}

// coverageOverCalibrations is, per technique, the share of new migrations
// of a 12 MiB scenario at 256 KiB/s whose measurement falls inside their
// prediction's interval (inside), over 60 calibrations of twelve
// migrations each (fittedPlan, three repetitions) on the testbed newTestbed
// gives for each seed, 50 migrations per technique each. Every prediction
// takes the six deviations of its kind.
func coverageOverCalibrations(t *testing.T, newTestbed func(seed uint64, c models.Calibration) *noisyTestbed,
	inside func(*models.Interval, models.Metrics) bool) map[string]float64 {
	t.Helper()
	ctx := context.Background()
	s := scenarioNamed("val", models.Cold, models.PreCopy, models.MiGrror)
	s.Memory.Size = 12 << 20
	s.Workload.DirtyRate = 256 << 10
	covered := map[string]int{}
	const calibrations, n = 60, 50
	for seed := range uint64(calibrations) {
		c := synthCalibration()
		tb := newTestbed(seed, c)
		c.Spread = spreadOn(ctx, t, c, tb, 3)
		for _, technique := range s.Techniques {
			p, err := sim.Run(ctx, c.Apply(s), technique, 0)
			if err != nil {
				t.Fatal(err)
			}
			WithInterval(ctx, c, s, technique, 0, &p)
			if p.Interval == nil || p.Interval.Draws != 6 {
				t.Fatalf("%s: interval %+v, want one of six draws", technique, p.Interval)
			}
			for range n {
				m, err := tb.Run(ctx, s, technique, 0)
				if err != nil {
					t.Fatal(err)
				}
				if inside(p.Interval, m.Metrics) {
					covered[technique]++
				}
			}
		}
	}
	out := map[string]float64{}
	for k, v := range covered {
		out[k] = float64(v) / (calibrations * n)
	}
	return out
}

// TestIntervalsOfEachKindCoverTheirShare: on a testbed whose cold
// migrations repeat three times better than its live ones (coldScale), as
// on the TCG testbed, the 90 % downtime intervals cover 84-95 % of new
// migrations of every technique, on average over many calibrations. When
// every prediction took all twelve deviations, they covered 99 % of the
// cold migrations and 81 % of the pre-copy and MiGrror ones.
func TestIntervalsOfEachKindCoverTheirShare(t *testing.T) {
	cov := coverageOverCalibrations(t, func(seed uint64, c models.Calibration) *noisyTestbed {
		return &noisyTestbed{c: c, rng: rand.New(rand.NewPCG(seed, 2)), coldScale: 1.0 / 3}
	}, func(iv *models.Interval, m models.Metrics) bool {
		return m.DowntimeS >= iv.DowntimeS[0] && m.DowntimeS <= iv.DowntimeS[1]
	})
	for _, technique := range []string{models.Cold, models.PreCopy, models.MiGrror} {
		t.Logf("%s: downtime covered %.1f %%", technique, 100*cov[technique])
		if c := cov[technique]; c < 0.84 || c > 0.95 {
			t.Errorf("%s: the 90 %% downtime intervals cover %.1f %% of new migrations over many calibrations, want 84-95 %%", technique, 100*c)
		}
	}
}
