package real

import (
	"context"
	"fmt"

	"github.com/migrlab/migrlab/models"
)

// Parallel runs functions on goroutines: the real backend's models.Parallel.
type Parallel struct{}

var _ models.Parallel = Parallel{}

// Run implements models.Parallel.
func (Parallel) Run(ctx context.Context, fns []func(ctx context.Context) error) []error {
	errs := make([]error, len(fns))
	done := make(chan struct{})
	for i, fn := range fns {
		go func() {
			defer func() { done <- struct{}{} }()
			errs[i] = fn(ctx)
		}()
	}
	for range fns {
		<-done
	}
	return errs
}

// Extra returns the agents' measurements of the migration, named with their
// unit: per pre-dump round K (1-based) CRIU's pages_written, freezing, frozen,
// memdump and memwrite times and the transfer throughput; the same for the
// final dump plus podman's checkpoint time and the archive size; the restore
// time and CRIU's restore statistics; the throughput over all transfers; and
// the dirty-memory measurements after the first round (how many, their
// median wall time, the poll interval between them while waiting).
func (e *Env) Extra() map[string]float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := map[string]float64{}
	var bytes, secs float64
	for i, r := range e.rounds {
		p := fmt.Sprintf("round%d_", i+1)
		x[p+"pages_written"] = float64(r.Stats.PagesWritten)
		x[p+"pages_skipped_parent"] = float64(r.Stats.PagesSkippedParent)
		x[p+"freezing_s"] = r.Stats.FreezingTime.Seconds()
		x[p+"frozen_s"] = r.Stats.FrozenTime.Seconds()
		x[p+"memdump_s"] = r.Stats.MemdumpTime.Seconds()
		x[p+"memwrite_s"] = r.Stats.MemwriteTime.Seconds()
		x[p+"throughput_bytes_per_s"] = r.Transfer.Throughput()
		bytes += float64(r.Transfer.Bytes)
		secs += r.Transfer.Time.Seconds()
	}
	if f := e.final; f != nil {
		x["final_pages_written"] = float64(f.Stats.PagesWritten)
		x["final_pages_skipped_parent"] = float64(f.Stats.PagesSkippedParent)
		x[models.ExtraFinalFreezing] = f.Stats.FreezingTime.Seconds()
		x["final_frozen_s"] = f.Stats.FrozenTime.Seconds()
		x["final_memdump_s"] = f.Stats.MemdumpTime.Seconds()
		x["final_memwrite_s"] = f.Stats.MemwriteTime.Seconds()
		x["final_checkpoint_s"] = f.DumpTime.Seconds()
		x["final_archive_bytes"] = float64(f.ArchiveBytes)
		x[models.ExtraFinalThroughput] = f.Transfer.Throughput()
		bytes += float64(f.Transfer.Bytes)
		secs += f.Transfer.Time.Seconds()
	}
	if r := e.restored; r != nil {
		x[models.ExtraRestore] = r.RestoreTime.Seconds()
		if r.Stats.RestoreTime > 0 || r.Stats.PagesRestored > 0 {
			x[models.ExtraRestoreCRIU] = r.Stats.RestoreTime.Seconds()
			x["restore_forking_s"] = r.Stats.ForkingTime.Seconds()
			x[models.ExtraPagesRestored] = float64(r.Stats.PagesRestored)
		}
	}
	if secs > 0 {
		x["throughput_bytes_per_s"] = bytes / secs
	}
	if len(e.scans) > 0 {
		x["dirty_scans"] = float64(len(e.scans))
		x[models.ExtraDirtyScan] = models.Median(e.scans).Seconds()
		x[models.ExtraDirtyPollInterval] = e.poll.Seconds()
	}
	return x
}

// Predicted returns, for live round k (0-based, as in models.Result.Rounds),
// the dirty bytes measured on the source right after it: what the next round
// (or the final dump) was expected to send. ok is false when none was measured.
func (e *Env) Predicted(k int) (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.predicted[k+1]
	return v, ok
}
