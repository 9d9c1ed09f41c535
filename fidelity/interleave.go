package fidelity

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Interleaved measures a comparison's real migrations between the
// calibration's repetitions (CalibrateOptions.AfterRepetition = After). A
// testbed that speeds up or slows down over a run (on the TCG testbed the
// calibration's repetitions moved by up to 25 % within one demo) then drifts
// under the calibration and the validation alike, instead of separating them.
// The validation's repetitions are spread the same way: repetition k of every
// scenario runs before repetition k+1 of any, so a noisy quarter of an hour
// cannot hold all the migrations of one scenario. Afterwards Replay predicts
// the measured records as a comparison would have.
type Interleaved struct {
	runner   Runner
	chunks   [][]validationUnit
	records  []models.Record
	took     time.Duration
	progress io.Writer
	// total is the migrations of all chunks; done those run so far.
	total, done int
}

// validationUnit is one repetition of one scenario: every technique its real
// backend runs.
type validationUnit struct {
	scenario models.Scenario
	rep      int
}

// NewInterleaved spreads the scenarios' repetitions over reps calibration
// repetitions (at least one), in contiguous runs of the repetition-major
// order: first repetition 0 of every scenario, then repetition 1, and so on.
// progress (nil: none) gets a line per migration.
func NewInterleaved(r Runner, scenarios []models.Scenario, reps int, progress io.Writer) *Interleaved {
	reps = max(reps, 1)
	var units []validationUnit
	for k := 0; ; k++ {
		n := len(units)
		for _, s := range scenarios {
			if s = s.WithDefaults(); k < s.Repetitions {
				units = append(units, validationUnit{s, k})
			}
		}
		if len(units) == n {
			break
		}
	}
	v := &Interleaved{runner: r, chunks: make([][]validationUnit, reps), progress: progress}
	for u, unit := range units {
		c := u * reps / len(units)
		v.chunks[c] = append(v.chunks[c], unit)
		run, _ := Techniques(unit.scenario)
		v.total += len(run)
	}
	return v
}

// After runs the real migrations given to calibration repetition rep. The
// techniques' order turns by one per repetition (cold, pre-copy, MiGrror;
// then pre-copy, MiGrror, cold; ...), so no technique always runs first
// after a calibration migration. A failed migration is kept as a failed
// record; only an interruption is returned.
func (v *Interleaved) After(ctx context.Context, rep int) error {
	if rep >= len(v.chunks) {
		return nil
	}
	start := time.Now()
	defer func() { v.took += time.Since(start) }()
	for _, u := range v.chunks[rep] {
		run, _ := Techniques(u.scenario)
		for i := range run {
			t := run[(i+u.rep)%len(run)]
			if v.progress != nil {
				fmt.Fprintf(v.progress, "[validation] %s %s rep %d: real migration %d/%d (after calibration repetition %d)%s\n",
					u.scenario.Name, t, u.rep, v.done+1, v.total, rep+1, eta(v.took+time.Since(start), v.done, v.total))
			}
			rec, err := RunRecord(ctx, v.runner, u.scenario, t, u.rep)
			v.done++
			v.records = append(v.records, rec)
			if err != nil && ctx.Err() != nil {
				return err
			}
		}
	}
	return nil
}

// Records are the measured validation records so far.
func (v *Interleaved) Records() []models.Record { return v.records }

// Took is the time spent in the validation's migrations.
func (v *Interleaved) Took() time.Duration { return v.took }

// Replay is the runner that hands the measured records to a comparison.
func (v *Interleaved) Replay() *Replay {
	rp, _ := NewReplay(v.records)
	return rp
}
