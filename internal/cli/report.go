package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

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
		Flags: []cli.Flag{formatFlag,
			&cli.StringFlag{Name: "group-by", Value: "scenario,technique,backend", Usage: "summary rows: comma-separated scenario, technique, backend, role (the backend is always added: backends never pool)"},
			&cli.BoolFlag{Name: "compare", Usage: "pair predicted (sim, analytic) with measured (real) records and show errors"},
			&cli.BoolFlag{Name: "rounds", Usage: "show the per-round detail of every record"},
			&cli.StringFlag{Name: "merge", Usage: "write the records of a sweep's shard files to this file (- for stdout) in the grid's order, " +
				"byte for byte the unsharded sweep's, instead of a table; refuses missing or overlapping shards, leaves out repeated ones"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("report: give at least one records file (JSON Lines written by sim, sweep, run or compare)")
			}
			if c.IsSet("merge") {
				return mergeShards(c, c.String("merge"), c.Args().Slice())
			}
			format, err := reports.ParseFormat(c.String("format"))
			if err != nil {
				return UsageError{err}
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
			return renderReport(c.App.Writer, format, recs, c.String("group-by"), c.Bool("compare"), c.Bool("rounds"))
		},
	}
}

func renderReport(w io.Writer, format reports.Format, recs []models.Record, groupBy string, compare, rounds bool) error {
	switch {
	case rounds:
		for _, r := range recs {
			if err := reports.Render(w, format, reports.Rounds(r)); err != nil {
				return err
			}
		}
		return nil
	case compare:
		pairs, scores := reports.ComparisonTables(recs)
		for _, t := range append([]reports.Table{pairs}, scores...) {
			if err := reports.Render(w, format, t); err != nil {
				return err
			}
		}
		return nil
	}
	keys, err := reports.ParseGroupBy(groupBy)
	if err != nil {
		return UsageError{err}
	}
	return reports.Render(w, format, reports.Summarize(recs, keys...))
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
