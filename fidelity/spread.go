package fidelity

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/sim"
)

// DefaultConfidence is the confidence of a prediction's interval.
const DefaultConfidence = 0.9

// minSpread is the fewest calibration deviations an interval is drawn from.
const minSpread = 3

// Deviations returns, for every successful real single-container record,
// how its phases departed from their prediction under c (the simulator with
// c applied at the migration's hosts' paces): the calibration's spread,
// from which predictions take their intervals.
func Deviations(ctx context.Context, c models.Calibration, recs []models.Record) []models.Deviation {
	var out []models.Deviation
	for _, r := range recs {
		p, ok := predictMeasured(ctx, c, r)
		if !ok {
			continue
		}
		ratio := func(ph reports.Phase) float64 {
			m, ok1 := ph.Of(r)
			q, ok2 := ph.Of(p)
			if !ok1 || !ok2 || m <= 0 || q <= 0 {
				return 0
			}
			return m / q
		}
		d := models.Deviation{Scenario: r.Scenario, Technique: r.Technique, Repetition: r.Repetition,
			FinalDump: ratio(reports.Phases[0]), FinalTransfer: ratio(reports.Phases[1]), Restore: ratio(reports.Phases[2]),
			LiveRounds: ratio(reports.Phases[3])}
		// The bytes against the prediction under the migration's own
		// times: what the times explain (memory dirtied while a slower
		// round ran) is the interval's time draws' part already; counted
		// in the ratio as well, it would count twice.
		if q, err := sim.Run(ctx, c.AtHostPace(r.Metrics.Extra).Perturb(d).Apply(r.Params), r.Technique, r.Repetition); err == nil && q.Error == "" {
			p = q
		}
		d.Bytes = ratio(bytesSent)
		d.Pace = ratio(laterPages)
		out = append(out, d)
	}
	return out
}

// predictMeasured is the simulator's prediction under c of r, at the
// hosts' paces r measured (models.Calibration.AtHostPace), when r is a
// successful real single-container migration and the prediction succeeds.
func predictMeasured(ctx context.Context, c models.Calibration, r models.Record) (models.Record, bool) {
	if r.Backend != models.BackendReal || r.Error != "" || r.Params.Group.Containers > 1 {
		return models.Record{}, false
	}
	p, err := sim.Run(ctx, c.AtHostPace(r.Metrics.Extra).Apply(r.Params), r.Technique, r.Repetition)
	return p, err == nil && p.Error == ""
}

// NoiseOf is the testbed's repeatability over records (reports.NoiseFloor):
// a calibration's repetitions of its plan.
func NoiseOf(recs []models.Record) []models.Noise {
	var out []models.Noise
	for _, f := range reports.NoiseFloor(recs) {
		out = append(out, models.Noise{Technique: f.Technique, Metric: string(f.Metric), FloorMAPE: f.FloorMAPE, Cells: f.Cells, N: f.N})
	}
	return out
}

// EnvelopeOf is the range of conditions the successful real records ran
// under (a calibration's migrations).
func EnvelopeOf(recs []models.Record) models.Envelope {
	var e models.Envelope
	var busy []float64
	for _, r := range recs {
		if r.Backend == models.BackendReal && r.Error == "" {
			e.Widen(r)
			if b, ok := r.Metrics.Extra[models.ExtraOrchestratorBusy]; ok {
				busy = append(busy, b)
			}
		}
	}
	e.BusyMedian = models.Median(busy)
	return e
}

// Representative flags the calibration records that ran outside the
// envelope they set together (on the local testbed: while other work kept
// the machine's CPU busier than usual; Record.Flags, set in recs) and
// returns the others: those the fit, the spread and the noise floor use.
// The envelope's load is the median's, so at most half are flagged.
func Representative(recs []models.Record) (kept []models.Record) {
	e := EnvelopeOf(recs)
	for i := range recs {
		if recs[i].Flags = e.Check(recs[i]); len(recs[i].Flags) == 0 {
			kept = append(kept, recs[i])
		}
	}
	return kept
}

// laterPages is the pages a migration's rounds after its first sent, as a
// phase: what its workload dirtied and added while it migrated (none
// without a round after the first live one).
var laterPages = reports.Phase{Name: "pages after the first round", Unit: reports.UnitCount, Of: func(r models.Record) (float64, bool) {
	if r.Metrics.LiveRounds < 1 || len(r.Rounds) < 2 {
		return 0, false
	}
	var n int64
	for _, x := range r.Rounds[1:] {
		n += x.Pages
	}
	return float64(n), true
}}

