package fidelity

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// truth is a synthetic testbed: the parameters a calibration should recover.
// As on Podman, the frozen dump costs more per page than a live round, live
// rounds send slower than the frozen one, and every round sends a little
// more than its pages.
var truth = struct {
	roundSetup, dumpPerPage, finalDumpPerPage float64 // seconds
	freeze, finalSetup                        float64 // seconds
	chainedFinalSetup, chainedRestoreBase     float64 // seconds: the chained final round's fixed costs
	bw, liveBW, latency, transferSetup        float64 // bytes/s, seconds
	restoreBase, restorePerPage, resume       float64 // seconds
	restorePerFinalPage, criuBase             float64 // seconds: the import's per page, CRIU's fixed part
	base, roundOverhead, finalOverhead        int64   // bytes
	runtimeHot, runtimeRate                   float64 // the runtime's dirtying: pages, page writes/s
	dirtyScan, pollInterval                   float64 // seconds: a dirty-memory measurement, the pause between two
	snapshot                                  float64 // seconds: a round's start to its dirty set
}{
	roundSetup: 2, dumpPerPage: 1e-4, finalDumpPerPage: 3e-3, freeze: 0.05, finalSetup: 6,
	chainedFinalSetup: 7.5, chainedRestoreBase: 11,
	bw: 20e6, liveBW: 8e6, latency: 0.002, transferSetup: 0.3,
	restoreBase: 9, restorePerPage: 2e-4, resume: 0.4, restorePerFinalPage: 1e-3, criuBase: 1.5,
	base: 3 << 20, roundOverhead: 5 << 10, finalOverhead: 100 << 10, runtimeHot: 80, runtimeRate: 12,
	dirtyScan: 0.25, pollInterval: 0.1, snapshot: 0.7,
}

// synthCalibration is the calibration the synthetic testbed should yield.
func synthCalibration() models.Calibration {
	t := truth
	return models.Calibration{Schema: models.CalibrationSchema, Testbed: "synthetic",
		Network: models.Network{Bandwidth: models.Rate(t.bw), LiveBandwidth: models.Rate(t.liveBW),
			Latency: models.Duration(models.Seconds(t.latency))},
		Costs: models.Costs{RoundSetup: dur(t.roundSetup), DumpPerPage: dur(t.dumpPerPage), FinalDumpPerPage: dur(t.finalDumpPerPage),
			Freeze: dur(t.freeze), FinalSetup: dur(t.finalSetup), ChainedFinalSetup: dur(t.chainedFinalSetup),
			TransferSetup: dur(t.transferSetup), RestoreBase: dur(t.restoreBase), ChainedRestoreBase: dur(t.chainedRestoreBase),
			RestorePerPage: dur(t.restorePerPage), RestorePerFinalPage: dur(t.restorePerFinalPage), Resume: dur(t.resume), RestoreAllPages: true,
			RoundOverhead: models.ByteSize(t.roundOverhead), FinalOverhead: models.ByteSize(t.finalOverhead),
			DirtyScan: dur(t.dirtyScan), DirtyPollInterval: dur(t.pollInterval), Snapshot: dur(t.snapshot)},
		BaseMemory: models.ByteSize(t.base), RuntimeHot: models.ByteSize(t.runtimeHot * 4096), RuntimeDirtyRate: models.Rate(t.runtimeRate * 4096)}
}

// fakeRunner "migrates" by simulating the scenario under the synthetic
// testbed's calibration and dressing the result up as a real record, with
// the agents' extra measurements a real record has.
type fakeRunner struct {
	calib models.Calibration
	runs  []string
	fail  map[string]error
	scans int // pre-copies that reported their dirty-memory measurements
}

