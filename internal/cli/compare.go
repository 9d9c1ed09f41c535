package cli

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// CompareCommand is `migrlab compare`: real migrations against calibrated
// predictions, with a report directory.
func CompareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "migrate for real and predict with the calibrated simulator; report the prediction error",
		ArgsUsage: "SCENARIO.yaml|SWEEP.yaml...",
		Description: "For every scenario (a sweep file expands to its scenarios), technique and repetition: one\n" +
			"real migration on the testbed (post-copy is skipped: Podman restores whole images), and the\n" +
			"prediction of the simulator (and of the closed-form model where it applies) for the scenario\n" +
			"with the calibration applied. Scenarios the calibration was derived from get the role\n" +
			"calibration and are not scored; all others are validation. Progress goes to stderr; the\n" +
			"comparison and the error summary to stdout; the report directory (records.jsonl,\n" +
			"calibration.json, report.md, plots/, command.txt, versions.json) to --out. With --search N and\n" +
			"no scenario files, scenarios are sampled, ranked by where the model is least to be trusted, and\n" +
			"the top N compared, then printed worst-predicted first (--dry-run: only ranked; docs/fidelity.md).",
		Flags: append(compareTestbedFlags(), formatFlag,
			&cli.StringFlag{Name: "replay", Usage: "re-predict the real records of an earlier comparison (`RECORDS`.jsonl) instead of migrating (no testbed needed; the scenarios come from the records)"},
			&cli.StringFlag{Name: "calibration", Usage: "calibration `FILE` written by migrlab calibrate (required)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "out/compare", Usage: "report `DIR`"},
			&cli.StringFlag{Name: "techniques", Aliases: []string{"t"}, Usage: "comma-separated techniques (overrides the scenarios')"},
			&cli.IntFlag{Name: "reps", Usage: "repetitions per technique (overrides the scenarios')"},
			&cli.BoolFlag{Name: "no-analytic", Usage: "skip the closed-form model"},
			forceFlag, noProfileFlag, profilePassesFlag, probeRepsFlag,
			&cli.IntFlag{Name: "search", Usage: "divergence search: sample --candidates scenarios, rank them by where the model is least to be trusted, migrate the top `N` for real and print them worst-predicted first (no scenario files)"},
			&cli.IntFlag{Name: "candidates", Value: fidelity.DefaultSearchCandidates, Usage: "with --search: how many scenarios to sample and rank"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "with --search: the sampler's seed (the same seed, the same candidates)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "with --search: print the ranked candidates and write them to --out/candidates/ without a testbed"},
		),
		Action: func(c *cli.Context) error {
			if c.String("calibration") == "" {
				return usagef("compare: give --calibration FILE (written by migrlab calibrate)")
			}
			calib, err := readCalibrationFile(c.String("calibration"))
			if err != nil {
				return UsageError{err}
			}
			if c.IsSet("search") {
				return compareSearch(c, calib)
			}
			for _, f := range []string{"candidates", "seed", "dry-run"} {
				if c.IsSet(f) {
					return usagef("compare: --%s goes with --search N", f)
				}
			}
			if p := c.String("replay"); p != "" {
				return compareReplay(c, calib, p)
			}
			if c.NArg() == 0 {
				return usagef("compare: give at least one scenario or sweep file (see examples/compare-*.yaml)")
			}
			if c.String("testbed") == "" {
				return usagef("compare: give --testbed NAME (or --replay RECORDS)")
			}
			if err := checkProbeReps(c); err != nil {
				return err
			}
			scenarios, err := loadScenarioFiles(c.Args().Slice(), c.String("techniques"), c.Int("reps"))
			if err != nil {
				return err
			}
			if err := checkRealTime(c, scenarios); err != nil {
				return err
			}
			format, err := reports.ParseFormat(c.String("format"))
			if err != nil {
				return UsageError{err}
			}
			ctx := c.Context
			tb, err := openTestbed(ctx, c)
			if err != nil {
				return err
			}
			defer tb.Close()
			if calib.Testbed != tb.Name {
				fmt.Fprintf(c.App.ErrWriter, "warning: the calibration was made on testbed %q, comparing on %q\n", calib.Testbed, tb.Name)
			}
			if !c.Bool("no-profile") {
				popt := real.ProfileOptions{Passes: c.Int("profile-passes"), Host: c.String("source"), StepTimeout: c.Duration("step-timeout"),
					Warmup:   real.ProfileWarmupFor(c.Duration("warmup")), // the app's age when its migrations start
					Progress: c.App.ErrWriter, Provenance: buildinfo.Provenance()}
				var profiled fidelity.ProfileConditions
				if scenarios, profiled, err = fidelity.ProfileApps(ctx, tb.Testbed, scenarios, filepath.Join(c.String("out"), "profiles"), popt, c.App.ErrWriter); err != nil {
					return err
				}
				for _, w := range profiled.Warnings(calib.Envelope) {
					fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
				}
			}
			runner := newRealRunner(tb.Testbed, c)
			runner.Options.LinkCapacity = calib.Capacity()
			var extra []models.Record
			if !c.Bool("no-profile") {
				probes, err := fidelity.RunProbes(ctx, runner, scenarios, c.Int("probe-reps"), c.App.ErrWriter)
				if err != nil {
					return interrupted(ctx, err)
				}
				calib = fidelity.WithAppCosts(ctx, calib, probes)
				extra = append(probes, fidelity.PredictRecords(ctx, fidelity.SimPredictor{}, calib, probes, buildinfo.Provenance())...)
			}
			_, err = fidelity.Comparison{
				Runner: runner, Calibration: calib, Scenarios: scenarios, Extra: extra, Dir: c.String("out"),
				Title:   "migrlab compare on testbed " + tb.Name,
				Command: commandLine(c), Versions: fidelity.Versions(tb.hosts), Analytic: !c.Bool("no-analytic"),
				Progress: c.App.ErrWriter, Format: format, Stdout: c.App.Writer,
			}.Run(ctx)
			return interrupted(ctx, err)
		},
	}
}

