package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/calibrate"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/reports/bundle"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

func init() { extraCommands = append(extraCommands, CompareCommand()) }

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
			"calibration.json, report.md, plots/, command.txt, versions.json) to --out.",
		Flags: append(compareTestbedFlags(), formatFlag,
			&cli.StringFlag{Name: "replay", Usage: "re-predict the real records of an earlier comparison (`RECORDS`.jsonl) instead of migrating (no testbed needed; the scenarios come from the records)"},
			&cli.StringFlag{Name: "calibration", Required: true, Usage: "calibration `FILE` written by migrlab calibrate"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "out/compare", Usage: "report `DIR`"},
			&cli.StringFlag{Name: "techniques", Aliases: []string{"t"}, Usage: "comma-separated techniques (overrides the scenarios')"},
			&cli.IntFlag{Name: "reps", Usage: "repetitions per technique (overrides the scenarios')"},
			&cli.BoolFlag{Name: "no-analytic", Usage: "skip the closed-form model"},
			forceFlag,
		),
		Action: func(c *cli.Context) error {
			calib, err := readCalibrationFile(c.String("calibration"))
			if err != nil {
				return UsageError{err}
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
			scenarios, err := loadScenarioFiles(c.Args().Slice(), c.String("techniques"), c.Int("reps"))
			if err != nil {
				return err
			}
			if err := checkRealTime(c, scenarios); err != nil {
				return err
			}
			ctx := c.Context
			itb, tb, err := openTestbed(ctx, c.String("testbed"), c.String("state-dir"))
			if err != nil {
				return err
			}
			defer tb.Close()
			if calib.Testbed != tb.Name {
				fmt.Fprintf(c.App.ErrWriter, "warning: the calibration was made on testbed %q, comparing on %q\n", calib.Testbed, tb.Name)
			}
			run := compareRun{
				runner: newRealRunner(tb, c), calib: calib, scenarios: scenarios, dir: c.String("out"),
				title:   "migrlab compare on testbed " + tb.Name,
				command: commandLine(c), versions: versions(itb), analytic: !c.Bool("no-analytic"),
				progress: c.App.ErrWriter, format: c.String("format"), stdout: c.App.Writer,
			}
			_, err = run.do(ctx)
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

// PhasesFile is the per-phase error breakdown compare adds to the report directory.
const PhasesFile = "phases.md"

// compareTestbedFlags are testbedFlags with --testbed optional (--replay needs none).
func compareTestbedFlags() []cli.Flag {
	f := testbedFlags()
	f[0].(*cli.StringFlag).Required = false
	return f
}

// compareReplay re-predicts recorded real migrations with the calibration.
func compareReplay(c *cli.Context, calib models.Calibration, path string) error {
	if c.NArg() > 0 {
		return usagef("compare --replay: the scenarios come from the records; unexpected arguments %q", c.Args().Slice())
	}
	recs, err := readRecordsFile(path)
	if err != nil {
		return UsageError{err}
	}
	rp, scenarios := calibrate.NewReplay(recs)
	if len(scenarios) == 0 {
		return usagef("%s: no real records to replay", path)
	}
	run := compareRun{runner: rp, calib: calib, scenarios: scenarios, dir: c.String("out"),
		title:   "migrlab compare (replayed from " + path + ")",
		command: commandLine(c), versions: versionsFromRecords(recs), analytic: !c.Bool("no-analytic"),
		progress: c.App.ErrWriter, format: c.String("format"), stdout: c.App.Writer}
	_, err = run.do(c.Context)
	return interrupted(c.Context, err)
}

// compareRun is one comparison and its report directory.
type compareRun struct {
	runner    calibrate.Runner
	calib     models.Calibration
	scenarios []models.Scenario
	// extra records (for example the calibration's own) go into the report
	// before the comparison's.
	extra    []models.Record
	dir      string
	title    string
	command  []string
	versions map[string]string
	analytic bool
	progress io.Writer
	format   string
	stdout   io.Writer
}

// do runs the comparison, streaming the records to DIR/records.jsonl, then
// writes the report directory (also after a failure or an interrupt, with
// what was measured) and prints the tables.
func (r compareRun) do(ctx context.Context) ([]models.Record, error) {
	format, err := reports.ParseFormat(r.format)
	if err != nil {
		return nil, UsageError{err}
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}
	sink, err := newRecordSink(filepath.Join(r.dir, bundle.RecordsFile), buildinfo.Provenance(), false)
	if err != nil {
		return nil, err
	}
	defer sink.close()
	for _, x := range r.extra {
		sink.prov = x.Provenance
		if err := sink.write(x); err != nil {
			return nil, err
		}
	}
	recs, cerr := calibrate.Compare(ctx, r.runner, r.scenarios, calibrate.CompareOptions{
		Calibration: r.calib, Predictor: calibrate.SimPredictor{NoAnalytic: !r.analytic},
		Provenance: buildinfo.Provenance(), Progress: r.progress,
		Emit: func(rec models.Record) error {
			sink.prov = rec.Provenance
			return sink.write(rec)
		},
	})
	sink.close()
	all := append(append([]models.Record(nil), r.extra...), recs...)
	calib := r.calib
	if _, err := bundle.Write(r.dir, bundle.Input{Title: r.title, Records: all, Calibration: &calib,
		Command: r.command, Versions: r.versions}); err != nil {
		return all, errors.Join(cerr, fmt.Errorf("report directory: %w", err))
	}
	pairs, scores := reports.ComparisonTables(all)
	for _, t := range append([]reports.Table{pairs}, scores...) {
		if err := reports.Render(r.stdout, format, t); err != nil {
			return all, err
		}
	}
	detail, phases := calibrate.PhaseTables(all)
	if err := reports.Render(r.stdout, format, phases); err != nil {
		return all, err
	}
	var md bytes.Buffer
	md.WriteString("# Where the prediction error comes from\n\n")
	if err := reports.Render(&md, reports.FormatMarkdown, phases); err != nil {
		return all, err
	}
	md.WriteString("\n")
	if err := reports.Render(&md, reports.FormatMarkdown, detail); err != nil {
		return all, err
	}
	if err := os.WriteFile(filepath.Join(r.dir, PhasesFile), md.Bytes(), 0o644); err != nil {
		return all, err
	}
	fmt.Fprintf(r.progress, "report: %s (report.md, %s, records.jsonl, plots/)\n", r.dir, PhasesFile)
	return all, cerr
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
		return nil, err
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

// versionsFromRecords are the report's versions taken from the provenance of
// the first real record (a replay has no testbed to ask).
func versionsFromRecords(recs []models.Record) map[string]string {
	v := versions(nil)
	for _, r := range recs {
		if r.Backend != models.BackendReal {
			continue
		}
		p := r.Provenance
		v["recorded migrlab"], v["recorded commit"] = p.Version, p.Commit
		for _, k := range []string{"kernel", "podman", "criu", "runtime", "runtime_version", "thp", "accel", "network_backend", "testbed"} {
			if x := p.Host[k]; x != "" {
				v[k] = x
			}
		}
		break
	}
	return v
}

// commandLine is the command line that runs: App.Metadata["command"] when
// the caller set it (an in-process run), else os.Args.
func commandLine(c *cli.Context) []string {
	if v, ok := c.App.Metadata["command"].([]string); ok {
		return v
	}
	return os.Args
}