func (f *fakeRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	f.runs = append(f.runs, s.Name+"/"+technique)
	if err := f.fail[s.Name+"/"+technique]; err != nil {
		return models.Record{}, err
	}
	rec, err := sim.Run(ctx, f.calib.Apply(s), technique, rep)
	if err != nil {
		return rec, err
	}
	rec.Backend, rec.Params, rec.Seed = models.BackendReal, s.WithDefaults(), models.DeriveSeed(s.WithDefaults(), rep)
	c := f.calib.Costs
	final := rec.Rounds[len(rec.Rounds)-1]
	pages := float64(f.calib.Apply(s).Memory.Pages())
	criu := c.RestorePerPage.Seconds() * pages
	restore := c.RestoreBaseFor(len(rec.Rounds) > 1).Seconds() + criu + c.RestorePerFinalPage.Seconds()*float64(final.Pages)
	rec.Metrics.Extra = map[string]float64{
		models.ExtraRestore: restore, models.ExtraPagesRestored: pages, models.ExtraFinalFreezing: c.Freeze.Seconds(),
	}
	if c.RestorePerFinalPage > 0 { // CRIU's share of the restore, as its statistics report it
		rec.Metrics.Extra[models.ExtraRestoreCRIU] = truth.criuBase + criu
	}
	if len(rec.Rounds) > 1 && c.DirtyScan > 0 { // pre-copy measured its dirty memory after each live round
		f.scans++ // 0.01 s below and above the truth by turns: the median is the truth
		rec.Metrics.Extra[models.ExtraDirtyScan] = c.DirtyScan.Seconds() + 0.01*float64(2*(f.scans%2)-1)
		rec.Metrics.Extra[models.ExtraDirtyPollInterval] = c.DirtyPollInterval.Seconds()
	}
	// CRIU's statistics of each live round: frozen 0.1 s, the pages written
	// after it; the freeze came Snapshot after the round started (the request
	// took no time here: the round's span is its dump and transfer).
	for _, x := range rec.Rounds {
		if !x.Frozen {
			p := fmt.Sprintf("round%d_", x.Index+1)
			rec.Metrics.Extra[p+"frozen_s"] = 0.1
			rec.Metrics.Extra[p+"memwrite_s"] = x.DumpS - c.Snapshot.Seconds() - 0.1
		}
	}
	if got := rec.Metrics.DowntimeS - final.DurationS; math.Abs(got-restore-c.Resume.Seconds()) > 1e-6 {
		panic("resume step")
	}
	return rec, nil
}

type fakeLink struct{ l Link }

func (f fakeLink) Link(context.Context) (Link, error) { return f.l, nil }

func synthLink() Link {
	rtt := models.Seconds(2 * truth.latency)
	return Link{RTTs: []time.Duration{rtt, rtt + time.Microsecond, rtt - time.Microsecond}, Bytes: 64 << 20,
		Time: rtt + models.Seconds(float64(64<<20)/truth.bw)}
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Abs(want)+1e-12 {
		t.Errorf("%s = %g, want %g (±%g%%)", what, got, want, tol*100)
	}
}

