package fidelity

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// appTestbed "migrates" an app whose own costs are the calibration's
// scaled by a known deviation: what a probe must find; every migration,
// the app's and the synthetic ones, runs at level times its costs (0: 1),
// a testbed slower or faster than when it was calibrated.
type appTestbed struct {
	c     models.Calibration
	own   models.Deviation
	level float64
}

// atLevel is d with every phase's factor times l (l of 0 leaves d; a zero
// factor counts as 1).
func atLevel(d models.Deviation, l float64) models.Deviation {
	if l == 0 {
		return d
	}
	return scaleDeviation(d, models.Deviation{FinalDump: l, FinalTransfer: l, Restore: l, LiveRounds: l})
}

func (a appTestbed) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	own := models.Deviation{}
	if s.App.Enabled() {
		own = a.own
	}
	applied := own.OnApp(a.c.Perturb(atLevel(own, a.level)).Apply(s))
	rec, err := sim.Run(ctx, applied, technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	return rec, err
}

func appScenarioNamed(name string) models.Scenario {
	s := scenarioNamed(name, models.Cold, models.PreCopy, models.MiGrror)
	s.App = models.App{Image: "localhost/redis:test", Port: 6379}
	s.Memory.Size, s.Workload.WWS, s.Workload.DirtyRate = 4<<20, 2<<20, 256<<10
	return s
}