// checkRealTime prints the estimated wall-clock time of migrating scenarios
// for real (models.EstimateRealTime: the local TCG testbed) and refuses more
// than models.MaxRealTime unless --force.
func checkRealTime(c *cli.Context, scenarios []models.Scenario) error {
	var sec float64
	runs := 0
	for _, s := range scenarios {
		sec += models.EstimateRealTime(s, c.Duration("warmup")).Seconds()
		runs += models.RealRuns(s)
	}
	est := time.Duration(math.Min(sec, float64(math.MaxInt64)/1e9) * 1e9)
	fmt.Fprintf(c.App.ErrWriter, "estimate: %d real migrations, about %s on the local TCG testbed (%s fixed per migration, memory at %s)\n",
		runs, models.FormatEstimate(est), models.RealFixedPerMigration, models.RealLinkRate)
	if err := models.CheckRealTime(est, runs, c.Bool("force")); err != nil {
		return UsageError{err}
	}
	return nil
}

// compareTestbedFlags are testbedFlags with --testbed optional (--replay needs none).
func compareTestbedFlags() []cli.Flag {
	f := testbedFlags()
	f[0].(*cli.StringFlag).Required = false
	return append(f, forceLinkFlag)
}

// forceLinkFlag shapes a scenario's network even above what the testbed's
// private link carries (real.Options.ForceLink).
var forceLinkFlag = &cli.BoolFlag{Name: "force-link", Usage: "shape a scenario's network even when its rate is above what the testbed's private link carries " +
	"(refused by default: the link would deliver less than the scenario asks)"}

