package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/testbed"
)

// DemoOptions configure Demo. Zero values mean defaults where one is named.
type DemoOptions struct {
	// Name and StateDir of the testbed (infra.Spec); Accel of its VMs.
	Name, StateDir string
	Accel          infra.Accel
	// Scenarios are the validation scenarios.
	Scenarios []models.Scenario
	// WorkloadBinary is the static migrlab-workload for the image (empty:
	// next to this executable, else built with go); AgentBinary the migrlab
	// binary installed as the agent (empty: this executable).
	WorkloadBinary, AgentBinary string
	// Warmup and StepTimeout of every real migration (real.Options).
	Warmup, StepTimeout time.Duration
	// Calibration holds the plan's warm-up migrations and repetitions
	// (AfterRepetition and Progress are Demo's).
	Calibration CalibrateOptions
	// KeepTestbed leaves the testbed up at the end.
	KeepTestbed bool
	// Profile configures the profile of each app scenario (ProfileApps),
	// made before the calibration, and its probe (RunProbes), after the
	// calibration's first repetition; NoProfile predicts an app from its
	// scenario's memory and workload as written, with the calibration's
	// costs.
	Profile   real.ProfileOptions
	NoProfile bool
	// ProbeReps is how many times each of an app's probe migrations runs
	// (RunProbes; 0: DefaultProbeReps).
	ProbeReps int
	// Out is the report directory; Command the command line it records.
	Out     string
	Command []string
	// Format of the tables on Stdout; Progress gets the phases and steps.
	Format           reports.Format
	Stdout, Progress io.Writer
	// AgentTrace, when set, gets a line per request to the agents (-v).
	AgentTrace io.Writer
}

// DemoTimings are the durations of the demo's phases, in seconds.
type DemoTimings struct {
	Image float64 `json:"image_s"`
	Up    float64 `json:"testbed_up_s"`
	// Calibration is the calibration's migrations (warm-up and link
	// measurement included); Comparison the validation's migrations, run
	// between the calibration's repetitions, and their predictions.
	Calibration float64 `json:"calibration_s"`
	Comparison  float64 `json:"comparison_s"`
	Down        float64 `json:"testbed_down_s"`
	Total       float64 `json:"total_s"`
	Accel       string  `json:"accel"`
}

// TimingsFile is where Demo writes its DemoTimings in the report directory.
const TimingsFile = "timings.json"