// TestRunRecoversSyntheticTestbed runs the default plan against records the
// simulator made under known parameters and checks that the fit recovers
// them.
func TestRunRecoversSyntheticTestbed(t *testing.T) {
	want := synthCalibration()
	r := &fakeRunner{calib: want}
	res, err := Calibrate(context.Background(), r, fakeLink{synthLink()}, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.runs) != 8 || len(res.Records) != 8 {
		t.Fatalf("runs %v, records %d", r.runs, len(res.Records))
	}
	for i, rec := range res.Records {
		if want := models.RoleCalibration; i >= 4 && rec.Role != models.RoleCheck || i < 4 && rec.Role != want {
			t.Errorf("%s: role %q", rec.Scenario, rec.Role)
		}
	}
	c := res.Calibration
	co := c.Costs
	near(t, "bandwidth", float64(c.Network.Bandwidth), truth.bw, 1e-3)
	near(t, "live bandwidth", float64(c.Network.LiveBandwidth), truth.liveBW, 1e-3)
	near(t, "final dump per page", co.FinalDumpPerPage.Seconds(), truth.finalDumpPerPage, 1e-3)
	if co.RoundOverhead != models.ByteSize(truth.roundOverhead) || co.FinalOverhead != models.ByteSize(truth.finalOverhead) {
		t.Errorf("overheads %d (live), %d (final), want %d, %d", co.RoundOverhead, co.FinalOverhead, truth.roundOverhead, truth.finalOverhead)
	}
	near(t, "latency", c.Network.Latency.Seconds(), truth.latency, 1e-3)
	l := synthLink()
	near(t, "link capacity", float64(c.LinkCapacity), float64(l.Bytes)/l.Time.Seconds(), 1e-9)
	near(t, "transfer setup", co.TransferSetup.Seconds(), truth.transferSetup, 1e-3)
	near(t, "round setup", co.RoundSetup.Seconds(), truth.roundSetup, 1e-3)
	near(t, "dump per page", co.DumpPerPage.Seconds(), truth.dumpPerPage, 1e-3)
	near(t, "freeze", co.Freeze.Seconds(), truth.freeze, 1e-6)
	near(t, "final setup", co.FinalSetup.Seconds(), truth.finalSetup, 1e-3)
	near(t, "chained final setup", co.ChainedFinalSetup.Seconds(), truth.chainedFinalSetup, 1e-3)
	near(t, "restore base", co.RestoreBase.Seconds(), truth.restoreBase, 1e-3)
	near(t, "chained restore base", co.ChainedRestoreBase.Seconds(), truth.chainedRestoreBase, 1e-3)
	near(t, "restore per page", co.RestorePerPage.Seconds(), truth.restorePerPage, 1e-3)
	near(t, "restore per final page", co.RestorePerFinalPage.Seconds(), truth.restorePerFinalPage, 1e-3)
	near(t, "resume", co.Resume.Seconds(), truth.resume, 1e-3)
	near(t, "dirty scan", co.DirtyScan.Seconds(), truth.dirtyScan, 1e-6)
	near(t, "dirty poll interval", co.DirtyPollInterval.Seconds(), truth.pollInterval, 1e-6)
	near(t, "snapshot", co.Snapshot.Seconds(), truth.snapshot, 1e-6)
	near(t, "base memory", float64(c.BaseMemory), float64(truth.base), 1e-3)
	// The occupancy model's pages are rounded to whole pages: a little slack.
	near(t, "runtime hot pages", float64(c.RuntimeHot)/4096, truth.runtimeHot, 0.03)
	near(t, "runtime page writes/s", float64(c.RuntimeDirtyRate)/4096, truth.runtimeRate, 0.1)
	if !co.RestoreAllPages {
		t.Error("RestoreAllPages not set")
	}
	names := map[string]models.Fit{}
	for _, f := range c.Fits {
		names[f.Name] = f
		if f.N < 2 || (f.R2 < 0.99 && f.Name != FitRuntime) {
			t.Errorf("fit %s: n %d, R² %g", f.Name, f.N, f.R2)
		}
	}
	for _, n := range []string{FitLive, FitFinalCold, FitTransfer, FitTransferLive, FitLink, FitRestoreCRIU, FitImportCold, FitRuntime} {
		if _, ok := names[n]; !ok {
			t.Errorf("no fit %q in %v", n, c.Fits)
		}
	}
	if want := []string{PlanScenarioPrefix + "8MiB", PlanScenarioPrefix + "12MiB", PlanScenarioPrefix + "24MiB"}; !slices.Equal(c.Scenarios, want) {
		t.Errorf("scenarios %v", c.Scenarios)
	}
	if d := Describe(c); !strings.Contains(d, "restore") || !strings.Contains(d, "dirty set 700ms after") {
		t.Errorf("Describe lacks the restore or the snapshot line:\n%s", d)
	}
	// The calibrated simulator predicts the synthetic testbed's migrations.
	for _, rec := range res.Records {
		p, err := sim.Run(context.Background(), c.Apply(rec.Params), rec.Technique, 0)
		if err != nil {
			t.Fatal(err)
		}
		near(t, rec.Scenario+" "+rec.Technique+" downtime", p.Metrics.DowntimeS, rec.Metrics.DowntimeS, 0.01)
		near(t, rec.Scenario+" "+rec.Technique+" bytes", float64(p.Metrics.BytesSent), float64(rec.Metrics.BytesSent), 0.01)
	}
}

