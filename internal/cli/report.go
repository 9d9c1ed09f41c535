package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
)

var formatFlag = &cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table",
	Usage: "output format: table, markdown, csv, json or latex"}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "re-render records (JSON Lines) as a table without re-running anything",
		ArgsUsage: "RECORDS.jsonl [MORE.jsonl...] (- for stdin)",
		Description: "Tables: summary (the default), with --compare pairs, errors, cells and repeatability, " +
			"with --rounds the rounds of every record, and by --table NAME any one of " + strings.Join(reportTableNames, ", ") + ".\n" +
			"CSV, JSON and LaTeX hold one table per output: with several, choose one (--table) or write each to its own\n" +
			"file (--out-dir DIR); otherwise report refuses (exit 2). --tidy is --table records -f csv: one row per record,\n" +
			"every parameter that differs between the records a column of its own in base units, then the metrics.\n" +
			"Figures: --plot DIR writes them instead of a table (SVG by default; --plot-format svg,png,pdf,eps,tex,\n" +
			"--plot-size 3.5x2.5in, --no-title, --series-by PARAMETER): predicted vs measured, downtime against dirty\n" +
			"rate, memory size and link rate, and the downtime CDF, for any records (docs/reports.md).",
		Flags: append([]cli.Flag{formatFlag,
			&cli.StringFlag{Name: "group-by", Value: "scenario,technique,backend", Usage: "summary rows: comma-separated scenario, technique, backend, role (the backend is always added: backends never pool)"},
			&cli.BoolFlag{Name: "compare", Usage: "pair predicted (sim, analytic) with measured (real) records and show errors (tables pairs, errors, cells, repeatability)"},
			&cli.BoolFlag{Name: "rounds", Usage: "show the per-round detail of every record (one table per record in table and markdown, one long table otherwise)"},
			&cli.BoolFlag{Name: "tidy", Usage: "one row per record with the parameters that differ as columns (--table records; CSV unless -f says otherwise)"},
			&cli.BoolFlag{Name: "all-params", Usage: "with --tidy or --table records: every parameter, not only those that differ between records"},
			&cli.StringFlag{Name: "merge", Usage: "write the records of a sweep's shard files to this file (- for stdout) in the grid's order, " +
				"byte for byte the unsharded sweep's, instead of a table; refuses missing or overlapping shards, leaves out repeated ones"},
		}, append(tableFlags(reportTableNames), plotFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("report: give at least one records file (JSON Lines written by sim, sweep, run or compare)")
			}
			if c.IsSet("merge") {
				return mergeShards(c, c.String("merge"), c.Args().Slice())
			}
			preq, plotting, err := plotRequestOf(c)
			if err != nil {
				return err
			}
			var opts reportOptions
			if !plotting {
				if opts, err = reportOptionsOf(c); err != nil {
					return err
				}
			}
			var recs []models.Record
			for _, p := range c.Args().Slice() {
				rs, err := readRecordsFile(p)
				if err != nil {
					return UsageError{err}
				}
				recs = append(recs, rs...)
			}
			if len(recs) == 0 {
				return usagef("report: the files hold no records")
			}
			var dups int
			if recs, dups = dedupeRecords(recs); dups > 0 {
				fmt.Fprintf(c.App.ErrWriter, "warning: %d duplicate record(s) left out (the same scenario, technique, backend, repetition and seed: "+
					"was a file, or a sweep's shard, given twice?)\n", dups)
			}
			for _, w := range reports.SweepCoverage(recs) {
				fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
			}
			if plotting {
				return writePlots(c, recs, preq)
			}
			tables, err := reportTables(recs, opts)
			if err != nil {
				return err
			}
			return opts.write(c, c.App.Writer, tables)
		},
	}
}

// reportTableNames are the tables report makes, for --table and --out-dir.
var reportTableNames = []string{"summary", "pairs", "errors", "cells", "repeatability", "scores", "brief",
	"phases", "phase-pairs", "rounds", "records"}

// reportOptions are report's flags that choose its tables.
type reportOptions struct {
	tableChoice
	groupBy         []reports.GroupKey
	compare, rounds bool
	allParams       bool
}

// reportOptionsOf reads and checks report's flags before any file is read:
// several tables in a one-table format are refused here.
func reportOptionsOf(c *cli.Context) (reportOptions, error) {
	ch, err := parseTableChoice(c, reportTableNames)
	if err != nil {
		return reportOptions{}, err
	}
	o := reportOptions{tableChoice: ch, compare: c.Bool("compare"), rounds: c.Bool("rounds"), allParams: c.Bool("all-params")}
	if c.Bool("tidy") {
		if o.name != "" && o.name != "records" {
			return o, usagef("report: --tidy is --table records; not with --table %s", o.name)
		}
		o.name = "records"
		if !c.IsSet("format") {
			o.format = reports.FormatCSV
		}
	}
	if o.compare && o.rounds && o.name == "" {
		return o, usagef("report: --compare or --rounds, not both (or choose one table with --table)")
	}
	if o.groupBy, err = reports.ParseGroupBy(c.String("group-by")); err != nil {
		return o, UsageError{err}
	}
	var names []string
	switch {
	case o.name != "":
	case o.compare:
		names = []string{"pairs", "errors", "cells", "repeatability"}
	case o.rounds:
		names = []string{"rounds"}
	}
	return o, o.refuseSeveral("report --compare", names)
}

