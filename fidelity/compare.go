package fidelity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// RoleOf returns the role of a scenario in a comparison under calibration c:
// calibration if c was derived from it, validation otherwise.
func RoleOf(c models.Calibration, scenario string) models.Role {
	if slices.Contains(c.Scenarios, scenario) {
		return models.RoleCalibration
	}
	return models.RoleValidation
}

// Predictor predicts a migration from a scenario: the simulator (and the
// closed-form model where it applies) by default.
type Predictor interface {
	// Predict returns the predictions of repetition rep of s with the
	// technique: sim first, then analytic if it applies.
	Predict(ctx context.Context, s models.Scenario, technique string, rep int) ([]models.Record, error)
}

// SimPredictor predicts with package sim: the discrete-event simulator and,
// unless NoAnalytic, the closed-form model.
type SimPredictor struct {
	NoAnalytic bool
}

// Predict implements Predictor.
func (p SimPredictor) Predict(ctx context.Context, s models.Scenario, technique string, rep int) ([]models.Record, error) {
	rec, err := sim.Run(ctx, s, technique, rep)
	out := []models.Record{rec}
	if err != nil || p.NoAnalytic {
		return out, err
	}
	a, ok, aerr := sim.AnalyticRecord(s, technique, rep)
	if ok {
		out = append(out, a)
	}
	return out, aerr
}

// CompareOptions configure Compare.
type CompareOptions struct {
	// Calibration is applied to every scenario before it is predicted.
	Calibration models.Calibration
	// Predictor (default SimPredictor{}).
	Predictor Predictor
	// Provenance is set on the prediction records.
	Provenance models.Provenance
	// Progress receives one line per migration (nil: none).
	Progress io.Writer
	// Emit receives every record as soon as it exists (nil: none).
	Emit func(models.Record) error
}

// Techniques returns the scenario's techniques that run on a real testbed:
// post-copy is left out (Podman and CRIU restore whole images).
func Techniques(s models.Scenario) (run, skipped []string) {
	for _, t := range s.WithDefaults().Techniques {
		if tn, err := models.NewTechnique(t, s); err == nil && tn.Name() == models.PostCopy {
			skipped = append(skipped, t)
			continue
		}
		run = append(run, t)
	}
	return run, skipped
}

// RunRecord runs one real migration and always returns its record: a
// runner that failed before it had one gets a record of the attempt, and a
// failure's error is in the record's Error.
func RunRecord(ctx context.Context, r Runner, s models.Scenario, t string, rep int) (models.Record, error) {
	rec, err := r.Run(ctx, s, t, rep)
	if rec.Scenario == "" { // the runner failed before it had a record
		rec = models.Record{Schema: models.RecordSchema, Scenario: s.Name, Technique: t,
			Backend: models.BackendReal, Repetition: rep, Seed: models.DeriveSeed(s, rep), Params: s}
		if err == nil {
			err = errors.New("the runner returned no record")
		}
	}
	if err != nil && rec.Error == "" {
		rec.Error = err.Error()
	}
	return rec, err
}

// Compare runs every scenario's techniques and repetitions for real and
// predicts them with the calibration applied (same scenario name, technique
// and repetition, so reports.Compare pairs them). Records get the role of
// their scenario (RoleOf). A failed real migration is kept as a record with
// Error set and the comparison goes on; Compare returns all records and the
// failures joined.
func Compare(ctx context.Context, r Runner, scenarios []models.Scenario, opt CompareOptions) ([]models.Record, error) {
	pred := opt.Predictor
	if pred == nil {
		pred = SimPredictor{}
	}
	start := time.Now()
	total := 0
	for _, s := range scenarios {
		run, _ := Techniques(s)
		total += len(run) * s.WithDefaults().Repetitions
	}
	logf := func(format string, a ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "[compare %5.0fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, a...)...)
		}
	}
	var out []models.Record
	emit := func(rec models.Record) error {
		out = append(out, rec)
		if opt.Emit != nil {
			return opt.Emit(rec)
		}
		return nil
	}
	var failed []error
	n := 0
	for _, s := range scenarios {
		s = s.WithDefaults()
		role := RoleOf(opt.Calibration, s.Name)
		run, skipped := Techniques(s)
		if len(skipped) > 0 {
			logf("%s: skipping %s (not supported on Podman hosts)", s.Name, strings.Join(skipped, ", "))
		}
		for rep := 0; rep < s.Repetitions; rep++ {
			for _, t := range run {
				n++
				logf("%d/%d %s [%s] %s rep %d: real migration%s", n, total, s.Name, role, t, rep, eta(time.Since(start), n-1, total))
				rec, err := RunRecord(ctx, r, s, t, rep)
				if !rec.Role.Auxiliary() { // a replayed warm-up, probe or check stays one
					rec.Role = role
				}
				rec.Flags = opt.Calibration.EnvelopeFor(s).Check(rec)
				if err := emit(rec); err != nil {
					return out, err
				}
				if err != nil {
					if ctx.Err() != nil {
						return out, err
					}
					logf("  real migration FAILED: %v", err)
					failed = append(failed, fmt.Errorf("%s %s rep %d: %w", s.Name, t, rep, err))
				}
				// At the hosts' paces measured right before the migration.
				c := opt.Calibration.AtHostPace(rec.Metrics.Extra)
				preds, perr := predict(ctx, pred, c, c.Apply(s), s, t, rep)
				for _, p := range preds {
					p.Role = rec.Role
					p.Provenance = opt.Provenance
					if err := emit(p); err != nil {
						return out, err
					}
				}
				if perr != nil {
					if ctx.Err() != nil {
						return out, perr
					}
					failed = append(failed, fmt.Errorf("%s %s rep %d: prediction: %w", s.Name, t, rep, perr))
				}
				logf("  %s", summaryLine(rec, preds))
			}
		}
	}
	return out, errors.Join(failed...)
}