// TestFitWithFewLiveRounds: with fewer than three live rounds the live rounds
// get no per-page cost of their own: the final dump's serves both (the
// behaviour before FinalDumpPerPage), and the fit explains the final dumps.
func TestFitWithFewLiveRounds(t *testing.T) {
	var s Samples
	r := &fakeRunner{calib: synthCalibration()}
	for _, st := range DefaultPlan() {
		rec, err := r.Run(context.Background(), st.Scenario, st.Technique, 0)
		if err != nil {
			t.Fatal(err)
		}
		s.Extract(rec)
	}
	kept := s.Rounds[:0]
	live := 0
	for _, x := range s.Rounds {
		if !x.Frozen {
			if live++; live > 2 {
				continue
			}
		}
		kept = append(kept, x)
	}
	s.Rounds = kept
	c, err := Fit(s, &Link{RTTs: synthLink().RTTs})
	if err != nil {
		t.Fatal(err)
	}
	co := c.Costs
	near(t, "dump per page", co.DumpPerPage.Seconds(), truth.finalDumpPerPage, 1e-3)
	if co.FinalDumpPerPage != 0 {
		t.Errorf("final dump per page %s, want 0 (= dump per page)", co.FinalDumpPerPage)
	}
	// Two live transfers of different sizes still give the live bandwidth.
	near(t, "live bandwidth", float64(c.Network.LiveBandwidth), truth.liveBW, 1e-3)
	// The final dumps: freeze + final setup + round setup + pages x per page.
	for _, x := range s.Rounds {
		if x.Frozen {
			got := co.Freeze.Seconds() + co.FinalSetupFor(x.Index > 0).Seconds() + co.RoundSetup.Seconds() + co.FinalPerPage().Seconds()*float64(x.Pages)
			near(t, "final dump", got, x.SpanS-x.TransferS, 1e-3)
		}
	}
}

// fittedPlan is DefaultPlan without its check migrations.
func fittedPlan() []Step {
	return slices.DeleteFunc(DefaultPlan(), func(st Step) bool { return st.Check })
}

// checkRuns are the default plan's check migrations, as fakeRunner lists them.
var checkRuns = []string{"check-16MiB/cold", "check-20MiB/cold", "check-8MiB/precopy", "check-12MiB/migrror"}

