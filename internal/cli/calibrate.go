package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/testbed"
	"github.com/urfave/cli/v2"
)

// testbedFlags are the flags of commands that migrate on a testbed.
func testbedFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "testbed", Required: true, Usage: "testbed `NAME` (see migrlab testbed up)"},
		&cli.StringFlag{Name: "state-dir", Usage: "testbed state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}},
		&cli.StringFlag{Name: "source", Usage: "source `HOST` (default: the testbed's first host)"},
		&cli.StringFlag{Name: "target", Usage: "target `HOST` (default: the testbed's second host)"},
		&cli.DurationFlag{Name: "warmup", Value: 3 * time.Second, Usage: "how long each workload runs before its migration starts"},
		&cli.DurationFlag{Name: "step-timeout", Value: real.DefaultStepTimeout, Usage: "timeout of every agent operation"},
	}
}

// CalibrateCommand is `migrlab calibrate`: measure a testbed for the simulator.
func CalibrateCommand() *cli.Command {
	flags := testbedFlags()
	flags[0].(*cli.StringFlag).Required = false
	return &cli.Command{
		Name:  "calibrate",
		Usage: "measure a testbed (link, checkpoint/restore costs, memory, dirtying) for the simulator",
		Description: "After --warmup-migrations throwaway migrations (a fresh testbed's first operations are\n" +
			"slower; recorded with role warmup, never fitted), measures the link between the testbed's agents\n" +
			"(round trips and a bulk transfer over the private link) and runs four small real migrations\n" +
			"(--sizes: pre-copy and cold of the first, pre-copy of one half again as large, cold of the second; --repeat times); from their per-phase timings it fits the simulator's costs (models.FitLine, R² and n kept), the\n" +
			"container's base memory and how the workload really dirties memory. Three check migrations\n" +
			"follow in each repetition (cold, pre-copy and MiGrror of scenarios the four are not; role check):\n" +
			"never fitted, they are predicted, and their error is the model's own (model_errors), which widens\n" +
			"every prediction interval. It writes a calibration file (JSON) for `migrlab compare`. With --from-records it fits again from the records of an\n" +
			"earlier calibration (--records) without a testbed.",
		Flags: append(flags,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "calibration.json", Usage: "write the calibration to `FILE` (- for stdout)"},
			&cli.StringFlag{Name: "records", Usage: "also write the calibration migrations' records (JSON Lines) to `FILE`"},
			&cli.StringFlag{Name: "sizes", Value: "8MiB,24MiB", Usage: "the two container `SIZES` of the calibration migrations"},
			&cli.Int64Flag{Name: "link-bytes", Value: 16 << 20, Usage: "size of the bulk link transfer in bytes"},
			warmupMigrationsFlag,
			&cli.IntFlag{Name: "repeat", Value: 1, Usage: "run the calibration migrations `N` times and fit over all of them (each migration's noise weighs less; about 2-3 minutes more per repetition under TCG)"},
			&cli.StringFlag{Name: "from-records", Usage: "fit from these calibration records (JSON Lines) instead of migrating"},
			&cli.StringFlag{Name: "previous", Usage: "with --from-records: an earlier calibration `FILE` whose link latency, testbed and hosts are kept"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("calibrate: unexpected arguments %q", c.Args().Slice())
			}
			if p := c.String("from-records"); p != "" {
				return calibrateFromRecords(c, p)
			}
			if c.String("testbed") == "" {
				return usagef("calibrate: give --testbed NAME (or --from-records FILE)")
			}
			plan, err := planFromSizes(c.String("sizes"))
			if err != nil {
				return err
			}
			copt, err := calibrationOptions(c, "repeat", plan)
			if err != nil {
				return err
			}
			ctx := c.Context
			copt.Progress = c.App.ErrWriter
			tb, err := openTestbed(ctx, c)
			if err != nil {
				return err
			}
			defer tb.Close()
			r := newRealRunner(tb.Testbed, c)
			r.LinkBytes = c.Int64("link-bytes")
			res, err := fidelity.CalibrateTestbed(ctx, tb.hosts, r, copt)
			if res != nil && c.String("records") != "" {
				if werr := fidelity.WriteRecordsFile(c.String("records"), slices.Concat(res.Warmup, res.Records)); werr != nil {
					return werr
				}
			}
			if err != nil {
				return interrupted(ctx, err)
			}
			if err := writeCalibration(c, res.Calibration, res.Took); err != nil {
				return err
			}
			if len(res.Failed) > 0 {
				return fmt.Errorf("%d calibration migration(s) failed, the calibration is from the others: %w", len(res.Failed), errors.Join(res.Failed...))
			}
			return nil
		},
	}
}

