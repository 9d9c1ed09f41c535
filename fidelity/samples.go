package fidelity

import (
	"fmt"

	"github.com/migrlab/migrlab/models"
)

// Point is one (x, y) observation of a fitted relation.
type Point struct{ X, Y float64 }

// DirtySample is one observation of how the container dirtied memory: the
// unique pages a round after a live round (a delta or the final round)
// dumped and the time since the previous round started (the window the
// simulator dirties a round's pages in), at a configured rate over a
// configured working set.
type DirtySample struct {
	// Rate is the configured dirty rate (bytes/s), WWS and Size the configured
	// writable working set and memory (bytes).
	Rate       float64
	WWS, Size  int64
	WindowS    float64
	Pages      int64
	Scenario   string
	RoundIndex int
}

// RoundSample is one round of a calibration migration.
type RoundSample struct {
	Scenario, Technique string
	Index               int
	Frozen              bool
	Pages, Bytes        int64
	// SpanS is the time the round occupied: a frozen round's duration; a live
	// pre-copy round's time from its start to the next round's start (the
	// soft-dirty scan between rounds included, as the simulator starts the
	// next round right away); another live round's duration.
	SpanS float64
	// TransferS is the measured transfer time of the round's bytes.
	TransferS float64
	// Overhead is what the round sent beyond its pages (bytes minus pages x
	// page size): CRIU's non-page images, and for the final round Podman's
	// checkpoint archive.
	Overhead int64
}

// RestoreSample is one restore on the target.
type RestoreSample struct {
	// Pages is what CRIU restored (every page: from the images of the whole
	// chain); FinalPages the pages of the final round (the imported archive).
	Pages, FinalPages float64
	// TotalS is podman's restore; CRIUS CRIU's part of it (its restore
	// statistics; 0 when unknown).
	TotalS, CRIUS float64
	// Chained: the final round followed live rounds (a chain of images).
	Chained bool
}

// Samples are the per-phase observations of calibration migrations, taken
// from their records (see Extract).
type Samples struct {
	// Rounds are every round, live and frozen.
	Rounds []RoundSample
	// Restore: podman's restores on the target.
	Restore []RestoreSample
	// ResumeGap: the resume step's time beyond podman's restore (confirming
	// the container runs, the agent's answer), seconds.
	ResumeGap []float64
	// Freeze: CRIU's freezing time of the final dumps, seconds.
	Freeze []float64
	// Base: bytes a full dump held beyond the workload's configured memory.
	Base []float64
	// Dirty: the delta and final rounds of pre-copy migrations.
	Dirty []DirtySample
	// DirtyScan: the median wall time of each migration's dirty-memory
	// measurements, seconds; PollInterval: the pause between two of them
	// while a mirror waits (the runner's setting), seconds.
	DirtyScan, PollInterval []float64
	// Snapshot: for each live round whose CRIU statistics are known, the
	// time from the round's start to the instant CRIU froze the tree and
	// took its dirty set, seconds (see snapshotDelay).
	Snapshot []float64
}

