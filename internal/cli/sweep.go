package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
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
			&cli.BoolFlag{Name: "summary", Usage: "print a summary table when done (holds every record in memory): on stdout, " +
				"or on stderr in table or markdown when the records take stdout (-o -)"},
			&cli.BoolFlag{Name: "analytic", Usage: "add the closed-form model's records"},
			forceFlag,
			&cli.IntFlag{Name: "workers", Usage: "scenarios simulated at once (default: every core)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
			&cli.BoolFlag{Name: "rounds", Usage: "keep every round in the records (large: MiGrror syncs hundreds of times)"},
			&cli.StringFlag{Name: "shard", Usage: "run only the i-th (from 0) of N contiguous slices of the grid, given as i/N; " +
				"the shards' records, concatenated in shard order, are the whole sweep's"},
			&cli.IntFlag{Name: "shards", Usage: "run one of N shards, its index from $" + models.ShardEnv[0] +
				" (a Kubernetes Indexed Job) or $" + models.ShardEnv[1] + " (a Slurm job array)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the sweep to this file (go tool pprof)"},
			&cli.StringFlag{Name: "memprofile", Usage: "write the sweep's allocations (heap profile, go tool pprof -sample_index=alloc_space) to this file"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("sweep: give one sweep file (see examples/sweep-dirty-rate.yaml)")
			}
			shard, err := sweepShard(c)
			if err != nil {
				return UsageError{err}
			}
			if err := checkSummaryOutput(c); err != nil {
				return err
			}
			f, err := os.Open(c.Args().First())
			if err != nil {
				return usagef("sweep: %v", err)
			}
			force := c.Bool("force")
			sw, err := models.ParseSweep(f)
			f.Close()
			if err != nil && !(force && errors.Is(err, models.ErrTooLarge)) {
				return usagef("%s: %w", c.Args().First(), err)
			}
			if err := sw.Check(force); err != nil {
				return UsageError{err}
			}
			src := sw.Slice(shard)
			defer sweepGC(c)() // the check too: it builds every scenario
			cost, err := sim.CheckSource(c.Context, src, c.Int("workers"))
			if err != nil {
				if c.Context.Err() != nil {
					return err // interrupted, not refused
				}
				return UsageError{err}
			}
			if err := cost.Check(force); err != nil {
				return UsageError{err}
			}
			quiet := c.Bool("quiet")
			if !quiet {
				fmt.Fprintf(c.App.ErrWriter, "sweep: %s, estimated at most %.3g simulator events\n", describeShard(src, shard), cost.Events)
			}
			if p := c.String("cpuprofile"); p != "" {
				stop, err := startCPUProfile(p)
				if err != nil {
					return err
				}
				defer stop()
			}
			if p := c.String("memprofile"); p != "" {
				defer writeMemProfile(p, c.App.ErrWriter)
			}
			return runSweep(c, src, quiet)
		},
	}
}

