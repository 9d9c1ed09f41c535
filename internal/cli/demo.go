package cli

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/migrlab/migrlab/examples"
	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/calibrate"
	"github.com/migrlab/migrlab/real/image"
	"github.com/migrlab/migrlab/testbed"
	"github.com/urfave/cli/v2"
)

func init() { extraCommands = append(extraCommands, DemoCommand()) }

// DemoScenarios are the built-in comparisons of `migrlab demo`: one workload
// at three dirty rates.
var DemoScenarios = []string{"compare-rate-128k.yaml", "compare-rate-512k.yaml", "compare-rate-2m.yaml"}

// DemoCommand is `migrlab demo`: the whole real comparison on a local
// testbed that it brings up and always tears down.
func DemoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "bring up a local testbed, calibrate it, compare real and simulated migrations, tear it down",
		Description: "Provisions a local testbed (two QEMU VMs with podman, runc, CRIU and the migrlab agent;\n" +
			"infra.Up), calibrates it (migrlab calibrate), migrates the workload for real with cold,\n" +
			"pre-copy and MiGrror at three dirty rates (examples/compare-rate-*.yaml; one scenario after\n" +
			"each calibration repetition, so that the testbed's drift over the run reaches both alike)\n" +
			"and predicts each migration with the calibrated simulator and the closed-form model (as\n" +
			"migrlab compare --replay would), prints\n" +
			"the comparison and the prediction error, and writes the report directory. The testbed is\n" +
			"torn down at the end, also after a failure or Ctrl-C (unless --keep-testbed).",
		Flags: []cli.Flag{formatFlag,
			&cli.StringFlag{Name: "name", Value: "demo", Usage: "testbed `NAME`"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "out/demo", Usage: "report `DIR`"},
			&cli.StringFlag{Name: "state-dir", Usage: "testbed state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}},
			&cli.StringFlag{Name: "accel", Value: "auto", Usage: "VM accelerator: auto, kvm or tcg"},
			&cli.StringSliceFlag{Name: "scenario", Aliases: []string{"s"}, Usage: "scenario or sweep `FILE` to compare (repeatable; default: the built-in examples/compare-rate-*.yaml)"},
			&cli.StringFlag{Name: "workload-binary", Usage: "static migrlab-workload `BINARY` for the image (default: next to this binary, else built with go)"},
			&cli.StringFlag{Name: "agent-binary", Usage: "migrlab `BINARY` installed as the agent (default: this binary)"},
			&cli.DurationFlag{Name: "warmup", Value: 3 * time.Second, Usage: "how long each workload runs before its migration starts"},
			warmupMigrationsFlag,
			&cli.IntFlag{Name: "reps", Usage: "migrate each validation scenario and technique `N` times (overrides the scenarios'; the built-in ones say 1). With N >= 2 the report also scores each scenario's median, and each extra repetition adds about 7 minutes under TCG; just fidelity runs 3"},
			&cli.IntFlag{Name: "calibration-repeat", Value: 3, Usage: "run the calibration migrations `N` times and fit over all of them (see migrlab calibrate --repeat; each repetition adds about 2 minutes under TCG; the more there are, the less one noisy migration weighs)"},
			&cli.DurationFlag{Name: "step-timeout", Value: real.DefaultStepTimeout, Usage: "timeout of every agent operation"},
			&cli.BoolFlag{Name: "keep-testbed", Usage: "leave the testbed up at the end (tear it down with migrlab testbed down)"},
		},
		Action: runDemo,
	}
}

