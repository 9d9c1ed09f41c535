package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/urfave/cli/v2"
)

// ProfileCommand is `migrlab profile`: measure how a scenario's container
// dirties its memory on a testbed host, and write the profile, the scenario
// with its memory and workload fitted to it, and a plot of the curve.
func ProfileCommand() *cli.Command {
	return &cli.Command{
		Name:  "profile",
		Usage: "measure how a scenario's container (its app, or the synthetic workload) dirties memory",
		Description: "Starts the scenario's container on one host of the testbed with its load, lets it run for\n" +
			"--warmup, then in each of --passes passes clears its soft-dirty bits and counts the distinct\n" +
			"pages it wrote within each of --windows after the clear (reading /proc/PID/pagemap). Writes\n" +
			"to --out: NAME.profile.json (every pass, the median curve, the fit), NAME.yaml (the scenario\n" +
			"with memory and workload replaced by the simulator's memory model fitted to the curve: give\n" +
			"it to migrlab sim, compare or demo) and NAME-dirtying.svg. The profiled container is its own\n" +
			"and is removed at the end; no migration runs meanwhile (the testbed is locked).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "scenario", Aliases: []string{"s"}, Required: true, Usage: "scenario YAML `FILE` (its app, or the synthetic workload)"},
			&cli.StringFlag{Name: "testbed", Required: true, Usage: "testbed `NAME` (see migrlab testbed up)"},
			&cli.StringFlag{Name: "state-dir", Usage: "testbed state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}},
			&cli.StringFlag{Name: "host", Usage: "`HOST` to profile on (default: the testbed's first host)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "out/profile", Usage: "output `DIR`"},
			&cli.IntFlag{Name: "passes", Value: real.DefaultProfilePasses, Usage: "`N` passes (each as long as the longest window)"},
			&cli.StringFlag{Name: "windows", Usage: "comma-separated increasing `WINDOWS` (default " + windowList(real.DefaultProfileWindows) + ")"},
			&cli.DurationFlag{Name: "warmup", Value: real.DefaultProfileWarmup, Usage: "how long the container runs under its load before the first pass: the age its migrations start at (run's --warmup), which matters for a container that grows"},
			&cli.IntFlag{Name: "host-port", Value: real.DefaultHostPort, Usage: "host `PORT` the container's port is published on"},
			&cli.DurationFlag{Name: "step-timeout", Value: real.DefaultStepTimeout, Usage: "timeout of every agent operation"},
			&cli.StringFlag{Name: "calibration", Usage: "calibration `FILE` of the testbed: for the synthetic workload, the model's curve (its runtime included) is set beside the measured one; and a warning when the passes ran with the machine busier than its run guard allows"},
		},
		Action: runProfile,
	}
}

// The profile of an app scenario before demo and compare migrate it.
var (
	noProfileFlag = &cli.BoolFlag{Name: "no-profile", Usage: "predict an app scenario from its memory and workload as written, with the calibration's costs " +
		"(by default each app is profiled on the testbed first, as migrlab profile does, and predicted from its fit; " +
		"and its probe migrations measure its own dump, transfer and restore costs)"}
	profilePassesFlag = &cli.IntFlag{Name: "profile-passes", Value: real.DefaultProfilePasses, Usage: "`N` passes of each app's profile (a minute each)"}
	probeRepsFlag     = &cli.IntFlag{Name: "probe-reps", Value: fidelity.DefaultProbeReps, Usage: "run each of an app's probe migrations (cold and pre-copy, each after a synthetic reference) `N` times; " +
		"its own costs are their medians (fewer: faster, and predictions of the app less sure than their intervals say)"}
)

// checkProbeReps refuses a --probe-reps below one before any testbed work.
func checkProbeReps(c *cli.Context) error {
	if n := c.Int("probe-reps"); n < 1 {
		return usagef("--probe-reps %d: want at least 1 (default %d; --no-profile runs no probes)", n, fidelity.DefaultProbeReps)
	}
	return nil
}

func windowList(ws []time.Duration) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.String())
	}
	return strings.Join(s, ",")
}

func parseWindows(s string) ([]time.Duration, error) {
	if s == "" {
		return nil, nil
	}
	var ws []time.Duration
	for _, f := range strings.Split(s, ",") {
		d, err := models.ParseDuration(f)
		if err != nil {
			return nil, fmt.Errorf("--windows: %w", err)
		}
		ws = append(ws, d.Duration())
	}
	return ws, nil
}