// planFromSizes parses --sizes into the calibration plan.
func planFromSizes(v string) ([]fidelity.Step, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return nil, usagef("--sizes: want two sizes, for example 8MiB,24MiB; got %q", v)
	}
	var sz [2]models.ByteSize
	for i, p := range parts {
		b, err := models.ParseByteSize(strings.TrimSpace(p))
		if err != nil || b < 1<<20 || b > 1<<30 {
			return nil, usagef("--sizes: %q is not a size between 1MiB and 1GiB", p)
		}
		sz[i] = b
	}
	if sz[0] >= sz[1] {
		return nil, usagef("--sizes: the second size must be larger than the first (%s)", v)
	}
	return fidelity.PlanFor(sz[0], sz[1]), nil
}

// calibrateFromRecords fits a calibration from recorded calibration migrations.
func calibrateFromRecords(c *cli.Context, path string) error {
	recs, err := readRecordsFile(path)
	if err != nil {
		return UsageError{err}
	}
	var prev *models.Calibration
	if p := c.String("previous"); p != "" {
		// Any schema: only its testbed facts and link are kept.
		facts, err := readCalibrationFacts(p)
		if err != nil {
			return UsageError{err}
		}
		prev = &facts
	}
	cal, err := fidelity.Refit(recs, prev)
	if errors.Is(err, fidelity.ErrNothingToFit) {
		return usagef("%s: %v", path, err)
	}
	if err != nil {
		return err
	}
	return writeCalibration(c, cal, 0)
}

// writeCalibration describes the calibration on stderr and writes it to --out.
func writeCalibration(c *cli.Context, cal models.Calibration, took time.Duration) error {
	stderr := c.App.ErrWriter
	fmt.Fprint(stderr, fidelity.Describe(cal))
	var buf bytes.Buffer
	if err := models.WriteCalibration(&buf, cal); err != nil {
		return err
	}
	p := c.String("out")
	if p == "-" {
		_, err := c.App.Writer.Write(buf.Bytes())
		return err
	}
	if err := os.MkdirAll(dirOf(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "calibration written to %s (%s)\n", p, took.Round(time.Second))
	return nil
}

// warmupMigrationsFlag is calibrate's and demo's --warmup-migrations.
var warmupMigrationsFlag = &cli.IntFlag{Name: "warmup-migrations", Value: 1,
	Usage: "throwaway migrations before the calibration's (a fresh testbed's first podman and CRIU operations are slower); 0: none"}

// calibrationOptions reads --warmup-migrations and the repetitions flag
// (repeatFlag) into calibration options with plan.
func calibrationOptions(c *cli.Context, repeatFlag string, plan []fidelity.Step) (fidelity.CalibrateOptions, error) {
	opt := fidelity.CalibrateOptions{Plan: plan, WarmupMigrations: c.Int("warmup-migrations"), Repeat: c.Int(repeatFlag)}
	if opt.WarmupMigrations < 0 || opt.WarmupMigrations > 10 {
		return opt, usagef("--warmup-migrations: want 0 to 10, got %d", opt.WarmupMigrations)
	}
	if opt.Repeat < 1 || opt.Repeat > 10 {
		return opt, usagef("--%s: want 1 to 10, got %d", repeatFlag, opt.Repeat)
	}
	return opt, nil
}

// openedTestbed is a testbed a command migrates on: its hosts file, the
// connections to its agents, and its lock, held until Close.
type openedTestbed struct {
	*real.Testbed
	hosts  *testbed.Testbed
	unlock func()
}

// Close closes the connections and releases the lock.
func (t *openedTestbed) Close() error {
	err := t.Testbed.Close()
	t.unlock()
	return err
}

// openTestbed loads a testbed's state, takes its lock for the command (no
// other command migrates on it, nor brings it up or down, until Close) and
// connects to its agents.
func openTestbed(ctx context.Context, c *cli.Context) (*openedTestbed, error) {
	var opts []infra.Option
	if d := c.String("state-dir"); d != "" {
		opts = append(opts, infra.WithStateDir(d))
	}
	hosts, err := infra.Load(c.String("testbed"), opts...)
	if err != nil {
		return nil, err
	}
	unlock, err := testbed.Lock(hosts.Dir, "migrlab "+c.Command.Name)
	if err != nil {
		return nil, fmt.Errorf("testbed %s: %w", hosts.Name, err)
	}
	octx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	tb, err := real.Open(octx, hosts)
	if err != nil {
		unlock()
		return nil, err
	}
	if verbose(c) {
		for _, h := range tb.Hosts {
			h.Agent.Trace = c.App.ErrWriter
		}
	}
	return &openedTestbed{Testbed: tb, hosts: hosts, unlock: unlock}, nil
}

// newRealRunner is the runner of the testbed flags' migrations on tb.
func newRealRunner(tb *real.Testbed, c *cli.Context) *fidelity.RealRunner {
	return &fidelity.RealRunner{Testbed: tb, Options: real.Options{
		Source: c.String("source"), Target: c.String("target"),
		Warmup: c.Duration("warmup"), StepTimeout: c.Duration("step-timeout"),
		Progress: c.App.ErrWriter, Provenance: buildinfo.Provenance(),
		ForceLink: c.Bool("force-link"),
	}}
}