func TestRunReportsMissingSamples(t *testing.T) {
	plan := DefaultPlan()
	r := &fakeRunner{calib: synthCalibration(), fail: map[string]error{
		plan[3].Scenario.Name + "/cold": context.DeadlineExceeded,
	}}
	// One of four migrations failed (the large cold one): the others are
	// enough, the failure is listed.
	res, err := Calibrate(context.Background(), r, nil, CalibrateOptions{})
	if err != nil || len(res.Failed) != 1 || len(r.runs) != 8 || len(res.Calibration.Scenarios) != 2 {
		t.Fatalf("err %v, failed %v, runs %v, scenarios %v", err, res.Failed, r.runs, res.Calibration.Scenarios)
	}
	// All failed: nothing to fit; the error says what is missing.
	r.fail[plan[0].Scenario.Name+"/precopy"] = context.DeadlineExceeded
	r.fail[plan[1].Scenario.Name+"/cold"] = context.DeadlineExceeded
	r.fail[plan[2].Scenario.Name+"/precopy"] = context.DeadlineExceeded
	res, err = Calibrate(context.Background(), r, nil, CalibrateOptions{})
	for _, want := range []string{"base memory", "transfer", "final dump", "restore", "runtime dirtying", "deadline"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if res == nil || len(res.Failed) != 4 {
		t.Fatalf("result %+v", res)
	}
}

// TestFitRuntimeRecoversHotAndRate: rounds at two workload rates and
// several windows, made by the model, give back its hot pages and rate; the
// workload's own writes are not counted as the runtime's, and the fit says
// its writes are fresh.
func TestFitRuntimeRecoversHotAndRate(t *testing.T) {
	c := models.Calibration{BaseMemory: 300 * 4096}
	var samples []DirtySample
	for _, rate := range []float64{128 << 10, 2 << 20} {
		for _, w := range []float64{2, 3.5, 6, 14} {
			n := float64(4<<20) / 4096
			own := n * -math.Expm1(rate/4096*w*math.Log1p(-1/n))
			pages := own + 75 + 9*w
			samples = append(samples, DirtySample{Rate: rate, WWS: 4 << 20, Size: 16 << 20, WindowS: w, Pages: int64(math.Round(pages))})
		}
	}
	if err := fitRuntime(&c, samples); err != nil {
		t.Fatal(err)
	}
	near(t, "hot pages", float64(c.RuntimeHot)/4096, 75, 0.03)
	near(t, "page writes/s", float64(c.RuntimeDirtyRate)/4096, 9, 0.1)
	if !c.RuntimeFresh {
		t.Error("RuntimeFresh not set")
	}
	f := c.Fits[len(c.Fits)-1]
	if f.Name != FitRuntime || f.N != 8 || f.R2 < 0.99 {
		t.Errorf("fit %+v", f)
	}
	if err := fitRuntime(&c, nil); err == nil || !strings.Contains(err.Error(), "run pre-copy") {
		t.Errorf("no samples: %v", err)
	}
}

// measuredRounds are rounds after a live round of a recorded demo on the TCG
// testbed (d8, 2026-11-30, 35ce070): the three pre-copy calibrations (8 MiB,
// 2 MiB WWS at 256 KiB/s) and the validation's pre-copy and MiGrror
// migrations (16 MiB, 4 MiB WWS at 128 KiB/s and 2 MiB/s). Base memory
// 1208320 bytes (295 pages).
var measuredRounds = struct{ calibration, validation []DirtySample }{
	calibration: []DirtySample{
		{Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 9.1, Pages: 499}, {Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 3.1, Pages: 272},
		{Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 2.5, Pages: 236}, {Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 7.1, Pages: 447},
		{Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 2.3, Pages: 220}, {Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 1.9, Pages: 194},
		{Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 9.4, Pages: 519}, {Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 2.7, Pages: 255},
		{Rate: 256 << 10, WWS: 2 << 20, Size: 8 << 20, WindowS: 2.5, Pages: 248},
	},
	validation: []DirtySample{
		{Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 13.7, Pages: 555}, {Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 3.0, Pages: 206},
		{Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 2.1, Pages: 170}, {Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 10.9, Pages: 482},
		{Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 5.2, Pages: 285}, {Rate: 128 << 10, WWS: 4 << 20, Size: 16 << 20, WindowS: 2.9, Pages: 199},
		{Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 14.8, Pages: 1233}, {Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 4.6, Pages: 1076},
		{Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 4.4, Pages: 1023}, {Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 5.8, Pages: 1123},
		{Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 3.8, Pages: 1006}, {Rate: 2 << 20, WWS: 4 << 20, Size: 16 << 20, WindowS: 4.1, Pages: 1021},
	},
}

// TestFitRuntimePredictsMeasuredRounds: fitted on one workload rate, the
// model predicts the rounds of a recorded run at half and eight times the rate
// (within 8 % each, 4 % on average); schema 1's factor on the workload's rate
// was 30-40 % off at the slow rate.
func TestFitRuntimePredictsMeasuredRounds(t *testing.T) {
	c := models.Calibration{BaseMemory: 1208320}
	if err := fitRuntime(&c, measuredRounds.calibration); err != nil {
		t.Fatal(err)
	}
	hot, rate := float64(c.RuntimeHot)/4096, float64(c.RuntimeDirtyRate)/4096
	if hot < 50 || hot > 110 || rate < 3 || rate > 30 {
		t.Errorf("fitted %g hot pages, %g page writes/s: far from the 70-80 and ~10 the measurements show", hot, rate)
	}
	var sum float64
	for _, d := range measuredRounds.validation {
		n := float64(d.WWS) / 4096
		own := n * -math.Expm1(d.Rate/4096*d.WindowS*math.Log1p(-1/n))
		pred := own + hot + rate*d.WindowS
		e := math.Abs(pred-float64(d.Pages)) / float64(d.Pages)
		sum += e
		if e > 0.08 {
			t.Errorf("%.0f B/s, %.1f s: predicted %.0f pages, measured %d (%.1f%% off)", d.Rate, d.WindowS, pred, d.Pages, 100*e)
		}
	}
	if m := sum / float64(len(measuredRounds.validation)); m > 0.04 {
		t.Errorf("mean error %.1f%%", 100*m)
	}
}

// TestFitHotAndFreshKeepsItsBounds: a line that would need negative hot
// pages goes through zero, one that falls with the window is flat, and the
// hot pages never exceed the base memory.
func TestFitHotAndFreshKeepsItsBounds(t *testing.T) {
	win := []float64{1, 2, 4, 8}
	for _, c := range []struct {
		name      string
		excess    []float64
		base      float64
		hot, rate float64
	}{
		{"a line", []float64{80, 90, 110, 150}, 300, 70, 10},
		{"below zero at w=0", []float64{5, 25, 65, 145}, 300, 0, 1475.0 / 85},
		{"falling", []float64{100, 90, 80, 70}, 300, 85, 0},
		{"hot above the base", []float64{400, 401, 403, 407}, 300, 300, 1570.0 / 85},
	} {
		hot, rate := fitHotAndFresh(c.base, win, c.excess)
		if hot != c.hot || math.Abs(rate-c.rate) > 0.01 {
			t.Errorf("%s: hot %g rate %g, want %g and %g", c.name, hot, rate, c.hot, c.rate)
		}
	}
}

func TestDurClampsNegative(t *testing.T) {
	if dur(-1) != 0 || dur(math.NaN()) != 0 || dur(1.5).Seconds() != 1.5 {
		t.Errorf("dur: %v %v %v", dur(-1), dur(math.NaN()), dur(1.5))
	}
}

// TestRunWarmsUpFirst: warm-up migrations run before the calibration's, of
// the plan's first step under their own name, with role warmup; they are
// kept apart and change nothing in the fit, even when they are far off.
func TestRunWarmsUpFirst(t *testing.T) {
	want := synthCalibration()
	slow := want
	slow.Costs.RestoreBase = models.Duration(3 * want.Costs.RestoreBase) // a cold testbed
	r := &warmupRunner{fakeRunner: fakeRunner{calib: want}, slow: slow}
	var emitted []string
	res, err := Calibrate(context.Background(), r, fakeLink{synthLink()}, CalibrateOptions{WarmupMigrations: 2,
		Emit: func(rec models.Record) error {
			emitted = append(emitted, rec.Scenario+"/"+string(rec.Role))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	wantRuns := append([]string{"warmup-8MiB/precopy", "warmup-8MiB/precopy", "calibration-8MiB/precopy", "calibration-8MiB/cold", "calibration-12MiB/precopy", "calibration-24MiB/cold"}, checkRuns...)
	if strings.Join(r.runs, " ") != strings.Join(wantRuns, " ") {
		t.Fatalf("runs %v, want %v", r.runs, wantRuns)
	}
	if len(res.Warmup) != 2 || len(res.Records) != 8 {
		t.Fatalf("%d warm-up and %d calibration records, want 2 and 8 (4 fitted, 4 checks)", len(res.Warmup), len(res.Records))
	}
	for i, rec := range res.Warmup {
		if rec.Role != models.RoleWarmup || rec.Repetition != i {
			t.Errorf("warm-up %d: role %q, repetition %d", i, rec.Role, rec.Repetition)
		}
	}
	if got := strings.Join(emitted, " "); got != "warmup-8MiB/warmup warmup-8MiB/warmup calibration-8MiB/calibration calibration-8MiB/calibration calibration-12MiB/calibration calibration-24MiB/calibration check-16MiB/check check-20MiB/check check-8MiB/check check-12MiB/check" {
		t.Errorf("emitted %s", got)
	}
	near(t, "restore base", res.Calibration.Costs.RestoreBase.Seconds(), truth.restoreBase, 1e-3)
	if slices.Contains(res.Calibration.Scenarios, "warmup-8MiB") {
		t.Errorf("calibration scenarios %v include the warm-up", res.Calibration.Scenarios)
	}
	// Extract skips warm-up records even when handed them (calibrate --from-records).
	var s Samples
	if n := s.Extract(res.Warmup...); n != 0 {
		t.Errorf("Extract used %d warm-up records", n)
	}
}

// warmupRunner is a fakeRunner whose warm-up migrations run on a slower testbed.
type warmupRunner struct {
	fakeRunner
	slow models.Calibration
}

func (w *warmupRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	if strings.HasPrefix(s.Name, WarmupScenarioPrefix) {
		f := fakeRunner{calib: w.slow}
		rec, err := f.Run(ctx, s, technique, rep)
		w.runs = append(w.runs, s.Name+"/"+technique)
		return rec, err
	}
	return w.fakeRunner.Run(ctx, s, technique, rep)
}

// TestFitRestoreWithoutCRIUShare: records without CRIU's restore statistics
// (older records) give one restore line against the pages restored, and no
// per-final-page cost (nor a chained fixed cost: that needs CRIU's share).
func TestFitRestoreWithoutCRIUShare(t *testing.T) {
	want := synthCalibration()
	want.Costs.RestorePerFinalPage, want.Costs.ChainedRestoreBase = 0, 0
	res, err := Calibrate(context.Background(), &fakeRunner{calib: want}, fakeLink{synthLink()}, CalibrateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	co := res.Calibration.Costs
	near(t, "restore base", co.RestoreBase.Seconds(), truth.restoreBase, 1e-3)
	near(t, "restore per page", co.RestorePerPage.Seconds(), truth.restorePerPage, 1e-3)
	if co.RestorePerFinalPage != 0 || co.ChainedRestoreBase != 0 {
		t.Errorf("restore per final page %s, chained base %s without CRIU's share", co.RestorePerFinalPage, co.ChainedRestoreBase)
	}
	var names []string
	for _, f := range res.Calibration.Fits {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, FitRestore) || slices.Contains(names, FitRestoreImport) {
		t.Errorf("fits %v: want %q and not %q", names, FitRestore, FitRestoreImport)
	}
}

// TestRunRepeatsThePlan: Repeat runs the plan that many times, as
// repetitions, and fits over every migration.
func TestRunRepeatsThePlan(t *testing.T) {
	r := &fakeRunner{calib: synthCalibration()}
	res, err := Calibrate(context.Background(), r, fakeLink{synthLink()}, CalibrateOptions{Repeat: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.runs) != 24 || len(res.Records) != 24 {
		t.Fatalf("runs %v, %d records: want the plan 3 times", r.runs, len(res.Records))
	}
	for i, rec := range res.Records {
		if rec.Repetition != i/8 {
			t.Errorf("record %d (%s): repetition %d, want %d", i, rec.Scenario, rec.Repetition, i/8)
		}
	}
	if len(res.Calibration.Scenarios) != 3 {
		t.Errorf("calibration scenarios %v, want each once", res.Calibration.Scenarios)
	}
	n := map[string]int{}
	for _, f := range res.Calibration.Fits {
		n[f.Name] = f.N
	}
	if n[FitFinalCold] != 6 {
		t.Errorf("cold final dump fit over %d dumps, want 6 (two cold dumps in each repetition)", n[FitFinalCold])
	}
	// Two pre-copies of three live rounds in each repetition: every round
	// after a live round (two deltas and the final) is a dirtying sample.
	if n[FitRuntime] != 18 {
		t.Errorf("runtime dirtying fit over %d rounds, want 18 (3 from each of 6 pre-copies)", n[FitRuntime])
	}
	near(t, "restore per final page", res.Calibration.Costs.RestorePerFinalPage.Seconds(), truth.restorePerFinalPage, 1e-3)
}

// TestRunCallsAfterRepetition: the hook runs after every repetition of the
// plan, before the fit, and its error ends the calibration.
func TestRunCallsAfterRepetition(t *testing.T) {
	r := &fakeRunner{calib: synthCalibration()}
	opt := CalibrateOptions{Repeat: 3, AfterRepetition: func(_ context.Context, rep int) error {
		r.runs = append(r.runs, "after "+string(rune('0'+rep)))
		return nil
	}}
	if _, err := Calibrate(context.Background(), r, fakeLink{synthLink()}, opt); err != nil {
		t.Fatal(err)
	}
	p := PlanScenarioPrefix
	var want []string
	for rep := range 3 {
		want = append(want, p+"8MiB/precopy", p+"8MiB/cold", p+"12MiB/precopy", p+"24MiB/cold")
		want = append(append(want, checkRuns...), "after "+string(rune('0'+rep)))
	}
	if !slices.Equal(r.runs, want) {
		t.Fatalf("order %v\nwant  %v", r.runs, want)
	}
	r.runs = nil
	opt.AfterRepetition = func(context.Context, int) error { return context.Canceled }
	if _, err := Calibrate(context.Background(), r, nil, opt); err != context.Canceled || len(r.runs) != 8 {
		t.Fatalf("hook error: %v after %v", err, r.runs)
	}
}

// TestChainedCostsToldApart: on a testbed whose chained final rounds cost
// more than the cold line says (as Podman's do), a plan with one cold size
// fits one line through the chained and the cold dumps and mispredicts a
// cold migration of a size between; with cold dumps at two sizes the chained
// fixed costs come out on their own and both kinds are predicted.
func TestChainedCostsToldApart(t *testing.T) {
	truthCal := synthCalibration()
	fitPlan := func(plan []Step) models.Calibration {
		t.Helper()
		res, err := Calibrate(context.Background(), &fakeRunner{calib: truthCal}, fakeLink{synthLink()}, CalibrateOptions{Plan: plan})
		if err != nil {
			t.Fatal(err)
		}
		return res.Calibration
	}
	full := DefaultPlan()
	oneCold := []Step{full[0], full[2]}
	mid := full[1].Scenario
	mid.Name, mid.Memory.Size, mid.Workload.WWS = "mid", 16<<20, 4<<20
	predict := func(c models.Calibration, technique string) float64 {
		rec, err := sim.Run(context.Background(), c.Apply(mid), technique, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Metrics.DowntimeS
	}
	old, split := fitPlan(oneCold), fitPlan(full)
	if old.Costs.ChainedFinalSetup != 0 || old.Costs.ChainedRestoreBase != 0 {
		t.Errorf("one cold size: chained costs %s, %s, want none", old.Costs.ChainedFinalSetup, old.Costs.ChainedRestoreBase)
	}
	for _, tech := range []string{models.Cold, models.PreCopy} {
		want := predict(truthCal, tech)
		near(t, "two cold sizes: "+tech+" downtime at 16 MiB", predict(split, tech), want, 1e-3)
		if got := predict(old, tech); tech == models.Cold && math.Abs(got-want) < 0.02*want {
			t.Errorf("one cold size: cold downtime at 16 MiB %g, the truth %g: the single line should miss it", got, want)
		}
	}
}

// TestChainedApartNeedsTwoSizes: cold dumps of one size (a few pages apart,
// as three repetitions of the 32 MiB one are) do not carry a line of their
// own; dumps of two sizes do; without chained rounds there is nothing to
// tell apart.
func TestChainedApartNeedsTwoSizes(t *testing.T) {
	chained := []Point{{230, 5}}
	for _, c := range []struct {
		cold    []Point
		chained []Point
		want    bool
	}{
		{[]Point{{8481, 10}, {8486, 11}, {8478, 12}}, chained, false},
		{[]Point{{8481, 10}}, chained, false},
		{[]Point{{2345, 7}, {6443, 9}}, chained, true},
		{[]Point{{2345, 7}, {6443, 9}}, nil, false},
	} {
		if got := chainedApart(c.cold, c.chained); got != c.want {
			t.Errorf("cold %v, chained %v: %v, want %v", c.cold, c.chained, got, c.want)
		}
	}
}

// TestSnapshotDelayFromRoundStats: a live round took its dirty set half its
// request's way after it started plus runc's pre-dump up to CRIU's freeze.
func TestSnapshotDelayFromRoundStats(t *testing.T) {
	x := models.RoundRecord{Index: 1, Kind: string(models.RoundDelta), DurationS: 2.0, TransferS: 1.0, DumpS: 0.8}
	stats := map[string]float64{"round2_frozen_s": 0.1, "round2_memwrite_s": 0.2}
	if d, ok := snapshotDelay(x, stats); !ok || math.Abs(d-0.6) > 1e-12 {
		t.Errorf("delay %v (%v), want 0.1 s of the request's way + 0.5 s of pre-dump before the freeze", d, ok)
	}
	if _, ok := snapshotDelay(models.RoundRecord{Index: 1, DumpS: 0.8}, map[string]float64{"round1_frozen_s": 0.1}); ok {
		t.Error("a delay without the round's memory-writing time")
	}
	if _, ok := snapshotDelay(models.RoundRecord{Index: 1, DumpS: 0.8, Frozen: true}, stats); ok {
		t.Error("a delay for a frozen round")
	}
}
