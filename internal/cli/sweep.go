package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/sim"
	"github.com/urfave/cli/v2"
)

func sweepCommand() *cli.Command {
	return &cli.Command{
		Name:      "sweep",
		Usage:     "simulate a grid of scenarios on all cores, streaming records",
		ArgsUsage: "SWEEP.yaml",
		Flags: []cli.Flag{formatFlag,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "-", Usage: "records as JSON Lines to this file (- for stdout)"},
			&cli.BoolFlag{Name: "summary", Usage: "print a summary table on stderr when done"},
			&cli.BoolFlag{Name: "analytic", Usage: "add the closed-form model's records"},
			forceFlag,
			&cli.IntFlag{Name: "workers", Usage: "scenarios simulated at once (default: every core)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
			&cli.BoolFlag{Name: "rounds", Usage: "keep every round in the records (large: MiGrror syncs hundreds of times)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("sweep: give one sweep file (see examples/sweep-dirty-rate.yaml)")
			}
			f, err := os.Open(c.Args().First())
			if err != nil {
				return usagef("sweep: %v", err)
			}
			force := c.Bool("force")
			sw, err := models.ParseSweep(f)
			f.Close()
			if err != nil && !(force && errors.Is(err, models.ErrTooLarge)) {
				return UsageError{err}
			}
			if err := sw.Check(force); err != nil {
				return UsageError{err}
			}
			scenarios := make([]models.Scenario, sw.Size())
			for i := range scenarios {
				if scenarios[i], err = sw.Scenario(i); err != nil {
					return UsageError{err}
				}
			}
			events, err := models.CheckSweepCost(scenarios, force)
			if err != nil {
				return UsageError{err}
			}
			if !c.Bool("quiet") {
				fmt.Fprintf(c.App.ErrWriter, "sweep: %d scenarios, estimated at most %.3g simulator events\n", len(scenarios), events)
			}
			sink, err := newRecordSink(c.String("out"), buildinfo.Provenance(), c.Bool("summary"))
			if err != nil {
				return err
			}
			defer sink.close()
			prog := &sim.Progress{}
			var bar *progress
			if !c.Bool("quiet") {
				bar = startProgress(c.App.ErrWriter, "scenarios", int64(len(scenarios)), prog.Scenarios.Load)
			}
			// Sweeps allocate many short-lived results; a lazier GC saves ~30% CPU.
			defer debug.SetGCPercent(debug.SetGCPercent(400))
			start := time.Now()
			err = sim.Sweep(c.Context, scenarios, sim.SweepOptions{Analytic: c.Bool("analytic"), Workers: c.Int("workers"), Progress: prog, OmitRounds: !c.Bool("rounds")}, sink.write)
			if bar != nil {
				bar.finish()
			}
			if err != nil {
				return err
			}
			el := time.Since(start)
			fmt.Fprintf(c.App.ErrWriter, "sweep: %d scenarios, %d records, %d failed, %d events in %.3fs (%.1f µs/scenario)\n",
				len(scenarios), prog.Records.Load(), prog.Failed.Load(), prog.Events.Load(), el.Seconds(),
				float64(el.Microseconds())/float64(max(1, len(scenarios))))
			if err := sink.close(); err != nil {
				return err
			}
			if c.Bool("summary") {
				format, err := reports.ParseFormat(c.String("format"))
				if err != nil {
					return UsageError{err}
				}
				return reports.Render(c.App.ErrWriter, format, reports.Summarize(sink.recs))
			}
			return nil
		},
	}
}

// forceFlag lets sweep, run and compare start work that their estimates
// call too large (models.MaxSweepScenarios, MaxSweepEvents, MaxRealTime).
var forceFlag = &cli.BoolFlag{Name: "force", Usage: fmt.Sprintf("run even when the scenario count or the estimated cost is over "+
	"the limit (sweep: max_scenarios, at most %d, or %.0e simulator events; run, compare: %s of real migrations)",
	models.MaxSweepScenarios, float64(models.MaxSweepEvents), models.FormatEstimate(models.MaxRealTime))}
