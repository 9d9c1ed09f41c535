package sim

import (
	"bytes"
	"context"
	"runtime"
	"sync/atomic"

	"github.com/migrlab/migrlab/models"
)

// Progress counts a sweep's work; its fields may be read at any time (for
// example by a CLI that prints progress on stderr) while the sweep runs.
type Progress struct {
	// Total is the number of scenarios of the sweep.
	Total atomic.Int64
	// Scenarios is the number of scenarios whose records were all emitted.
	Scenarios atomic.Int64
	// Records is the number of records emitted so far.
	Records atomic.Int64
	// Failed is the number of emitted records that carry an error.
	Failed atomic.Int64
	// Events is the number of engine events processed so far.
	Events atomic.Int64
}

// SweepOptions configure Sweep. The zero value runs the sim backend on every
// core.
type SweepOptions struct {
	// Workers is the number of scenarios simulated at once (0: GOMAXPROCS).
	Workers int
	// Simulator runs each repetition.
	Simulator Simulator
	// Analytic adds, after a technique's sim records, one "analytic" backend
	// record (repetition 0) where models.AnalyticMigration applies.
	Analytic bool
	// Progress, when set, is updated as the sweep goes.
	Progress *Progress
	// OmitRounds leaves the per-round detail out of the records (Metrics stay
	// complete): a 10,000-scenario sweep has millions of MiGrror sync rounds.
	OmitRounds bool
	// Provenance is stamped on every record.
	Provenance models.Provenance
	// Encode has the workers encode each scenario's records as JSON Lines
	// (models.RecordWriter's bytes) into Batch.JSON, and leave Batch.Records
	// empty unless KeepRecords is set: the emitter then only writes bytes.
	Encode bool
	// KeepRecords keeps Batch.Records when Encode is set.
	KeepRecords bool
}

// Source yields a sweep's scenarios by index, on demand and from any
// goroutine, so that a sweep never holds its grid (models.SweepSlice, List).
type Source interface {
	// Len is the number of scenarios.
	Len() int
	// At returns the k-th scenario, its place in a sweep's grid (nil: none)
	// and why it is invalid (nil: it is valid as far as the source knows).
	At(k int) (models.Scenario, *models.SweepRef, error)
}

// List is a Source over scenarios held in memory.
type List []models.Scenario

// Len implements Source.
func (l List) Len() int { return len(l) }

// At implements Source.
func (l List) At(k int) (models.Scenario, *models.SweepRef, error) { return l[k], nil, nil }

// Batch is the output of one scenario of a sweep.
type Batch struct {
	// Index is the scenario's index in the Source.
	Index int
	// Records are the scenario's records in emission order (empty with
	// SweepOptions.Encode unless KeepRecords).
	Records []models.Record
	// JSON holds the records as JSON Lines with SweepOptions.Encode. The
	// sweep reuses it once emit returns.
	JSON []byte
	// N and Failed count the records and those that carry an error.
	N, Failed int
}

// Sweep simulates every scenario (each with its techniques and repetitions) on
// a pool of workers and passes the records to emit, one call at a time (from
// the workers: emit must not block on them), in a deterministic order whatever the number of workers: by scenario index,
// then technique in the scenario's order, then repetition (then the analytic
// record). Scenarios get their defaults applied; an invalid scenario or a failed
// migration yields records with Error set, and the sweep goes on. Sweep stops at
// the first error of emit, or when ctx is cancelled, and returns that error.
func Sweep(ctx context.Context, scenarios []models.Scenario, opts SweepOptions, emit func(models.Record) error) error {
	opts.Encode = false
	return SweepSource(ctx, List(scenarios), opts, func(b *Batch) error {
		for _, r := range b.Records {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// SweepSource is Sweep over a Source, one Batch per scenario, in the source's
// order. The workers simulate, build the records and (with opts.Encode)
// encode them; emitting is only passing finished batches to emit, by the
// worker that completes the oldest one. Workers run at most a window of
// scenarios ahead of the oldest not yet emitted, so memory is bounded by the
// window, not by the number of scenarios.
func SweepSource(ctx context.Context, src Source, opts SweepOptions, emit func(*Batch) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	prog := opts.Progress
	if prog == nil {
		prog = &Progress{}
	}
	prog.Total.Store(int64(src.Len()))
	var enc *encoder
	if opts.Encode {
		enc = newEncoder(opts.Provenance, !opts.KeepRecords)
	}
	// Each worker reuses its scratch; the records too once encoded and dropped.
	scratches := make([]scratch, workers)
	reuseRecords := enc != nil && enc.drop
	return ordered(ctx, src.Len(), workers, func(ctx context.Context, worker, i int, b *Batch, buf *bytes.Buffer) {
		sc := &scratches[worker]
		s, ref, err := src.At(i)
		s = s.WithDefaults()
		var recs []models.Record
		if reuseRecords {
			recs = sc.records[:0]
		}
		*b = Batch{Index: i, Records: sweepOne(ctx, s, ref, err, opts, prog, sc, recs)}
		if reuseRecords {
			sc.records = b.Records
		}
		for k := range b.Records {
			r := &b.Records[k]
			r.Provenance = opts.Provenance
			if r.Error != "" {
				b.Failed++
			}
		}
		b.N = len(b.Records)
		if enc != nil {
			enc.encode(b, sc.hold(s), buf, &sc.encode)
		}
	}, func(b *Batch) error {
		if err := emit(b); err != nil {
			return err
		}
		prog.Records.Add(int64(b.N))
		prog.Failed.Add(int64(b.Failed))
		prog.Scenarios.Add(1)
		return nil
	})
}

// sweepOne produces every record of one scenario, in emission order, each
// with Params s (defaults applied). atErr is why the source could not build
// the scenario (its records then carry it). The simulations use sc's memory
// (never nil); the records are appended to recs (nil: a new slice).
func sweepOne(ctx context.Context, s models.Scenario, ref *models.SweepRef, atErr error, opts SweepOptions, prog *Progress,
	sc *scratch, recs []models.Record) []models.Record {
	s = s.WithDefaults()
	err := atErr
	if err == nil {
		err = validate(s)
	}
	reps := max(s.Repetitions, 1)
	if recs == nil {
		recs = make([]models.Record, 0, len(s.Techniques)*(reps+1))
	}
	seeds := make([]uint64, reps)
	for rep := range seeds {
		seeds[rep] = models.DeriveSeed(s, rep)
	}
	add := func(rec models.Record) {
		rec.Sweep = ref
		recs = append(recs, rec)
	}
	for _, tech := range s.Techniques {
		for rep := range s.Repetitions {
			if err != nil {
				rec := newRecord(s, tech, rep, seeds[rep])
				rec.Error = err.Error()
				add(rec)
				continue
			}
			t, terr := models.NewTechnique(tech, s)
			if terr != nil {
				rec := newRecord(s, tech, rep, seeds[rep])
				rec.Error = terr.Error()
				add(rec)
				continue
			}
			out, serr := opts.Simulator.simulate(ctx, sc.hold(s), t, rep, seeds[rep], sc)
			prog.Events.Add(int64(out.Events))
			rec := recordOf(s, t.Name(), rep, out, !opts.OmitRounds)
			if serr != nil {
				rec.Error = serr.Error()
			}
			add(rec)
		}
		if opts.Analytic && err == nil {
			if rec, ok, _ := AnalyticRecord(s, tech, 0); ok {
				rec.Params = s // the same scenario: the encoder shares its JSON
				if opts.OmitRounds {
					rec.Rounds = nil
				}
				add(rec)
			}
		}
	}
	return recs
}
