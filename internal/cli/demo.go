package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/migrlab/migrlab/examples"
	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
)

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
			&cli.IntFlag{Name: "calibration-repeat", Value: 3, Usage: "run the calibration migrations `N` times and fit over all of them (see migrlab calibrate --repeat; each repetition adds about 2-3 minutes under TCG; the more there are, the less one noisy migration weighs)"},
			&cli.DurationFlag{Name: "step-timeout", Value: real.DefaultStepTimeout, Usage: "timeout of every agent operation"},
			&cli.BoolFlag{Name: "keep-testbed", Usage: "leave the testbed up at the end (tear it down with migrlab testbed down)"},
			noProfileFlag, profilePassesFlag, probeRepsFlag,
		},
		Action: runDemo,
	}
}

func runDemo(c *cli.Context) error {
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
	if err := checkProbeReps(c); err != nil {
		return err
	}
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return UsageError{err}
	}
	if p := c.String("agent-binary"); p != "" && !isFile(p) {
		return usagef("agent binary %s: not a file", p)
	}
	scenarios, err := demoScenarios(c.StringSlice("scenario"), c.Int("reps"))
	if err != nil {
		return err
	}
	copt, err := calibrationOptions(c, "calibration-repeat", nil)
	if err != nil {
		return err
	}
	opt := fidelity.DemoOptions{
		Name: c.String("name"), StateDir: c.String("state-dir"), Accel: accel, Scenarios: scenarios,
		WorkloadBinary: c.String("workload-binary"), AgentBinary: c.String("agent-binary"),
		Warmup: c.Duration("warmup"), StepTimeout: c.Duration("step-timeout"), Calibration: copt,
		KeepTestbed: c.Bool("keep-testbed"), Out: c.String("out"), Command: commandLine(c),
		Profile: real.ProfileOptions{Passes: c.Int("profile-passes")}, NoProfile: c.Bool("no-profile"), ProbeReps: c.Int("probe-reps"),
		Format: format, Stdout: c.App.Writer, Progress: c.App.ErrWriter,
	}
	if verbose(c) {
		opt.AgentTrace = c.App.ErrWriter
	}
	err = fidelity.Demo(c.Context, opt)
	return interrupted(c.Context, err)
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

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
