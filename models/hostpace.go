package models

import (
	"fmt"
	"math"
)

// HostPace relates a migration's phases to the hosts' pace over it
// (MigrationPaces): on an emulated testbed a guest runs code up to twice
// as slowly at one time as at another, and every phase follows. Each
// phase's cost scales with the pace of the host that does it over the
// calibration's reference pace, raised to the phase's elasticity, fitted
// over the calibration's own migrations (fidelity.FitHostPace); 0 leaves
// the phase alone.
type HostPace struct {
	// Migrations is how many calibration migrations the fit is from.
	Migrations int `json:"migrations"`
	// Source and Target are the calibration's median paces, seconds: the
	// pace its costs stand for.
	Source float64 `json:"source_s"`
	Target float64 `json:"target_s"`
	// The elasticities: the final dump and the live rounds follow the
	// source's pace, the restore the target's, the final transfer both
	// (their geometric mean).
	FinalDump     float64 `json:"final_dump"`
	FinalTransfer float64 `json:"final_transfer"`
	Restore       float64 `json:"restore"`
	LiveRounds    float64 `json:"live_rounds"`
}

// MaxElasticity bounds a fitted elasticity: a phase twice as slow as the
// pace is no CPU work the pace measures.
const MaxElasticity = 1.5

// Deviation is how the pace model expects a migration with the hosts'
// paces in extra to depart from the calibration's costs, as cost factors
// (Perturb); ok is false when either pace is missing or the model is
// empty.
func (p HostPace) Deviation(extra map[string]float64) (d Deviation, ok bool) {
	src, dst, ok := MigrationPaces(extra)
	if !ok || p.Source <= 0 || p.Target <= 0 {
		return d, false
	}
	rs, rt := src/p.Source, dst/p.Target
	both := math.Sqrt(rs * rt)
	return Deviation{
		FinalDump:     math.Pow(rs, p.FinalDump),
		FinalTransfer: math.Pow(both, p.FinalTransfer),
		Restore:       math.Pow(rt, p.Restore),
		LiveRounds:    math.Pow(rs, p.LiveRounds),
	}, true
}

// MigrationPaces is the source's and the target's pace over the migration
// that extra measured: each the one timed right before it
// (ExtraSourcePace, ExtraTargetPace), or, where it was timed right after
// it as well, the geometric mean of the two. A slowdown that begins while
// a migration runs (the testbed's come and go over tens of seconds) shows
// after it, not before. ok is false without both paces from before.
func MigrationPaces(extra map[string]float64) (src, dst float64, ok bool) {
	over := func(before, after string) float64 {
		b := extra[before]
		if a := extra[after]; a > 0 && b > 0 {
			return math.Sqrt(a * b)
		}
		return b
	}
	src, dst = over(ExtraSourcePace, ExtraSourcePaceAfter), over(ExtraTargetPace, ExtraTargetPaceAfter)
	return src, dst, src > 0 && dst > 0
}

// Validate checks the model's paces and elasticities.
func (p HostPace) Validate() error {
	if !(p.Source > 0) || !(p.Target > 0) || p.Source > 100 || p.Target > 100 {
		return fmt.Errorf("calibration.host_pace: source_s and target_s must be between 0 and 100 seconds, got %g and %g; run `migrlab calibrate` again", p.Source, p.Target)
	}
	for _, e := range []float64{p.FinalDump, p.FinalTransfer, p.Restore, p.LiveRounds} {
		if !(e >= 0) || e > MaxElasticity {
			return fmt.Errorf("calibration.host_pace: elasticities must be between 0 and %g, got %+v; run `migrlab calibrate` again", MaxElasticity, p)
		}
	}
	return nil
}

// String says what the model does, in one line.
func (p HostPace) String() string {
	return fmt.Sprintf("the hosts' pace over each migration (calibration's median %.0f / %.0f ms, source / target) scales final dump ^%.2f, transfer ^%.2f, restore ^%.2f, live rounds ^%.2f (%d migrations)",
		1000*p.Source, 1000*p.Target, p.FinalDump, p.FinalTransfer, p.Restore, p.LiveRounds, p.Migrations)
}

// AtHostPace returns c as it stands for a migration measured with extra:
// its costs scaled by its host pace model (HostPace) at the hosts' paces
// in extra; c itself when it has no pace model or extra no paces.
func (c Calibration) AtHostPace(extra map[string]float64) Calibration {
	if c.HostPace == nil {
		return c
	}
	if d, ok := c.HostPace.Deviation(extra); ok {
		return c.Perturb(d)
	}
	return c
}
