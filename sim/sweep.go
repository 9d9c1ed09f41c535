package sim

import (
	"context"
	"runtime"
	"sync"
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
}

// Sweep simulates every scenario (each with its techniques and repetitions) on
// a pool of workers and passes the records to emit from the calling goroutine,
// in a deterministic order whatever the number of workers: by scenario index,
// then technique in the scenario's order, then repetition (then the analytic
// record). Scenarios get their defaults applied; an invalid scenario or a failed
// migration yields records with Error set, and the sweep goes on. Sweep stops at
// the first error of emit, or when ctx is cancelled, and returns that error.
func Sweep(ctx context.Context, scenarios []models.Scenario, opts SweepOptions, emit func(models.Record) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	prog := opts.Progress
	if prog == nil {
		prog = &Progress{}
	}
	prog.Total.Store(int64(len(scenarios)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		i    int
		recs []models.Record
	}
	// window bounds how far the workers may run ahead of the emitter, which
	// bounds the reorder buffer.
	window := make(chan struct{}, 16*workers)
	jobs := make(chan int)
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				recs := sweepOne(ctx, scenarios[i], opts, prog)
				select {
				case results <- result{i, recs}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(jobs)
		for i := range scenarios {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()
	pending := map[int][]models.Record{}
	for next := 0; next < len(scenarios); {
		select {
		case r := <-results:
			pending[r.i] = r.recs
		case <-ctx.Done():
			return ctx.Err()
		}
		for recs, ok := pending[next]; ok; recs, ok = pending[next] {
			delete(pending, next)
			for _, rec := range recs {
				if err := emit(rec); err != nil {
					cancel()
					return err
				}
				prog.Records.Add(1)
				if rec.Error != "" {
					prog.Failed.Add(1)
				}
			}
			prog.Scenarios.Add(1)
			<-window
			next++
		}
	}
	return ctx.Err()
}

// sweepOne produces every record of one scenario, in emission order.
func sweepOne(ctx context.Context, s models.Scenario, opts SweepOptions, prog *Progress) []models.Record {
	s = s.WithDefaults()
	err := validate(s)
	var recs []models.Record
	seeds := make([]uint64, s.Repetitions)
	for rep := range seeds {
		seeds[rep] = models.DeriveSeed(s, rep)
	}
	for _, tech := range s.Techniques {
		for rep := range s.Repetitions {
			if err != nil {
				rec := newRecord(s, tech, rep, seeds[rep])
				rec.Error = err.Error()
				recs = append(recs, rec)
				continue
			}
			t, terr := models.NewTechnique(tech, s)
			if terr != nil {
				rec := newRecord(s, tech, rep, seeds[rep])
				rec.Error = terr.Error()
				recs = append(recs, rec)
				continue
			}
			out, serr := opts.Simulator.simulate(ctx, s, t, rep, seeds[rep])
			prog.Events.Add(int64(out.Events))
			rec := recordOf(s, t.Name(), rep, out, !opts.OmitRounds)
			if serr != nil {
				rec.Error = serr.Error()
			}
			recs = append(recs, rec)
		}
		if opts.Analytic && err == nil {
			if rec, ok, _ := AnalyticRecord(s, tech, 0); ok {
				if opts.OmitRounds {
					rec.Rounds = nil
				}
				recs = append(recs, rec)
			}
		}
	}
	return recs
}