// demoTimings are the durations of the demo's phases, in seconds.
type demoTimings struct {
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

func runDemo(c *cli.Context) (err error) {
	if c.NArg() > 0 {
		return usagef("demo: unexpected arguments %q", c.Args().Slice())
	}
	accel := infra.Accel(c.String("accel"))
	switch accel {
	case infra.AccelAuto, infra.AccelKVM, infra.AccelTCG:
	default:
		return usagef("unknown --accel %q (want auto, kvm or tcg)", accel)
	}
	if c.Int("reps") < 0 {
		return usagef("--reps %d: want at least 1 (or 0 for the scenarios' own)", c.Int("reps"))
	}
	scenarios, err := demoScenarios(c.StringSlice("scenario"), c.Int("reps"))
	if err != nil {
		return err
	}
	copt, err := calibrationOptions(c, "calibration-repeat", nil)
	if err != nil {
		return err
	}
	ctx := c.Context
	stderr := c.App.ErrWriter
	start := time.Now()
	var tm demoTimings
	phase := func(what string) { fmt.Fprintf(stderr, "== [demo %4.0fs] %s\n", time.Since(start).Seconds(), what) }
	out := c.String("out")

	phase("building the workload image")
	tmp, err := os.MkdirTemp("", "migrlab-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	archive, err := demoImage(ctx, tmp, c.String("workload-binary"))
	if err != nil {
		return interrupted(ctx, err)
	}
	agentBin, err := demoAgentBinary(c.String("agent-binary"), stderr)
	if err != nil {
		return err
	}
	tm.Image = time.Since(start).Seconds()

	spec := infra.Spec{Name: c.String("name"), Backend: testbed.BackendLocal, Hosts: 2, Accel: accel,
		StateDir: c.String("state-dir"), ImageArchives: []string{archive}, AgentBinary: agentBin,
		AgentArgs: []string{"--listen", "127.0.0.1:" + strconv.Itoa(agent.DefaultPort), "--listen", "private:" + strconv.Itoa(agent.DefaultPort)},
		Progress:  stderr}
	phase("bringing up testbed " + spec.Name + " (two local VMs; several minutes under TCG)")
	t0 := time.Now()
	if !c.Bool("keep-testbed") {
		// Always tear down: after success, failure or Ctrl-C (ctx is then
		// cancelled; Down must still run to the end).
		defer func() {
			phase("tearing testbed " + spec.Name + " down")
			t := time.Now()
			derr := infra.Down(context.WithoutCancel(ctx), spec.Name, infra.WithStateDir(spec.StateDir), infra.WithProgress(stderr))
			tm.Down = time.Since(t).Seconds()
			tm.Total = time.Since(start).Seconds()
			if derr != nil {
				err = joinErr(err, fmt.Errorf("testbed down: %w", derr))
			}
			writeTimings(out, tm, stderr)
		}()
	} else {
		defer func() {
			tm.Total = time.Since(start).Seconds()
			writeTimings(out, tm, stderr)
			fmt.Fprintf(stderr, "testbed %s left up: migrlab testbed down --name %s\n", spec.Name, spec.Name)
		}()
	}
	itb, err := infra.Up(ctx, spec)
	tm.Up = time.Since(t0).Seconds()
	if err != nil {
		return interrupted(ctx, err)
	}
	tm.Accel = itb.Accel
	octx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	tb, err := real.Open(octx, itb)
	cancel()
	if err != nil {
		return interrupted(ctx, err)
	}
	defer tb.Close()
	r := &realRunner{tb: tb, opt: real.Options{Warmup: c.Duration("warmup"), StepTimeout: c.Duration("step-timeout"),
		Progress: stderr, Provenance: buildinfo.Provenance()}}

	// The validation's real migrations run between the calibration's
	// repetitions (interleaved), then the calibrated simulator predicts them.
	iv := newInterleaved(r, scenarios, copt.Repeat, stderr)
	copt.AfterRepetition = iv.after
	phase(fmt.Sprintf("calibrating the testbed, with the %d validation scenario(s) measured between its repetitions", len(scenarios)))
	t0 = time.Now()
	res, err := calibrateTestbed(ctx, itb, tb, r, copt, 16<<20, stderr)
	tm.Calibration = (time.Since(t0) - iv.took).Seconds()
	tm.Comparison = iv.took.Seconds()
	if err != nil {
		if res != nil && len(res.Records)+len(res.Warmup)+len(iv.records) > 0 {
			writeRecordsFile(filepath.Join(out, "calibration-records.jsonl"), append(append(slices.Clone(res.Warmup), res.Records...), iv.records...))
		}
		return interrupted(ctx, err)
	}
	fmt.Fprint(stderr, calibrate.Describe(res.Calibration))
	for _, f := range res.Failed {
		fmt.Fprintf(stderr, "warning: a calibration migration failed, the calibration is from the others: %v\n", f)
	}
	// The calibration's own migrations, predicted with the calibration: how
	// well it fits its data (role calibration, never scored).
	// The warm-up migrations too: how far the testbed's first migration is from
	// the calibrated prediction (role warmup, never scored).
	measured := append(slices.Clone(res.Warmup), res.Records...)
	extra := append(slices.Clone(measured), calibrate.PredictRecords(ctx, calibrate.SimPredictor{}, res.Calibration, measured, buildinfo.Provenance())...)

	phase(fmt.Sprintf("predicting the %d measured validation migration(s) with the calibrated simulator", len(iv.records)))
	t0 = time.Now()
	run := compareRun{runner: iv.replay(), calib: res.Calibration, scenarios: scenarios, extra: extra, dir: out,
		title:   "migrlab demo: real vs simulated migrations on a local testbed (" + itb.Accel + ")",
		command: commandLine(c), versions: versions(itb), analytic: true, progress: stderr,
		format: c.String("format"), stdout: c.App.Writer}
	_, err = run.do(ctx)
	tm.Comparison += time.Since(t0).Seconds()
	return interrupted(ctx, err)
}

// demoScenarios reads the comparison's scenario files, or the built-in ones;
// reps, when not zero, overrides their repetitions.
func demoScenarios(paths []string, reps int) ([]models.Scenario, error) {
	if len(paths) > 0 {
		return loadScenarioFiles(paths, "", reps)
	}
	var out []models.Scenario
	for _, name := range DemoScenarios {
		b, err := examples.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ss, err := parseScenarioOrSweep(b)
		if err != nil {
			return nil, fmt.Errorf("examples/%s: %w", name, err)
		}
		for i := range ss {
			if err := overrideScenario(&ss[i], "", reps); err != nil {
				return nil, usagef("--reps %d: %v", reps, err)
			}
		}
		out = append(out, ss...)
	}
	return out, nil
}

// demoImage writes the workload image archive into dir: from bin, or from
// migrlab-workload next to this executable, or built with go.
func demoImage(ctx context.Context, dir, bin string) (string, error) {
	if bin == "" {
		if exe, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(exe), "migrlab-workload"); isFile(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		bin = filepath.Join(dir, "migrlab-workload")
		if err := image.BuildWorkloadBinary(ctx, bin); err != nil {
			return "", fmt.Errorf("building the workload (give --workload-binary to skip): %w", err)
		}
	}
	archive := filepath.Join(dir, "workload.tar")
	f, err := os.Create(archive)
	if err != nil {
		return "", err
	}
	_, err = image.BuildArchive(f, bin, image.DefaultName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return archive, err
}

// demoAgentBinary returns the agent binary and warns when it is dynamically
// linked (the hosts then need a C library compatible with this machine's).
func demoAgentBinary(path string, w io.Writer) (string, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		path = exe
	}
	if !isFile(path) {
		return "", usagef("agent binary %s: not a file", path)
	}
	if f, err := elf.Open(path); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				fmt.Fprintf(w, "note: the agent binary %s is dynamically linked; the hosts need a compatible C library (build with CGO_ENABLED=0 for a static one)\n", path)
				break
			}
		}
		f.Close()
	}
	return path, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func joinErr(a, b error) error {
	if a == nil {
		return b
	}
	return fmt.Errorf("%w; %w", a, b)
}

// writeTimings prints the phases' durations and writes DIR/timings.json.
func writeTimings(dir string, tm demoTimings, w io.Writer) {
	fmt.Fprintf(w, "demo timings (%s): image %.0fs, testbed up %.0fs, calibration %.0fs, validation (interleaved) and predictions %.0fs, testbed down %.0fs, total %.0fs\n",
		tm.Accel, tm.Image, tm.Up, tm.Calibration, tm.Comparison, tm.Down, tm.Total)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	b, _ := json.MarshalIndent(tm, "", "  ")
	os.WriteFile(filepath.Join(dir, "timings.json"), append(b, '\n'), 0o644)
}
