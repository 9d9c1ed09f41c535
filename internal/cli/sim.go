package cli

import (
	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/sim"
	"github.com/urfave/cli/v2"
)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "simulate one scenario with each of its techniques and print a summary table",
		ArgsUsage: "[SCENARIO.yaml]",
		Description: "Runs the scenario in the discrete-event simulator (backend sim) and, where it applies,\n" +
			"the closed-form model (backend analytic). The scenario is --scenario FILE or the one argument;\n" +
			"without either the built-in edge-1g scenario runs.",
		Flags: append(append([]cli.Flag{}, scenarioFlags...), formatFlag,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write records as JSON Lines to this file (- for stdout)"},
			&cli.BoolFlag{Name: "no-analytic", Usage: "skip the closed-form model"},
			&cli.BoolFlag{Name: "rounds", Usage: "also print the per-round detail of the first repetition"},
		),
		Action: func(c *cli.Context) error {
			s, err := loadScenario(c)
			if err != nil {
				return err
			}
			format, err := reports.ParseFormat(c.String("format"))
			if err != nil {
				return UsageError{err}
			}
			sink, err := newRecordSink(c.String("out"), buildinfo.Provenance(), true)
			if err != nil {
				return err
			}
			defer sink.close()
			opts := sim.SweepOptions{Analytic: !c.Bool("no-analytic")}
			if err := sim.Sweep(c.Context, []models.Scenario{s}, opts, sink.write); err != nil {
				return err
			}
			if err := sink.close(); err != nil {
				return err
			}
			if err := reports.Render(c.App.Writer, format, reports.Summarize(sink.recs)); err != nil {
				return err
			}
			if c.Bool("rounds") {
				for _, r := range sink.recs {
					if r.Repetition == 0 && r.Backend == models.BackendSim {
						if err := reports.Render(c.App.Writer, format, reports.Rounds(r)); err != nil {
							return err
						}
					}
				}
			}
			return failedRecords(sink.recs)
		},
	}
}

// failedRecords turns records that carry an error into the command's error.
func failedRecords(recs []models.Record) error {
	n, first := 0, ""
	for _, r := range recs {
		if r.Error != "" {
			if n == 0 {
				first = r.Scenario + "/" + r.Technique + ": " + r.Error
			}
			n++
		}
	}
	if n > 0 {
		return usagef("%d of %d migrations failed; first: %s", n, len(recs), first)
	}
	return nil
}