// bytesSent is a migration's bytes on the wire, as a phase.
var bytesSent = reports.Phase{Name: "bytes sent", Unit: reports.UnitBytes, Of: func(r models.Record) (float64, bool) {
	return float64(r.Metrics.BytesSent), true
}}

// WithInterval sets the interval of prediction p (of repetition rep of
// scenario s with technique, before c was applied): the simulator run again
// under each of the deviations of c's migrations of p's kind (with live
// rounds, or without: see sameKind), each draw's bytes scaled by its
// deviation's, and the DefaultConfidence prediction interval of the draws,
// grouped by the calibration repetition each came from. An app's interval
// is widened by the error its probes left (models.Calibration.AppErrors),
// one with whole-mapping marks by how far their timing moves it
// (markTiming), and every interval by the model's error on the
// calibration's check migrations (models.Calibration.ModelErrors, its
// technique's). Without enough deviations p is left without one.
func WithInterval(ctx context.Context, c models.Calibration, s models.Scenario, technique string, rep int, p *models.Record) {
	if len(c.Spread) < minSpread || p.Error != "" {
		return
	}
	kind := sameKind(c.Spread, p.Metrics.LiveRounds > 0)
	var draws []models.Metrics
	var groups []int
	for i, d := range c.Spread {
		if !kind[i] {
			continue
		}
		r, err := sim.Run(ctx, c.Perturb(d).Apply(s), technique, rep)
		if err != nil || r.Error != "" {
			return
		}
		if d.Bytes > 0 {
			r.Metrics.BytesSent = int64(float64(r.Metrics.BytesSent) * d.Bytes)
		}
		draws = append(draws, r.Metrics)
		groups = append(groups, d.Repetition)
	}
	p.Interval = models.NewInterval(DefaultConfidence, draws, groups)
	if e, ok := c.AppErrors[s.Name]; ok && s.App.Enabled() && p.Interval != nil {
		p.Interval.Widen(e)
	}
	if p.Interval != nil {
		p.Interval.Widen(markTiming(ctx, c.Apply(s), technique, rep, p.Metrics))
	}
	if e, ok := c.ModelErrors[technique]; ok && p.Interval != nil {
		p.Interval.Widen(e)
	}
}

// sameKind marks the deviations that speak for a prediction with live
// rounds (live) or without: those of calibration migrations of the same
// kind, when there are at least minSpread of them (else all). A migration
// without live rounds sends its frozen memory and podman's archive, which
// repeat within about 0.1 % on the TCG testbed, in one long final
// transfer; one with live rounds also sends what the runtime dirtied while
// it ran, which varies ten times as much, and ends with a short transfer of
// a small last round, whose time varies more in proportion (0.82-1.14 of
// its prediction where a cold one's stayed within 0.97-1.06). Pooled, the
// live migrations' spread widened every cold prediction's interval far
// beyond what a cold migration varies: 48 of 48 held-out cold migrations
// fell inside.
func sameKind(ds []models.Deviation, live bool) []bool {
	out := make([]bool, len(ds))
	n := 0
	for i, d := range ds {
		if out[i] = (d.LiveRounds > 0) == live; out[i] {
			n++
		}
	}
	if n < minSpread {
		for i := range out {
			out[i] = true
		}
	}
	return out
}

// spreadRanges describes deviations: each phase's range of ratios.
func spreadRanges(ds []models.Deviation) string {
	var parts []string
	for _, ph := range []struct {
		name string
		of   func(models.Deviation) float64
	}{
		{"final dump", func(d models.Deviation) float64 { return d.FinalDump }},
		{"final transfer", func(d models.Deviation) float64 { return d.FinalTransfer }},
		{"restore", func(d models.Deviation) float64 { return d.Restore }},
		{"live rounds", func(d models.Deviation) float64 { return d.LiveRounds }},
		{"bytes", func(d models.Deviation) float64 { return d.Bytes }},
	} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, d := range ds {
			if x := ph.of(d); x > 0 {
				lo, hi = min(lo, x), max(hi, x)
			}
		}
		if hi > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f-%.2f", ph.name, lo, hi))
		}
	}
	return strings.Join(parts, ", ")
}