// TestProbeScenario: cold and a pre-copy of five live rounds under its own
// name, the app and everything else kept.
func TestProbeScenario(t *testing.T) {
	s := appScenarioNamed("app-x")
	p := ProbeScenario(s, DefaultProbeReps)
	if p.Name != "app-x-probe" || len(p.Techniques) != 2 || p.Techniques[0] != models.Cold || p.Techniques[1] != models.PreCopy || p.Repetitions != DefaultProbeReps {
		t.Errorf("probe scenario %q %v x%d", p.Name, p.Techniques, p.Repetitions)
	}
	if p.PreCopy.Stop.MaxRounds != 5 || p.PreCopy.Stop.Threshold != models.ByteSize(p.Memory.PageSize) {
		t.Errorf("probe stop rule %+v", p.PreCopy.Stop)
	}
	if p.App.Image != s.App.Image || !reflect.DeepEqual(p.Memory, s.Memory) || p.Workload.DirtyRate != s.Workload.DirtyRate {
		t.Error("the probe changed the app, its memory or workload")
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// TestAppCostsRecoverTheAppsOwnCosts: an app whose dump, transfer, restore
// and live rounds take 1.3, 1.1, 1.2 and 1.5 times what the calibration
// predicts: its probes' factors are those (within 3 %), the synthetic
// scenarios get none, and with them applied the calibration predicts the
// app's cold and MiGrror migrations within 3 % where it missed them by 10 %
// and more without.
func TestAppCostsRecoverTheAppsOwnCosts(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	own := models.Deviation{FinalDump: 1.3, FinalTransfer: 1.1, Restore: 1.2, LiveRounds: 1.5}
	tb := appTestbed{c: c, own: own}
	s := appScenarioNamed("app-x")
	probes, err := RunProbes(ctx, tb, []models.Scenario{s, scenarioNamed("synthetic", models.Cold)}, DefaultProbeReps, nil)
	if err != nil || len(probes) != 1+4*DefaultProbeReps {
		t.Fatalf("probes %d, %v; want a warm-up, then the reference's and the app's cold and pre-copy %d times", len(probes), err, DefaultProbeReps)
	}
	if w := probes[0]; w.Role != models.RoleWarmup || w.Scenario != "warmup-app-x" || w.Technique != models.Cold {
		t.Fatalf("first record %s %s role %s, want the app's cold warm-up", w.Scenario, w.Technique, w.Role)
	}
	// Repetition by repetition, the techniques' order turned each time,
	// each probe right after the synthetic reference of its technique.
	techs := []string{models.Cold, models.PreCopy}
	wantTech := func(pair int) string { return techs[(pair%2+pair/2)%2] }
	for i, p := range probes[1:] {
		name, app := "app-x-reference", false
		if i%2 == 1 {
			name, app = "app-x-probe", true
		}
		if p.Role != models.RoleProbe || p.Scenario != name || p.Params.App.Enabled() != app || p.Repetition != i/4 || p.Technique != wantTech(i/2) {
			t.Fatalf("probe record %d: %s %s rep %d role %s", i, p.Scenario, p.Technique, p.Repetition, p.Role)
		}
	}
	if few, err := RunProbes(ctx, tb, []models.Scenario{s}, 1, nil); err != nil || len(few) != 1+4 {
		t.Errorf("one repetition: %d probe records, %v; want a warm-up and four", len(few), err)
	}
	if _, err := RunProbes(ctx, tb, []models.Scenario{s}, 0, nil); err == nil || !strings.Contains(err.Error(), "--probe-reps") {
		t.Errorf("no repetitions: %v, want an error naming --probe-reps", err)
	}
	got := WithAppCosts(ctx, c, probes)
	d, ok := got.Apps["app-x"]
	if !ok || len(got.Apps) != 1 {
		t.Fatalf("apps %v", got.Apps)
	}
	wantFactors(t, "", d, own, 0.03)
	if math.Abs(d.Pace-1) > 0.03 {
		t.Errorf("pace %.3f for a load that wrote as profiled, want 1", d.Pace)
	}
	if c.Apps != nil {
		t.Error("WithAppCosts changed its argument")
	}
	if !strings.Contains(Describe(got), "app app-x, its own costs") {
		t.Errorf("Describe does not show the app's factors:\n%s", Describe(got))
	}
	for _, tech := range []string{models.Cold, models.MiGrror} {
		real, with, without := migrateAndPredict(t, ctx, tb, got, c, s, tech)
		m := real.Metrics.DowntimeS
		if e := math.Abs(with.Metrics.DowntimeS/m - 1); e > 0.03 {
			t.Errorf("%s: downtime %.2fs predicted with the app's costs, %.2fs measured", tech, with.Metrics.DowntimeS, m)
		}
		if e := math.Abs(without.Metrics.DowntimeS/m - 1); e < 0.1 {
			t.Errorf("%s: without the app's costs the prediction is already within %.1f %%: the test shows nothing", tech, 100*e)
		}
	}
	// A synthetic scenario of the same name is not an app: no factor.
	plain := scenarioNamed("app-x", models.Cold)
	if got.Apply(plain).Costs != c.Apply(plain).Costs {
		t.Error("a synthetic scenario took an app's factors")
	}
}

// TestAppCostsFindTheLoadsPace: an app whose load writes at 0.6 or 1.4
// times its profile's pace while it migrates (beside costs of its own):
// its probes find that pace (within 5 %), Describe says it, and with it
// the calibration predicts the app's pre-copy and MiGrror bytes within
// 2 %, where at the profile's pace it missed them by more than 5 %.
func TestAppCostsFindTheLoadsPace(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	for _, pace := range []float64{0.6, 1.4} {
		own := models.Deviation{FinalDump: 1.2, FinalTransfer: 1.1, Restore: 1.1, LiveRounds: 1.3, Pace: pace}
		tb := appTestbed{c: c, own: own}
		s := appScenarioNamed("app-x")
		probes, err := RunProbes(ctx, tb, []models.Scenario{s}, DefaultProbeReps, nil)
		if err != nil || len(probes) != 1+4*DefaultProbeReps {
			t.Fatalf("probes %d, %v", len(probes), err)
		}
		got := WithAppCosts(ctx, c, probes)
		d := got.Apps["app-x"]
		expectFactorFound(t, got, "pace", d.Pace, pace, 0.05, fmt.Sprintf("its load wrote at x%.2f", d.Pace))
		expectBytesFound(t, ctx, tb, got, s, fmt.Sprintf("pace %.1f", pace), func(d *models.Deviation) { d.Pace = 0 }, models.PreCopy, models.MiGrror)
	}
}

// expectFactorFound checks an app's factor found under calibration c
// against the one its testbed ran (within tol, relative) and that
// Describe says it as said.
func expectFactorFound(t *testing.T, c models.Calibration, what string, found, want, tol float64, said string) {
	t.Helper()
	if math.Abs(found/want-1) > tol {
		t.Errorf("%s x%.3f found, want x%.2f", what, found, want)
	}
	if !strings.Contains(Describe(c), said) {
		t.Errorf("Describe does not say %q:\n%s", said, Describe(c))
	}
}

// migrateAndPredict migrates s with tech on tb and predicts it under with
// and under without.
func migrateAndPredict(t *testing.T, ctx context.Context, tb Runner, with, without models.Calibration, s models.Scenario, tech string) (real, w, wo models.Record) {
	t.Helper()
	real, err := tb.Run(ctx, s, tech, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, err1 := sim.Run(ctx, with.Apply(s), tech, 0)
	wo, err2 := sim.Run(ctx, without.Apply(s), tech, 0)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return real, w, wo
}

// expectBytesFound checks app scenario s migrated on tb with each of
// techs: the bytes predicted under c (the app's factors found) within 2 %
// of what tb sent, and under c with strip applied to the factors more
// than 5 % off (else the test would show nothing).
func expectBytesFound(t *testing.T, ctx context.Context, tb Runner, c models.Calibration, s models.Scenario, label string, strip func(*models.Deviation), techs ...string) {
	t.Helper()
	without := c
	d := c.Apps[s.Name]
	strip(&d)
	without.Apps = map[string]models.Deviation{s.Name: d}
	for _, tech := range techs {
		real, w, wo := migrateAndPredict(t, ctx, tb, c, without, s, tech)
		m := float64(real.Metrics.BytesSent)
		if e := math.Abs(float64(w.Metrics.BytesSent)/m - 1); e > 0.02 {
			t.Errorf("%s, %s: bytes %d predicted, %d measured", label, tech, w.Metrics.BytesSent, real.Metrics.BytesSent)
		}
		if e := math.Abs(float64(wo.Metrics.BytesSent)/m - 1); e < 0.05 {
			t.Errorf("%s, %s: without the factor the bytes are already within %.1f %%: the test shows nothing", label, tech, 100*e)
		}
	}
}

// TestAppCostsFindTheResidentAtTheStart: a filling app whose dataset at
// a migration's start is 0.8 (or 1.15) times what its profile held at that
// age: its cold probes find the ratio, and the cold and live predictions
// under it send what the app sends, where the profile's resident misses
// by more than 5 %.
func TestAppCostsFindTheResidentAtTheStart(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	for _, k := range []float64{0.8, 1.15} {
		own := models.Deviation{FinalDump: 1.2, FinalTransfer: 1.1, Restore: 1.1, LiveRounds: 1.3, Pace: 0.7, Resident: k}
		tb := appTestbed{c: c, own: own}
		s := appScenarioNamed("app-x")
		s.Memory.Size, s.Memory.Initial = 16<<20, 6<<20
		s.Memory.Growth = []models.GrowthPoint{{After: models.Duration(2 * time.Second), Bytes: 7 << 20}, {After: models.Duration(20 * time.Second), Bytes: 10 << 20}}
		probes, err := RunProbes(ctx, tb, []models.Scenario{s}, DefaultProbeReps, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := WithAppCosts(ctx, c, probes)
		d := got.Apps["app-x"]
		expectFactorFound(t, got, "resident", d.Resident, k, 0.02, fmt.Sprintf("its cold probes dumped x%.2f", d.Resident))
		expectBytesFound(t, ctx, tb, got, s, fmt.Sprintf("resident x%.2f", k), func(d *models.Deviation) { d.Resident = 0 }, models.Cold, models.PreCopy)
	}
}

// TestRefitKeepsProbesOutOfTheFit: probe records given to Refit become the
// apps' factors and change no fitted cost.
func TestRefitKeepsProbesOutOfTheFit(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	tb := &fakeRunner{calib: c}
	var recs []models.Record
	for rep := 0; rep < 2; rep++ {
		for _, st := range fittedPlan() {
			r, err := tb.Run(ctx, st.Scenario, st.Technique, rep)
			if err != nil {
				t.Fatal(err)
			}
			r.Role = models.RoleCalibration
			recs = append(recs, r)
		}
	}
	base, err := Refit(recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	probes, _ := RunProbes(ctx, appTestbed{c: c, own: models.Deviation{FinalDump: 2, FinalTransfer: 1, Restore: 2, LiveRounds: 2}},
		[]models.Scenario{appScenarioNamed("app-y")}, DefaultProbeReps, nil)
	with, err := Refit(append(recs, probes...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if with.Costs != base.Costs || with.Network.Bandwidth != base.Network.Bandwidth || len(with.Spread) != len(base.Spread) {
		t.Error("the probe changed the fit")
	}
	if d := with.Apps["app-y"]; d.FinalDump < 1.5 || d.Restore < 1.5 {
		t.Errorf("app-y's factors %+v, want about 2", d)
	}
}

// TestAppEnvelope: an app's migrations are judged against the envelope its
// probes widened (its load keeps the source busier than the synthetic
// workload's), a synthetic scenario's against the calibration's.
func TestAppEnvelope(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	c.Envelope = models.Envelope{Migrations: 6, HostMigrations: 6, SourceBusyMax: 0.6, TargetBusyMax: 0.5}
	tb := appTestbed{c: c, own: models.Deviation{FinalDump: 1.2, FinalTransfer: 1, Restore: 1.1, LiveRounds: 1.3}}
	s := appScenarioNamed("app-e")
	probes, err := RunProbes(ctx, tb, []models.Scenario{s}, DefaultProbeReps, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range probes {
		probes[i].Metrics.Extra = map[string]float64{models.ExtraSourceBusy: 0.78, models.ExtraTargetBusy: 0.4}
	}
	got := WithAppCosts(ctx, c, probes)
	busy := func(b float64) models.Record {
		return models.Record{Backend: models.BackendReal, Metrics: models.Metrics{Extra: map[string]float64{models.ExtraSourceBusy: b}}}
	}
	if f := got.EnvelopeFor(s).Check(busy(0.82)); len(f) != 0 {
		t.Errorf("the app at 82 %% busy, its probes at 78 %%: flagged %v", f)
	}
	if f := got.EnvelopeFor(s).Check(busy(0.9)); len(f) != 1 {
		t.Errorf("the app at 90 %% busy: flags %v, want one", f)
	}
	plain := scenarioNamed("app-e", models.Cold)
	if f := got.EnvelopeFor(plain).Check(busy(0.82)); len(f) != 1 {
		t.Errorf("a synthetic scenario at 82 %% busy, the calibration's at most 60 %%: flags %v, want one", f)
	}
	if c.AppEnvelopes != nil {
		t.Error("WithAppCosts changed its argument")
	}
}

// splitAppTestbed "migrates" an app whose cold dumps take longer than the
// calibration predicts and whose chained ones do not: what one factor per
// phase cannot say.
type splitAppTestbed struct {
	c           models.Calibration
	cold, chain models.Deviation
}

func (a splitAppTestbed) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	own := a.chain
	switch {
	case !s.App.Enabled():
		own = models.Deviation{}
	case technique == models.Cold:
		own = a.cold
	}
	rec, err := sim.Run(ctx, a.c.Perturb(own).Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	return rec, err
}

// TestAppErrorsWidenTheAppsIntervals: an app whose cold dump takes 1.6
// times the calibration's and its chained one 0.9 times leaves an error
// its single factor cannot take away; the calibration keeps it, and the
// app's intervals, widened by it, hold its cold and pre-copy migrations,
// which the testbed's noise alone (2 %) does not; a synthetic scenario's
// interval is not widened.
func TestAppErrorsWidenTheAppsIntervals(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	for _, f := range []float64{1.01, 0.99, 1.02, 0.98} {
		c.Spread = append(c.Spread, models.Deviation{FinalDump: f, FinalTransfer: f, Restore: f, LiveRounds: f, Bytes: 1})
	}
	one := models.Deviation{FinalDump: 1, FinalTransfer: 1, Restore: 1, LiveRounds: 1}
	cold, chain := one, one
	cold.FinalDump, chain.FinalDump = 1.6, 0.9
	tb := splitAppTestbed{c: c, cold: cold, chain: chain}
	s := appScenarioNamed("app-x")
	s.Memory.Size = 16 << 20
	probes, err := RunProbes(ctx, tb, []models.Scenario{s}, DefaultProbeReps, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := WithAppCosts(ctx, c, probes)
	e, ok := got.AppErrors["app-x"]
	if !ok || e.DowntimeS < 0.05 || e.DowntimeS > 0.5 {
		t.Fatalf("app errors %+v: want the probes' downtime missed by 5-50 %%", got.AppErrors)
	}
	if !strings.Contains(Describe(got), "its probes still missed by") {
		t.Errorf("Describe does not show the app's error:\n%s", Describe(got))
	}
	narrow := got
	narrow.AppErrors = nil
	missed := 0
	for _, tech := range []string{models.Cold, models.PreCopy} {
		real, err := tb.Run(ctx, s, tech, 0)
		if err != nil {
			t.Fatal(err)
		}
		m := real.Metrics.DowntimeS
		for _, cal := range []models.Calibration{got, narrow} {
			p, err := sim.Run(ctx, cal.Apply(s), tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			WithInterval(ctx, cal, s, tech, 0, &p)
			iv := p.Interval.DowntimeS
			inside := m >= iv[0] && m <= iv[1]
			switch {
			case cal.AppErrors != nil && !inside:
				t.Errorf("%s: %.2fs measured outside the widened interval %v", tech, m, iv)
			case cal.AppErrors == nil && !inside:
				missed++
			}
		}
	}
	if missed == 0 {
		t.Error("the testbed's noise alone already held both migrations: the test shows nothing")
	}
	plain := scenarioNamed("app-x-synthetic", models.Cold)
	var a, b models.Record
	for i, cal := range []models.Calibration{got, narrow} {
		p, err := sim.Run(ctx, cal.Apply(plain), models.Cold, 0)
		if err != nil {
			t.Fatal(err)
		}
		WithInterval(ctx, cal, plain, models.Cold, 0, &p)
		if i == 0 {
			a = p
		} else {
			b = p
		}
	}
	if !reflect.DeepEqual(a.Interval, b.Interval) {
		t.Errorf("a synthetic scenario's interval changed: %+v against %+v", a.Interval, b.Interval)
	}
}

// firstSlowAppTestbed "migrates" an app whose costs are the calibration's
// scaled by own, and scaled again, each phase, by slow in its probes'
// first repetition of the cold probe, the migrations that follow by
// noise[rep] (repetition rep of any probe): an app's first migrations on a
// testbed, and a testbed that does not repeat itself.
type firstSlowAppTestbed struct {
	c     models.Calibration
	own   models.Deviation
	slow  float64
	noise []float64
}

func (a firstSlowAppTestbed) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	f := 1.0
	switch {
	case s.App.Enabled() && strings.HasSuffix(s.Name, ProbeSuffix) && technique == models.Cold && rep == 0:
		f = a.slow
	case rep < len(a.noise):
		f = a.noise[rep]
	}
	own := models.Deviation{}
	if s.App.Enabled() {
		own = a.own
	}
	rec, err := sim.Run(ctx, a.c.Perturb(atLevel(own, f)).Apply(s), technique, rep)
	rec.Backend, rec.Params = models.BackendReal, s.WithDefaults()
	return rec, err
}

// TestAppCostsOutlastASlowProbe: an app's first cold probe takes 1.4
// times as long in every phase (as a held-out memcached's did): its
// factors are the median over the probes, within 3 % of its own costs,
// where the first cold probe's alone are 40 % off.
func TestAppCostsOutlastASlowProbe(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	own := models.Deviation{FinalDump: 1.3, FinalTransfer: 1.1, Restore: 1.2, LiveRounds: 1.5}
	probes, err := RunProbes(ctx, firstSlowAppTestbed{c: c, own: own, slow: 1.4}, []models.Scenario{appScenarioNamed("app-s")}, DefaultProbeReps, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The live rounds are not the slow cold probe's: left out.
	d := WithAppCosts(ctx, c, probes).Apps["app-s"]
	wantFactors(t, "despite the slow first probe: ", d, models.Deviation{FinalDump: own.FinalDump, FinalTransfer: own.FinalTransfer, Restore: own.Restore}, 0.03)
	var first []models.Record
	for _, p := range probes {
		if p.Role == models.RoleProbe && p.Technique == models.Cold && p.Repetition == 0 && p.Params.App.Enabled() {
			first = append(first, p)
		}
	}
	if alone := AppCosts(ctx, c, first)["app-s"]; math.Abs(alone.FinalDump/own.FinalDump-1) < 0.3 {
		t.Errorf("the first cold probe alone gives a final dump factor %.3f: the test shows nothing", alone.FinalDump)
	}
}

// TestProbeErrorLeavesTheNoiseOut: an app whose probes' repetitions ran 6 %
// slower and 6 % faster than its costs, both techniques alike, leaves no
// error beyond that noise (which every interval carries already); an app
// whose cold and chained dumps depart differently still does.
func TestProbeErrorLeavesTheNoiseOut(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	own := models.Deviation{FinalDump: 1.2, FinalTransfer: 1.1, Restore: 1.1, LiveRounds: 1.3}
	s := appScenarioNamed("app-n")
	probes, err := RunProbes(ctx, firstSlowAppTestbed{c: c, own: own, slow: 1.06, noise: []float64{1.06, 0.94}}, []models.Scenario{s}, DefaultProbeReps, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := WithAppCosts(ctx, c, probes)
	if e := got.AppErrors["app-n"]; e.DowntimeS > 0.01 || e.TotalTimeS > 0.01 {
		t.Errorf("app error %+v from a testbed's noise of 6 %%: want under 1 %%", e)
	}
	one := models.Deviation{FinalDump: 1, FinalTransfer: 1, Restore: 1, LiveRounds: 1}
	cold, chain := one, one
	cold.FinalDump, chain.FinalDump = 1.6, 0.9
	probes, err = RunProbes(ctx, splitAppTestbed{c: c, cold: cold, chain: chain}, []models.Scenario{s}, DefaultProbeReps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := WithAppCosts(ctx, c, probes).AppErrors["app-n"]; e.DowntimeS < 0.05 {
		t.Errorf("app error %+v from cold and chained dumps that depart differently: want at least 5 %%", e)
	}
}

// TestProbeErrorCarriesTheAppsBytesScatter: an app whose probes' bytes
// scatter by 6 % either way between repetitions, where the calibration's
// migrations' bytes scatter by 0.1 %: its bytes error carries the excess
// (about 0.085 on the logarithm); with the same bytes every time, none.
func TestProbeErrorCarriesTheAppsBytesScatter(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	for _, b := range []float64{1.001, 0.999, 1.001, 0.999} {
		c.Spread = append(c.Spread, models.Deviation{FinalDump: 1, FinalTransfer: 1, Restore: 1, LiveRounds: 1, Bytes: b})
	}
	own := models.Deviation{FinalDump: 1.2, FinalTransfer: 1.1, Restore: 1.1, LiveRounds: 1.3}
	s := appScenarioNamed("app-b")
	probes, err := RunProbes(ctx, appTestbed{c: c, own: own}, []models.Scenario{s}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := WithAppCosts(ctx, c, probes).AppErrors["app-b"]; e.Bytes > 0.01 {
		t.Errorf("bytes error %.3f from probes that send the same bytes every time: want under 0.01", e.Bytes)
	}
	for i, r := range probes {
		if r.Role == models.RoleProbe && r.Scenario == "app-b"+ProbeSuffix {
			f := []float64{1.06, 0.94}[r.Repetition]
			probes[i].Metrics.BytesSent = int64(float64(r.Metrics.BytesSent) * f)
		}
	}
	if e := WithAppCosts(ctx, c, probes).AppErrors["app-b"]; e.Bytes < 0.06 || e.Bytes > 0.11 {
		t.Errorf("bytes error %.3f from probes 6 %% apart either way: want about 0.085", e.Bytes)
	}
}

// TestAppCostsAreRelativeToTheReferences: a testbed that runs every
// migration 1.3 or 0.8 times as long as when it was calibrated while an app
// is probed: the synthetic references beside the probes measure that
// level, the app's factors are its own costs (within 3 %), not its own
// times the level, Describe says the level, and the probes' error is not
// widened by it. Without the references the factors carry the level.
func TestAppCostsAreRelativeToTheReferences(t *testing.T) {
	ctx := context.Background()
	c := synthCalibration()
	own := models.Deviation{FinalDump: 1.3, FinalTransfer: 1.1, Restore: 1.2, LiveRounds: 1.5}
	for _, level := range []float64{1.3, 0.8} {
		probes, err := RunProbes(ctx, appTestbed{c: c, own: own, level: level}, []models.Scenario{appScenarioNamed("app-l")}, DefaultProbeReps, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := WithAppCosts(ctx, c, probes)
		d := got.Apps["app-l"]
		wantFactors(t, fmt.Sprintf("level %.1f: ", level), d, own, 0.03)
		if l := got.AppLevels["app-l"]; math.Abs(l.FinalDump/level-1) > 0.03 || math.Abs(l.Restore/level-1) > 0.03 {
			t.Errorf("level %.1f: the references' level %+v", level, l)
		}
		if want := fmt.Sprintf("the testbed ran its synthetic references at x%.2f", got.AppLevels["app-l"].FinalDump); !strings.Contains(Describe(got), want) {
			t.Errorf("Describe does not say %q:\n%s", want, Describe(got))
		}
		if e := got.AppErrors["app-l"]; e.DowntimeS > 0.02 {
			t.Errorf("level %.1f: app error %+v: the level counted as the app's error", level, e)
		}
		var noRefs []models.Record
		for _, p := range probes {
			if !strings.HasSuffix(p.Scenario, ReferenceSuffix) {
				noRefs = append(noRefs, p)
			}
		}
		if alone := AppCosts(ctx, c, noRefs)["app-l"]; math.Abs(alone.FinalDump/(own.FinalDump*level)-1) > 0.03 {
			t.Errorf("level %.1f: without references the final dump factor is %.3f, want the level in it (%.2f)", level, alone.FinalDump, own.FinalDump*level)
		}
	}
}

// wantFactors fails t unless each phase's factor of got is within tol of
// want's (relative; phases want leaves at zero are not checked).
func wantFactors(t *testing.T, prefix string, got, want models.Deviation, tol float64) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"final dump", got.FinalDump, want.FinalDump}, {"final transfer", got.FinalTransfer, want.FinalTransfer},
		{"restore", got.Restore, want.Restore}, {"live rounds", got.LiveRounds, want.LiveRounds}} {
		if f.want != 0 && math.Abs(f.got/f.want-1) > tol {
			t.Errorf("%s%s factor %.3f, want %.2f", prefix, f.name, f.got, f.want)
		}
	}
}

// A pace fitted to its bound says so: the probes' later rounds were no
// pace of the profile's load, and the prediction's bytes are uncertain.
func TestDescribeAppsNamesAPaceAtItsBound(t *testing.T) {
	for _, c := range []struct {
		pace  float64
		bound bool
	}{{minPace, true}, {0.6, false}, {maxPace, true}} {
		got := describeApps(map[string]models.Deviation{"app-x": {FinalDump: 1, FinalTransfer: 1, Restore: 1, LiveRounds: 1, Pace: c.pace}}, nil, nil)
		if strings.Contains(got, "(the bound:") != c.bound {
			t.Errorf("pace %g: %q, want the bound named: %v", c.pace, got, c.bound)
		}
	}
}