// reportTables makes the tables the options ask for: one named by --table,
// else --compare's or --rounds' set, else the summary.
func reportTables(recs []models.Record, o reportOptions) ([]namedTable, error) {
	switch {
	case o.name != "":
		return reportTable(recs, o, o.name), nil
	case o.compare:
		ct, sum := reports.Compare(recs)
		out := []namedTable{{"pairs", ct.Table()}, {"errors", sum.Table()}}
		if cs := reports.CellMedians(ct.Pairs); len(cs.Stats) > 0 {
			out = append(out, namedTable{"cells", cs.Table()})
		}
		if rs := reports.Repeatability(recs); len(rs) > 0 {
			out = append(out, namedTable{"repeatability", reports.RepeatabilityTable(rs)})
		}
		return out, nil
	case o.rounds:
		return reportTable(recs, o, "rounds"), nil
	}
	return reportTable(recs, o, "summary"), nil
}

// reportTable makes the table called name (the rounds: one per record in
// the human formats on stdout, one long table otherwise).
func reportTable(recs []models.Record, o reportOptions, name string) []namedTable {
	var t reports.Table
	switch name {
	case "summary":
		t = reports.Summarize(recs, o.groupBy...)
	case "pairs":
		ct, _ := reports.Compare(recs)
		t = ct.Table()
	case "errors":
		_, sum := reports.Compare(recs)
		t = sum.Table()
	case "cells":
		ct, _ := reports.Compare(recs)
		t = reports.CellMedians(ct.Pairs).Table()
	case "repeatability":
		t = reports.RepeatabilityTable(reports.Repeatability(recs))
	case "scores":
		t = reports.ScenarioScoresTable(recs)
	case "brief":
		t = reports.Brief(recs, nil)
	case "phases":
		_, t = reports.PhaseTables(recs)
	case "phase-pairs":
		t, _ = reports.PhaseTables(recs)
	case "records":
		t = reports.Tidy(recs, o.allParams)
	case "rounds":
		if oneTablePerOutput(o.format) || o.dir != "" {
			t = reports.AllRounds(recs)
			break
		}
		var out []namedTable
		for _, r := range recs {
			out = append(out, namedTable{"rounds", reports.Rounds(r)})
		}
		return out
	}
	return []namedTable{{name, t}}
}

func readRecordsFile(path string) ([]models.Record, error) {
	f := os.Stdin
	if path != "-" {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		defer f.Close()
	}
	recs, err := models.ReadRecords(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// dedupeRecords drops records that repeat an earlier one's scenario,
// technique, backend, repetition, seed and role (the same file given twice
// would double every n), and returns how many it dropped.
func dedupeRecords(recs []models.Record) ([]models.Record, int) {
	seen := map[string]bool{}
	out := recs[:0:0]
	for _, r := range recs {
		k := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d\x00%s", r.Scenario, r.Technique, r.Backend, r.Repetition, r.Seed, r.Role)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out, len(recs) - len(out)
}

// mergeShards writes the shard files' records to out in the grid's order
// (reports.MergeShards) and says what it merged on stderr.
func mergeShards(c *cli.Context, out string, paths []string) error {
	var ins []reports.ShardInput
	for _, p := range paths {
		if p == "-" {
			return usagef("report --merge: name the shard files (standard input cannot be read twice)")
		}
		ins = append(ins, reports.ShardInput{Name: p, Open: func() (io.ReadCloser, error) {
			f, err := os.Open(p)
			if err != nil {
				return nil, UsageError{fmt.Errorf("report: %w", err)}
			}
			return f, nil
		}})
	}
	w := c.App.Writer
	var tmp *os.File
	if out != "-" {
		// Checked first, written next to out and renamed: a refused merge
		// leaves no partial file.
		var err error
		if tmp, err = os.CreateTemp(dirOf(out), ".merge-*.jsonl"); err != nil {
			return fmt.Errorf("report --merge: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = tmp
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	res, err := reports.MergeShards(bw, ins)
	if errors.Is(err, reports.ErrShards) {
		return UsageError{err}
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && tmp != nil {
		if err = tmp.Chmod(0o644); err == nil {
			err = tmp.Close()
		}
		if err == nil {
			err = os.Rename(tmp.Name(), out)
		}
	}
	if err != nil {
		return err
	}
	for _, name := range res.Repeated {
		fmt.Fprintf(c.App.ErrWriter, "warning: %s repeats another file, left out (a shard given twice?)\n", name)
	}
	fmt.Fprintf(c.App.ErrWriter, "merged %d shard file(s) of sweep %s (id %s): %d scenarios, %d records",
		res.Files, res.Sweep.Name, res.Sweep.ID, res.Scenarios, res.Records)
	if len(res.Empty) > 0 {
		fmt.Fprintf(c.App.ErrWriter, "; %d empty file(s)", len(res.Empty))
	}
	fmt.Fprintln(c.App.ErrWriter)
	return nil
}