// eta says how long the steps left take at the pace of the done ones ("",
// before the first is done).
func eta(elapsed time.Duration, done, total int) string {
	if done < 1 || total <= done {
		return ""
	}
	left := elapsed / time.Duration(done) * time.Duration(total-done)
	return fmt.Sprintf(" (%d left, about %s)", total-done, models.FormatEstimate(left))
}

// noteworthySteal is the host steal share from which a progress line says
// that the measured migration ran on a contended host.
const noteworthySteal = 0.05

// summaryLine is one progress line: measured and predicted downtime and bytes.
func summaryLine(real models.Record, preds []models.Record) string {
	var b strings.Builder
	if real.Error == "" {
		fmt.Fprintf(&b, "real: downtime %.2fs, %.2f MiB, %d live rounds", real.Metrics.DowntimeS,
			float64(real.Metrics.BytesSent)/(1<<20), real.Metrics.LiveRounds)
		if st, ok := real.Metrics.Extra[models.ExtraOrchestratorSteal]; ok && st >= noteworthySteal {
			fmt.Fprintf(&b, " (host CPU %.0f %% stolen)", 100*st)
		}
	} else {
		b.WriteString("real: failed")
	}
	for _, f := range real.Flags {
		fmt.Fprintf(&b, " [not scored: %s]", f)
	}
	for _, p := range preds {
		if p.Error != "" {
			fmt.Fprintf(&b, "; %s: failed (%s)", p.Backend, p.Error)
			continue
		}
		fmt.Fprintf(&b, "; %s: downtime %.2fs, %.2f MiB, %d live rounds", p.Backend, p.Metrics.DowntimeS,
			float64(p.Metrics.BytesSent)/(1<<20), p.Metrics.LiveRounds)
	}
	return b.String()
}

// predict predicts repetition rep of s (applied: s under c) with the
// technique, and gives the simulator's prediction its interval under c.
func predict(ctx context.Context, pred Predictor, c models.Calibration, applied, s models.Scenario, technique string, rep int) ([]models.Record, error) {
	preds, err := pred.Predict(ctx, applied, technique, rep)
	for i := range preds {
		if preds[i].Backend == models.BackendSim {
			WithInterval(ctx, c, s, technique, rep, &preds[i])
		}
	}
	return preds, err
}

// PredictRecords predicts the migrations of successful real records (for
// example a calibration's own) with the calibration applied to their
// scenarios at the hosts' paces each measured; the predictions take the
// real records' roles. Failed predictions are returned as records with
// Error set.
func PredictRecords(ctx context.Context, pred Predictor, c models.Calibration, recs []models.Record, prov models.Provenance) []models.Record {
	var out []models.Record
	for _, r := range recs {
		if r.Backend != models.BackendReal || r.Error != "" {
			continue
		}
		cr := c.AtHostPace(r.Metrics.Extra)
		preds, _ := predict(ctx, pred, cr, cr.Apply(r.Params), r.Params, r.Technique, r.Repetition)
		for _, p := range preds {
			p.Role, p.Provenance = r.Role, prov
			out = append(out, p)
		}
	}
	return out
}