func runProfile(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return usagef("profile: unexpected arguments %q: give the scenario file with -s FILE", c.Args().Slice())
	}
	path := c.String("scenario")
	orig, err := os.ReadFile(path)
	if err != nil {
		return usagef("scenario: %v", err)
	}
	s, err := models.ParseScenario(bytes.NewReader(orig))
	if err != nil {
		return usagef("%s: %w", path, err)
	}
	windows, err := parseWindows(c.String("windows"))
	if err != nil {
		return UsageError{err}
	}
	opt := real.ProfileOptions{Host: c.String("host"), Windows: windows, Passes: c.Int("passes"), Warmup: c.Duration("warmup"),
		HostPort: c.Int("host-port"), StepTimeout: c.Duration("step-timeout"), Progress: c.App.ErrWriter, Provenance: buildinfo.Provenance()}
	if opt.Passes < 1 || opt.Passes > 20 {
		return usagef("--passes: give 1 to 20, got %d", opt.Passes)
	}
	if opt.Warmup < 0 {
		return usagef("--warmup: must not be negative, got %s", opt.Warmup)
	}
	if err := s.WithDefaults().Validate(); err != nil {
		return usagef("%s: %w", path, err)
	}
	var calib *models.Calibration
	if path := c.String("calibration"); path != "" {
		cb, err := readCalibrationFile(path)
		if err != nil {
			return UsageError{err}
		}
		calib = &cb
	}
	dir := c.String("out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tb, err := openTestbed(c.Context, c)
	if err != nil {
		return err
	}
	defer tb.Close()
	if _, err := recoverTestbed(c.Context, c, tb.Testbed); err != nil {
		return fmt.Errorf("%w; run `migrlab recover --testbed %s` once the hosts are fixed", err, tb.Name)
	}
	p, err := real.Profile(c.Context, tb.Testbed, s, opt)
	if err != nil {
		return err
	}
	if calib != nil {
		for _, w := range (fidelity.ProfileConditions{s.Name: p.Conditions}).Warnings(calib.Envelope) {
			fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
		}
	}
	if !s.App.Enabled() {
		// The synthetic workload's own model: what the simulator assumes.
		ms := s.WithDefaults()
		if calib != nil {
			ms = calib.Apply(ms)
		}
		p.ModelError = p.SetModel(ms)
	}
	return writeProfile(c.App.Writer, dir, path, orig, p)
}

// writeProfile writes the profile, its plot and the profiled scenario to
// dir, and a summary to w.
func writeProfile(w io.Writer, dir, scenarioPath string, orig []byte, p models.DirtyingProfile) error {
	base := strings.TrimSuffix(filepath.Base(scenarioPath), filepath.Ext(scenarioPath))
	paths, err := fidelity.WriteProfile(dir, base, p)
	if err != nil {
		return err
	}
	yamlPath := filepath.Join(dir, base+".yaml")
	scen, err := models.ProfiledScenario(orig, p, paths[0])
	if err != nil {
		return fmt.Errorf("%s: %w", scenarioPath, err)
	}
	if err := os.WriteFile(yamlPath, scen, 0o644); err != nil {
		return err
	}
	printProfile(w, p)
	fmt.Fprintf(w, "profile: %s\nscenario for the simulator: %s\nplot: %s\n", paths[0], yamlPath, paths[1])
	return nil
}

// printProfile writes the curve and the fit as a short table.
func printProfile(w io.Writer, p models.DirtyingProfile) {
	fmt.Fprintf(w, "%s on %s: %s resident, %d process(es), %d passes\n", p.Scenario, p.Host, p.Resident, p.Processes, len(p.Passes))
	model := p.Curve[0].Model > 0
	head := fmt.Sprintf("%10s  %12s  %25s  %12s", "window", "dirtied", "passes (min-max)", "fitted")
	if model {
		head += fmt.Sprintf("  %12s", "model")
	}
	fmt.Fprintln(w, head)
	for _, c := range p.Curve {
		line := fmt.Sprintf("%9.2fs  %12s  %25s  %12s", c.WindowS, models.ByteSize(c.Bytes),
			models.ByteSize(c.Min).String()+" - "+models.ByteSize(c.Max).String(), models.ByteSize(c.Fitted))
		if model {
			line += fmt.Sprintf("  %12s", models.ByteSize(c.Model))
		}
		fmt.Fprintln(w, line)
	}
	if model {
		fmt.Fprintf(w, "the scenario's own model is within %.0f %% of the measured curve at every window\n", 100*p.ModelError)
	}
	wl := p.Fit.Workload
	fmt.Fprintf(w, "fit (within %.0f %%): memory.size %s, workload.wws %s, dirty_rate %s", 100*p.Fit.MaxError, p.Fit.Memory.Size, wl.WWS, wl.DirtyRate)
	if wl.HotFraction > 0 {
		fmt.Fprintf(w, ", hot_fraction %.3f, hot_share %.3f", wl.HotFraction, wl.HotShare)
	}
	if wl.Runtime.Hot > 0 {
		fmt.Fprintf(w, ", %s dirty in any window", wl.Runtime.Hot)
	}
	fmt.Fprintln(w)
}
