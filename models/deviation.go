package models

// Deviation is how one calibration migration departed from the calibration's
// own prediction of it, phase by phase: the measured time over the
// predicted one (above 1: slower than predicted). Zero means the phase was
// not there to compare (a cold migration has no live rounds). A
// calibration's deviations are its testbed's noise, as the simulator sees
// it: re-predicting a migration under each of them (Perturb) gives the
// spread a prediction should expect.
type Deviation struct {
	Scenario   string `json:"scenario"`
	Technique  string `json:"technique"`
	Repetition int    `json:"repetition"`
	// FinalDump is the frozen final dump's time (the downtime up to its
	// transfer); FinalTransfer the final transfer's; Restore the restore
	// and resume on the target's; LiveRounds the live rounds' total time.
	FinalDump     float64 `json:"final_dump"`
	FinalTransfer float64 `json:"final_transfer"`
	Restore       float64 `json:"restore"`
	LiveRounds    float64 `json:"live_rounds,omitempty"`
	// Bytes is the bytes sent, measured over predicted under this
	// migration's own time deviations (Perturb: a slower live round lets
	// more memory be dirtied, which the simulator already shows): what the
	// memory model missed beyond the times. It scales a prediction's
	// bytes, not a cost.
	Bytes float64 `json:"bytes"`
	// Pace is the pages a migration's rounds after its first sent (what
	// the workload dirtied and added while they ran), measured over
	// predicted under its own time deviations, when both had such rounds:
	// how fast the workload wrote while it migrated, against its model.
	// Only an app's factors use it (Calibration.Apps: the load's pace,
	// Workload.Paced); the calibration fits the synthetic workload's
	// dirtying itself.
	Pace float64 `json:"pace,omitempty"`
	// Resident is a growing app's resident memory when its migration
	// starts, measured over its profile's: the pages its cold probes
	// dumped over those predicted. Only an app's factors use it
	// (Calibration.Apps: Memory.WithResident).
	Resident float64 `json:"resident,omitempty"`
	// RoundPages is what a growing app's live rounds dirtied beyond the
	// pages it added and its profile's growing curve (Workload.Curve.Growing),
	// in pages: the median over its pre-copy probes' rounds after the
	// first. A migration's rounds dirty some pages its load at rest does
	// not (held-out sets L-N's Redis: 110-121 pages beyond its growth in
	// every round, its profile 88-106). Only an app's factors use it
	// (Calibration.Apps: Workload.WithRoundPages).
	RoundPages float64 `json:"round_pages,omitempty"`
}

// Perturb returns c as it would have been fitted had the testbed behaved as
// in migration d: the final dump's costs scaled by d.FinalDump, the link
// slowed by d.FinalTransfer (its bandwidth divided, its setup multiplied),
// the restore's costs scaled by d.Restore and the live rounds' costs by
// d.LiveRounds (their bandwidth divided). A ratio of zero leaves its costs
// alone.
func (c Calibration) Perturb(d Deviation) Calibration {
	scale := func(f float64, ds ...*Duration) {
		if f <= 0 {
			return
		}
		for _, x := range ds {
			*x = Duration(float64(*x) * f)
		}
	}
	k := &c.Costs
	scale(d.FinalDump, &k.FinalSetup, &k.ChainedFinalSetup, &k.FinalDumpPerPage, &k.Freeze)
	if k.FinalDumpPerPage == 0 {
		// One per-page cost serves both dumps (fewer than three live
		// rounds were fitted): the final dump's part of it.
		scale(d.FinalDump, &k.DumpPerPage)
	}
	scale(d.FinalTransfer, &k.TransferSetup)
	if d.FinalTransfer > 0 {
		c.Network.Bandwidth = Rate(float64(c.Network.Bandwidth) / d.FinalTransfer)
	}
	scale(d.Restore, &k.RestoreBase, &k.ChainedRestoreBase, &k.RestorePerPage, &k.RestorePerFinalPage, &k.Resume)
	if d.LiveRounds > 0 {
		scale(d.LiveRounds, &k.RoundSetup)
		if k.FinalDumpPerPage > 0 {
			scale(d.LiveRounds, &k.DumpPerPage)
		}
		if c.Network.LiveBandwidth > 0 {
			c.Network.LiveBandwidth = Rate(float64(c.Network.LiveBandwidth) / d.LiveRounds)
		}
	}
	return c
}