// runSweep runs the slice and writes its records; the workers encode them,
// this goroutine only writes bytes through a buffer.
func runSweep(c *cli.Context, src models.SweepSlice, quiet bool) error {
	var w io.Writer = c.App.Writer
	var file *os.File
	switch p := c.String("out"); p {
	case "-":
	case "":
		w = io.Discard
	default:
		if err := os.MkdirAll(dirOf(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("records: %w", err)
		}
		defer f.Close()
		w, file = f, f
	}
	// 16 buffers of 256 KiB: the writing goroutine, woken by a worker while
	// every core simulates, may wait for its turn until the scheduler's next
	// time slice (10 ms, some 1.5 MB of records on two cores); with 4 the
	// emitting worker often found none free and waited, and a core idled.
	aw := newAsyncWriter(w, 16, 256<<10) // closed below, whatever the sweep's outcome
	prov := buildinfo.Provenance()
	summary := c.Bool("summary")
	var recs []models.Record
	prog := &sim.Progress{}
	var bar *progress
	if !quiet {
		bar = startProgress(c.App.ErrWriter, "scenarios", int64(src.Len()), prog.Scenarios.Load)
	}
	start := time.Now()
	opts := sim.SweepOptions{Analytic: c.Bool("analytic"), Workers: c.Int("workers"), Progress: prog, OmitRounds: !c.Bool("rounds"),
		Provenance: prov, Encode: true, KeepRecords: summary}
	err := sim.SweepSource(c.Context, src, opts, func(b *sim.Batch) error {
		if summary {
			recs = append(recs, b.Records...)
		}
		_, err := aw.Write(b.JSON)
		return err
	})
	if bar != nil {
		bar.finish()
	}
	if cerr := aw.Close(); err == nil {
		err = cerr
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	n := src.Len()
	fmt.Fprintf(c.App.ErrWriter, "sweep: %d scenarios, %d records, %d failed, %d events in %.3fs (%.1f µs/scenario)\n",
		n, prog.Records.Load(), prog.Failed.Load(), prog.Events.Load(), el.Seconds(),
		float64(el.Microseconds())/float64(max(1, n)))
	if summary {
		format, err := reports.ParseFormat(c.String("format"))
		if err != nil {
			return UsageError{err}
		}
		w := c.App.Writer
		if c.String("out") == "-" {
			w = c.App.ErrWriter // the records are on stdout
		}
		return reports.Render(w, format, reports.Summarize(recs))
	}
	return nil
}

// checkSummaryOutput refuses a --summary in CSV, JSON or LaTeX while the
// records take stdout: stdout holds one document, and stderr is for people.
func checkSummaryOutput(c *cli.Context) error {
	if !c.Bool("summary") {
		return nil
	}
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return UsageError{err}
	}
	if c.String("out") == "-" && oneTablePerOutput(format) {
		return usagef("sweep --summary -f %s: the records (JSON Lines) take stdout: write them to a file (-o FILE) "+
			"and the summary comes on stdout, or show the summary as -f table or markdown (on stderr)", format)
	}
	return nil
}

// sweepGC sets the collector's pacing for a sweep and returns what restores
// it. The live heap is a window of batches and the workers' simulations
// (5-10 MB on two cores). The GC runs when the heap reaches a soft limit
// rather than at a multiple of the live heap: on two cores that is 6 %
// faster than GOGC=400 (fewer cycles, fewer pages given back and faulted in
// again) and keeps the memory bounded when the machine is busy and the GC
// lags. It is set before the check that builds every scenario: under the
// default GOGC=100 and a heap of a few MB that check alone ran 44 of the
// 100k sweep's 58 collections. GOGC or GOMEMLIMIT in the environment, or
// --summary (it holds every record), keep the runtime's own pacing.
func sweepGC(c *cli.Context) (restore func()) {
	_, gogc := os.LookupEnv("GOGC")
	_, memlimit := os.LookupEnv("GOMEMLIMIT")
	switch {
	case gogc:
		return func() {}
	case c.Bool("summary") || memlimit:
		old := debug.SetGCPercent(400)
		return func() { debug.SetGCPercent(old) }
	}
	oldPercent := debug.SetGCPercent(1000)
	oldLimit := debug.SetMemoryLimit(sweepMemoryLimit(c.Int("workers")))
	return func() { debug.SetMemoryLimit(oldLimit); debug.SetGCPercent(oldPercent) }
}

// sweepMemoryLimit is the heap a sweep's GC aims to stay under: 56 MiB on
// two cores, a MiB more for each further worker (each adds simulations in
// flight and a window of batches). Records with every round (--rounds) fit
// too, at some 12 % more CPU than an unbounded heap.
func sweepMemoryLimit(workers int) int64 {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return int64(56+max(0, workers-2)) << 20
}

// sweepShard reads --shard i/N, or --shards N with the index from the
// environment; without either, the whole grid.
func sweepShard(c *cli.Context) (models.Shard, error) {
	switch {
	case c.IsSet("shard") && c.IsSet("shards"):
		return models.Shard{}, errors.New("sweep: give --shard i/N or --shards N, not both")
	case c.IsSet("shard"):
		return models.ParseShard(c.String("shard"))
	case c.IsSet("shards"):
		return models.ShardFromEnv(c.Int("shards"), nil)
	}
	return models.Whole, nil
}

// describeShard says which scenarios a sweep runs.
func describeShard(src models.SweepSlice, sh models.Shard) string {
	if sh.Count <= 1 {
		return fmt.Sprintf("%d scenarios", src.Len())
	}
	lo, hi := src.Bounds()
	return fmt.Sprintf("shard %s, %d scenarios (%d to %d of the grid's %d)", sh, src.Len(), lo, hi-1, src.Size())
}

// startCPUProfile writes a CPU profile to path until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeMemProfile writes the heap profile (every allocation since the start,
// by place) to path; a failure is reported on w, not returned: the sweep's
// records are written by then.
func writeMemProfile(path string, w io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(w, "memprofile: %v\n", err)
	}
}

// forceFlag lets sweep, run and compare start work that their estimates
// call too large (models.MaxSweepScenarios, MaxSweepEvents, MaxRealTime).
var forceFlag = &cli.BoolFlag{Name: "force", Usage: fmt.Sprintf("run even when the scenario count or the estimated cost is over "+
	"the limit (sweep: max_scenarios, at most %d, or %.0e simulator events; run, compare: %s of real migrations)",
	models.MaxSweepScenarios, float64(models.MaxSweepEvents), models.FormatEstimate(models.MaxRealTime))}
