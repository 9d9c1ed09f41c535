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
			"without either the built-in edge-1g scenario runs.\n" +
			"Tables: summary, rounds (--rounds: the first repetition's, simulator only) and records (one row per record).\n" +
			"CSV, JSON and LaTeX hold one table per output (--table or --out-dir choose). With -o - the records\n" +
			"take stdout and the table goes to stderr, in table or markdown only.",
		Flags: append(append(append([]cli.Flag{}, scenarioFlags...), formatFlag,
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write records as JSON Lines to this file (- for stdout)"},
			&cli.BoolFlag{Name: "no-analytic", Usage: "skip the closed-form model"},
			&cli.BoolFlag{Name: "rounds", Usage: "also print the per-round detail of the first repetition"},
		), tableFlags(simTableNames)...),
		Action: func(c *cli.Context) error {
			s, err := loadScenario(c)
			if err != nil {
				return err
			}
			if verbose(c) {
				writeResolved(c.App.ErrWriter, s.WithDefaults())
			}
			ch, err := parseTableChoice(c, simTableNames)
			if err != nil {
				return err
			}
			names := []string{"summary"}
			switch {
			case ch.name != "":
				names = []string{ch.name}
			case c.Bool("rounds"):
				names = append(names, "rounds")
			}
			if err := ch.refuseSeveral("sim --rounds", names); err != nil {
				return err
			}
			// One document on stdout: with -o - the records are it, and the
			// table is for the eyes, on stderr.
			tableOut := c.App.Writer
			if c.String("out") == "-" && ch.dir == "" {
				if oneTablePerOutput(ch.format) {
					return usagef("sim -o - -f %s: the records (JSON Lines) take stdout, and a %s table would mix with them: "+
						"write the records to a file (-o FILE), the table to files (--out-dir DIR), or show the table as -f table or markdown (on stderr)",
						ch.format, ch.format)
				}
				tableOut = c.App.ErrWriter
			}
			sink, err := newRecordSink(c.String("out"), c.App.Writer, buildinfo.Provenance(), true)
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
			var tables []namedTable
			for _, name := range names {
				switch name {
				case "summary":
					tables = append(tables, namedTable{name, reports.Summarize(sink.recs)})
				case "records":
					tables = append(tables, namedTable{name, reports.Tidy(sink.recs, false)})
				case "rounds":
					var first []models.Record
					for _, r := range sink.recs {
						if r.Repetition == 0 && r.Backend == models.BackendSim {
							first = append(first, r)
						}
					}
					if oneTablePerOutput(ch.format) || ch.dir != "" {
						tables = append(tables, namedTable{name, reports.AllRounds(first)})
						break
					}
					for _, r := range first {
						tables = append(tables, namedTable{name, reports.Rounds(r)})
					}
				}
			}
			if err := ch.write(c, tableOut, tables); err != nil {
				return err
			}
			return failedRecords(sink.recs)
		},
	}
}

// simTableNames are the tables sim makes, for --table and --out-dir.
var simTableNames = []string{"summary", "rounds", "records"}

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