// Extract adds the observations of successful real single-container
// records to the samples; other records (and warm-up, probe and check
// migrations: models.Role.Auxiliary) are skipped. It returns how many records it used.
func (s *Samples) Extract(recs ...models.Record) int {
	used := 0
	for _, r := range recs {
		if r.Backend != models.BackendReal || r.Error != "" || len(r.Rounds) == 0 || r.Role.Auxiliary() ||
			r.Params.Group.Containers > 1 || r.Metrics.Extra[models.ExtraMembers] > 1 {
			continue
		}
		final := r.Rounds[len(r.Rounds)-1]
		if !final.Frozen {
			continue
		}
		used++
		page := float64(r.Params.Memory.PageSize)
		if page <= 0 {
			page = 4096
		}
		live := r.Rounds[:len(r.Rounds)-1]
		for i, x := range r.Rounds {
			span := x.DurationS
			if !x.Frozen && r.Technique == models.PreCopy {
				span = r.Rounds[i+1].StartS - x.StartS
			}
			s.Rounds = append(s.Rounds, RoundSample{Scenario: r.Scenario, Technique: r.Technique, Index: i,
				Frozen: x.Frozen, Pages: x.Pages, Bytes: x.Bytes, SpanS: span, TransferS: x.TransferS,
				Overhead: x.Bytes - x.Pages*int64(page)})
			if d, ok := snapshotDelay(x, r.Metrics.Extra); ok {
				s.Snapshot = append(s.Snapshot, d)
			}
			if x.Kind == string(models.RoundFull) || (x.Frozen && len(live) == 0) {
				s.Base = append(s.Base, float64(x.Pages)*page-float64(r.Params.Memory.Size))
			}
			if i > 0 && !r.Rounds[i-1].Frozen && r.Technique == models.PreCopy {
				s.Dirty = append(s.Dirty, DirtySample{Rate: float64(r.Params.Workload.DirtyRate),
					WWS: r.Params.Workload.WWSBytes(r.Params.Memory), Size: int64(r.Params.Memory.Size),
					WindowS: x.StartS - live[i-1].StartS, Pages: x.Pages, Scenario: r.Scenario, RoundIndex: i})
			}
		}
		ex := r.Metrics.Extra
		if rs, ok := ex[models.ExtraRestore]; ok && rs > 0 {
			pages := ex[models.ExtraPagesRestored]
			if pages <= 0 {
				// The pages of the container: what a restore from images loads.
				pages = float64(r.Params.Memory.Size)/page + restoredEstimate(r, page)
			}
			s.Restore = append(s.Restore, RestoreSample{Pages: pages, FinalPages: float64(final.Pages), TotalS: rs,
				CRIUS: ex[models.ExtraRestoreCRIU], Chained: len(live) > 0})
			if wall := r.Metrics.DowntimeS - final.DurationS; wall > 0 {
				s.ResumeGap = append(s.ResumeGap, wall-rs)
			}
		}
		if f, ok := ex[models.ExtraFinalFreezing]; ok {
			s.Freeze = append(s.Freeze, f)
		}
		if d := ex[models.ExtraDirtyScan]; d > 0 {
			s.DirtyScan = append(s.DirtyScan, d)
			s.PollInterval = append(s.PollInterval, ex[models.ExtraDirtyPollInterval])
		}
	}
	return used
}

// snapshotDelay is when a live round took its dirty set, in seconds after
// the round started: the request's way to the source agent (half the round's
// time beyond runc's pre-dump and the transfer), then runc's pre-dump up to
// the freeze (its wall time less CRIU's frozen and memory-writing times, which
// follow the freeze). CRIU reads and clears the soft-dirty bits while the
// tree is frozen, so the workload's writes up to the freeze are this round's.
// ok is false for a frozen round or without CRIU's statistics of the round.
func snapshotDelay(x models.RoundRecord, extra map[string]float64) (float64, bool) {
	if x.Frozen {
		return 0, false
	}
	p := fmt.Sprintf("round%d_", x.Index+1)
	frozen, ok1 := extra[p+"frozen_s"]
	write, ok2 := extra[p+"memwrite_s"]
	if !ok1 || !ok2 || x.DumpS <= 0 {
		return 0, false
	}
	way := max(0, x.DurationS-x.TransferS-x.DumpS) / 2
	return way + max(0, x.DumpS-frozen-write), true
}

// restoredEstimate is the runtime's pages beyond the buffer, from the full
// dump of the record (0 when it has none).
func restoredEstimate(r models.Record, page float64) float64 {
	for _, x := range r.Rounds {
		if x.Kind == string(models.RoundFull) || (x.Frozen && len(r.Rounds) == 1) {
			return max(0, float64(x.Pages)-float64(r.Params.Memory.Size)/page)
		}
	}
	return 0
}
