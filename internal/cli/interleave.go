package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/calibrate"
)

// interleaved measures a comparison's real migrations between the
// calibration's repetitions (calibrate.Options.AfterRepetition): scenario j
// runs after repetition j mod reps. A testbed that speeds up or slows down
// over a run (on the TCG testbed the calibration's repetitions moved by up to
// 25 % within one demo) then drifts under the calibration and the
// validation alike, instead of separating them. Afterwards Replay predicts
// the measured records as a comparison would have.
type interleaved struct {
	runner   calibrate.Runner
	chunks   [][]models.Scenario
	records  []models.Record
	took     time.Duration
	progress io.Writer
}

// newInterleaved spreads scenarios over reps repetitions (at least one).
func newInterleaved(r calibrate.Runner, scenarios []models.Scenario, reps int, progress io.Writer) *interleaved {
	reps = max(reps, 1)
	v := &interleaved{runner: r, chunks: make([][]models.Scenario, reps), progress: progress}
	for j, s := range scenarios {
		v.chunks[j%reps] = append(v.chunks[j%reps], s)
	}
	return v
}

// after runs the real migrations of the scenarios given to repetition rep
// (every technique the real backend runs, every repetition). A failed
// migration is kept as a failed record; only an interruption is returned.
func (v *interleaved) after(ctx context.Context, rep int) error {
	if rep >= len(v.chunks) {
		return nil
	}
	start := time.Now()
	defer func() { v.took += time.Since(start) }()
	for _, s := range v.chunks[rep] {
		s = s.WithDefaults()
		run, _ := calibrate.Techniques(s)
		for k := 0; k < s.Repetitions; k++ {
			for _, t := range run {
				if v.progress != nil {
					fmt.Fprintf(v.progress, "[validation] %s %s rep %d: real migration (after calibration repetition %d)\n", s.Name, t, k, rep+1)
				}
				rec, err := calibrate.RunRecord(ctx, v.runner, s, t, k)
				v.records = append(v.records, rec)
				if err != nil && ctx.Err() != nil {
					return err
				}
			}
		}
	}
	return nil
}

// replay is the runner that hands the measured records to a comparison.
func (v *interleaved) replay() *calibrate.Replay {
	rp, _ := calibrate.NewReplay(v.records)
	return rp
}
