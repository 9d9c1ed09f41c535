package models

import (
	"context"
	"fmt"
	"time"
)

// MiGrrorParams configures MiGrror: a mirror of the container is kept on the
// target from the moment the container is prepared for migration, synchronised by
// rounds that fire on how much memory changed, not on a clock. At the trigger the
// workload is frozen and only the last delta is sent.
type MiGrrorParams struct {
	// SyncThreshold: a sync round fires when at least this much memory has been
	// dirtied since the previous round started.
	SyncThreshold ByteSize `yaml:"sync_threshold" json:"sync_threshold_bytes"`
	// MinInterval is the least time between the starts of two sync rounds.
	MinInterval Duration `yaml:"min_interval,omitempty" json:"min_interval_s"`
	// Trigger is when the migration is decided, counted from the start of mirroring.
	Trigger Duration `yaml:"trigger" json:"trigger_s"`
}

// Validate checks the parameters against the memory they mirror.
func (p MiGrrorParams) Validate(m Memory) error {
	if p.SyncThreshold < m.PageSize || p.SyncThreshold > m.Size {
		return fmt.Errorf("migrror.sync_threshold: must be between one page (%s) and memory.size (%s), got %s", m.PageSize, m.Size, p.SyncThreshold)
	}
	if p.MinInterval < 0 || p.MinInterval.Duration() > 24*time.Hour {
		return fmt.Errorf("migrror.min_interval: must be between 0 and 24h, got %s", p.MinInterval)
	}
	if p.Trigger < 0 || p.Trigger.Duration() > 24*time.Hour {
		return fmt.Errorf("migrror.trigger: must be between 0 and 24h, got %s", p.Trigger)
	}
	return nil
}

// MiGrrorTechnique is the MiGrror policy.
type MiGrrorTechnique struct{ Params MiGrrorParams }

// Name implements Technique.
func (MiGrrorTechnique) Name() string { return MiGrror }

// Migrate implements Technique: establish the mirror with a full round, then sync
// whenever SyncThreshold bytes are dirty (but not more often than MinInterval)
// until the trigger, then freeze and send the last delta.
func (t MiGrrorTechnique) Migrate(ctx context.Context, env Env) (Result, error) {
	trigger := t.Params.Trigger.Duration()
	res := Result{Technique: MiGrror, TriggerAt: trigger, StopReason: StopTrigger}
	// At most one sync per MinInterval until the trigger: room for them all
	// at once (a long mirror's rounds grew the slice a dozen times), in the
	// env's lent slice when it has that room.
	n := 0
	if mi := t.Params.MinInterval.Duration(); mi > 0 {
		n = int(min(trigger/mi+2, 4096))
	}
	res.Rounds = newRounds(env, n)
	for {
		r, err := env.Round(ctx)
		if err != nil {
			return res, fmt.Errorf("mirror sync round %d: %w", len(res.Rounds), err)
		}
		r.Index = len(res.Rounds)
		res.Rounds = append(res.Rounds, r)
		if env.Now() >= trigger {
			break
		}
		w, err := env.WaitDirty(ctx, int64(t.Params.SyncThreshold), r.Start+t.Params.MinInterval.Duration(), trigger)
		if err != nil {
			return res, fmt.Errorf("waiting for memory changes after sync round %d: %w", r.Index, err)
		}
		if w.Deadline {
			break
		}
	}
	return res, finish(ctx, env, &res)
}