// Demo is the whole real comparison on a local testbed: it builds the
// workload image, brings up two QEMU VMs (infra.Up), calibrates them with the
// validation scenarios' real migrations measured between the calibration's
// repetitions (Interleaved), predicts every measured migration with the
// calibrated simulator and the closed-form model (Comparison), and tears the
// testbed down at the end, also after a failure or when ctx is cancelled
// (unless KeepTestbed).
func Demo(ctx context.Context, opt DemoOptions) (err error) {
	progress := orDiscard(opt.Progress)
	start := time.Now()
	var tm DemoTimings
	phase := func(what string) { fmt.Fprintf(progress, "== [demo %4.0fs] %s\n", time.Since(start).Seconds(), what) }

	phase("building the workload image")
	tmp, err := os.MkdirTemp("", "migrlab-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	archive, err := WorkloadImage(ctx, tmp, opt.WorkloadBinary)
	if err != nil {
		return err
	}
	agentBin, err := AgentBinary(opt.AgentBinary, progress)
	if err != nil {
		return err
	}
	tm.Image = time.Since(start).Seconds()

	spec := infra.Spec{Name: opt.Name, Backend: testbed.BackendLocal, Hosts: 2, Accel: opt.Accel,
		StateDir: opt.StateDir, ImageArchives: []string{archive}, AgentBinary: agentBin,
		AgentArgs: []string{"--listen", "127.0.0.1:" + strconv.Itoa(agent.DefaultPort), "--listen", "private:" + strconv.Itoa(agent.DefaultPort)},
		Progress:  progress}
	phase("bringing up testbed " + spec.Name + " (two local VMs; several minutes under TCG)")
	t0 := time.Now()
	defer func() {
		if !opt.KeepTestbed {
			// After success, failure or Ctrl-C (ctx is then cancelled;
			// Down must still run to the end).
			phase("tearing testbed " + spec.Name + " down")
			t := time.Now()
			derr := infra.Down(context.WithoutCancel(ctx), spec.Name, infra.WithStateDir(spec.StateDir), infra.WithProgress(progress))
			tm.Down = time.Since(t).Seconds()
			if derr != nil {
				err = joinErr(err, fmt.Errorf("testbed down: %w", derr))
			}
		} else {
			fmt.Fprintf(progress, "testbed %s left up: migrlab testbed down --name %s\n", spec.Name, spec.Name)
		}
		tm.Total = time.Since(start).Seconds()
		writeTimings(opt.Out, tm, progress)
	}()
	hosts, err := infra.Up(ctx, spec)
	tm.Up = time.Since(t0).Seconds()
	if err != nil {
		return err
	}
	tm.Accel = hosts.Accel
	// Released before the teardown above (deferred first, runs last).
	unlock, err := testbed.Lock(hosts.Dir, "migrlab demo")
	if err != nil {
		return err
	}
	defer unlock()
	octx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	tb, err := real.Open(octx, hosts)
	cancel()
	if err != nil {
		return err
	}
	defer tb.Close()
	for _, h := range tb.Hosts {
		h.Agent.Trace = opt.AgentTrace
	}
	r := &RealRunner{Testbed: tb, Options: real.Options{Warmup: opt.Warmup, StepTimeout: opt.StepTimeout,
		Progress: progress, Provenance: buildinfo.Provenance()}}
	var profiled ProfileConditions
	if apps := countApps(opt.Scenarios); apps > 0 && !opt.NoProfile {
		phase(fmt.Sprintf("profiling %d app(s): how each dirties memory under its load", apps))
		popt := opt.Profile
		popt.Progress, popt.Provenance = progress, buildinfo.Provenance()
		if popt.Warmup == 0 { // the app's age when its migrations start
			popt.Warmup = real.ProfileWarmupFor(opt.Warmup)
		}
		if opt.Scenarios, profiled, err = ProfileApps(ctx, tb, opt.Scenarios, filepath.Join(opt.Out, "profiles"), popt, progress); err != nil {
			return err
		}
	}

	// The validation's real migrations run between the calibration's
	// repetitions (interleaved), then the calibrated simulator predicts them.
	copt := opt.Calibration
	iv := NewInterleaved(r, opt.Scenarios, copt.Repeat, progress)
	var probes []models.Record
	copt.AfterRepetition = func(ctx context.Context, rep int) error {
		// The apps' probes run on the warm testbed, after the first
		// repetition of the calibration's plan.
		if rep == 0 && !opt.NoProfile {
			var err error
			reps := opt.ProbeReps
			if reps == 0 {
				reps = DefaultProbeReps
			}
			if probes, err = RunProbes(ctx, r, opt.Scenarios, reps, progress); err != nil {
				return err
			}
		}
		return iv.After(ctx, rep)
	}
	copt.Progress = progress
	phase(fmt.Sprintf("calibrating the testbed, with the %d validation scenario(s) measured between its repetitions", len(opt.Scenarios)))
	t0 = time.Now()
	res, err := CalibrateTestbed(ctx, hosts, r, copt)
	tm.Calibration = (time.Since(t0) - iv.Took()).Seconds()
	tm.Comparison = iv.Took().Seconds()
	if err != nil {
		if res != nil && len(res.Records)+len(res.Warmup)+len(iv.Records()) > 0 {
			WriteRecordsFile(filepath.Join(opt.Out, "calibration-records.jsonl"), slices.Concat(res.Warmup, res.Records, probes, iv.Records()))
		}
		return err
	}
	res.Calibration = WithAppCosts(ctx, res.Calibration, probes)
	fmt.Fprint(progress, Describe(res.Calibration))
	for _, f := range res.Failed {
		fmt.Fprintf(progress, "warning: a calibration migration failed, the calibration is from the others: %v\n", f)
	}
	for _, w := range profiled.Warnings(res.Calibration.Envelope) {
		fmt.Fprintf(progress, "warning: %s\n", w)
	}
	// The calibration's own migrations and the warm-up's, predicted with the
	// calibration: how well it fits its data, and how far the testbed's
	// first migration is from it (roles calibration and warmup, never scored).
	measured := slices.Concat(res.Warmup, res.Records, probes)
	extra := append(slices.Clone(measured), PredictRecords(ctx, SimPredictor{}, res.Calibration, measured, buildinfo.Provenance())...)

	phase(fmt.Sprintf("predicting the %d measured validation migration(s) with the calibrated simulator", len(iv.Records())))
	t0 = time.Now()
	_, err = Comparison{Runner: iv.Replay(), Calibration: res.Calibration, Scenarios: opt.Scenarios, Extra: extra, Dir: opt.Out,
		Title:   "migrlab demo: real vs simulated migrations on a local testbed (" + hosts.Accel + ")",
		Command: opt.Command, Versions: Versions(hosts), Analytic: true, Progress: progress,
		Format: opt.Format, Stdout: opt.Stdout}.Run(ctx)
	tm.Comparison += time.Since(t0).Seconds()
	return err
}

func joinErr(a, b error) error {
	if a == nil {
		return b
	}
	return fmt.Errorf("%w; %w", a, b)
}

// writeTimings prints the phases' durations and writes DIR/timings.json.
func writeTimings(dir string, tm DemoTimings, w io.Writer) {
	fmt.Fprintf(w, "demo timings (%s): image %.0fs, testbed up %.0fs, calibration %.0fs, validation (interleaved) and predictions %.0fs, testbed down %.0fs, total %.0fs\n",
		tm.Accel, tm.Image, tm.Up, tm.Calibration, tm.Comparison, tm.Down, tm.Total)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	b, _ := json.MarshalIndent(tm, "", "  ")
	os.WriteFile(filepath.Join(dir, TimingsFile), append(b, '\n'), 0o644)
}

// WriteRecordsFile writes records as JSON Lines to path (its directory made
// when missing).
func WriteRecordsFile(path string, recs []models.Record) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := models.NewRecordWriter(f)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