// compareReplay re-predicts recorded real migrations with the calibration.
func compareReplay(c *cli.Context, calib models.Calibration, path string) error {
	if c.NArg() > 0 {
		return usagef("compare --replay: the scenarios come from the records; unexpected arguments %q", c.Args().Slice())
	}
	recs, err := readRecordsFile(path)
	if err != nil {
		return UsageError{err}
	}
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return UsageError{err}
	}
	calib = fidelity.WithAppCosts(c.Context, calib, recs)
	rp, scenarios := fidelity.NewReplay(recs)
	if len(scenarios) == 0 {
		return usagef("%s: no real records to replay", path)
	}
	_, err = fidelity.Comparison{Runner: rp, Calibration: calib, Scenarios: scenarios, Dir: c.String("out"),
		Title:   "migrlab compare (replayed from " + path + ")",
		Command: commandLine(c), Versions: fidelity.VersionsFromRecords(recs), Analytic: !c.Bool("no-analytic"),
		Progress: c.App.ErrWriter, Format: format, Stdout: c.App.Writer}.Run(c.Context)
	return interrupted(c.Context, err)
}

// readCalibrationFile reads and validates a calibration file.
func readCalibrationFile(path string) (models.Calibration, error) {
	return readCalibrationWith(path, models.ReadCalibration)
}

// readCalibrationFacts reads the testbed facts of a calibration file of any
// schema (models.ReadCalibrationFacts).
func readCalibrationFacts(path string) (models.Calibration, error) {
	return readCalibrationWith(path, models.ReadCalibrationFacts)
}

func readCalibrationWith(path string, read func(io.Reader) (models.Calibration, error)) (models.Calibration, error) {
	f, err := os.Open(path)
	if err != nil {
		return models.Calibration{}, fmt.Errorf("calibration: %w", err)
	}
	defer f.Close()
	c, err := read(f)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// overrideScenario applies the command line's techniques (comma-separated)
// and repetitions to s, when given, and validates the result.
func overrideScenario(s *models.Scenario, techniques string, reps int) error {
	if techniques != "" {
		s.Techniques = strings.Split(techniques, ",")
	}
	if reps != 0 {
		s.Repetitions = reps
	}
	return s.Validate()
}

// loadScenarioFiles reads scenario and sweep files (a sweep expands to its
// scenarios) and applies the techniques and repetitions overrides; errors
// are usage errors.
func loadScenarioFiles(paths []string, techniques string, reps int) ([]models.Scenario, error) {
	var out []models.Scenario
	seen := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, usagef("scenario: %v", err)
		}
		ss, err := parseScenarioOrSweep(data)
		if err != nil {
			return nil, usagef("%s: %v", p, err)
		}
		for _, s := range ss {
			if err := overrideScenario(&s, techniques, reps); err != nil {
				return nil, usagef("%s: scenario %q: %v", p, s.Name, err)
			}
			if prev, dup := seen[s.Name]; dup {
				return nil, usagef("%s: scenario name %q is also in %s; records pair by name, rename one", p, s.Name, prev)
			}
			seen[s.Name] = p
			out = append(out, s)
		}
	}
	return out, nil
}

// parseScenarioOrSweep parses a scenario, or a sweep (a file with `grid` or
// `base`) into its scenarios.
func parseScenarioOrSweep(data []byte) ([]models.Scenario, error) {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, models.LocateSyntaxError(data, err)
	}
	_, grid := top["grid"]
	_, base := top["base"]
	if !grid && !base {
		s, err := models.ParseScenario(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return []models.Scenario{s}, nil
	}
	sw, err := models.ParseSweep(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out := make([]models.Scenario, sw.Size())
	for i := range out {
		if out[i], err = sw.Scenario(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// commandLine is the command line that runs: App.Metadata["command"] when
// the caller set it (an in-process run), else os.Args.
func commandLine(c *cli.Context) []string {
	if v, ok := c.App.Metadata["command"].([]string); ok {
		return v
	}
	return os.Args
}
