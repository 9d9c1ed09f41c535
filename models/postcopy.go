package models

import (
	"context"
	"fmt"
)

// PostCopyParams configures post-copy.
type PostCopyParams struct {
	// Handover is the minimal state sent while frozen (registers, page tables,
	// descriptors) before the workload resumes on the target.
	Handover ByteSize `yaml:"handover,omitempty" json:"handover_bytes"`
}

// PostCopyTechnique freezes the workload, sends minimal state, resumes it on the
// target, then pushes the remaining memory while missing pages are faulted from
// the source: short downtime, a degraded period after it.
type PostCopyTechnique struct{ Minimal int64 }

// Name implements Technique.
func (PostCopyTechnique) Name() string { return PostCopy }

// Migrate implements Technique.
func (t PostCopyTechnique) Migrate(ctx context.Context, env Env) (Result, error) {
	res := Result{Technique: PostCopy, StopReason: StopNoRounds}
	pc, ok := env.(PostCopyEnv)
	if !ok {
		return res, fmt.Errorf("post-copy: %w (use the simulator, or choose cold, precopy or migrror)", ErrUnsupported)
	}
	h, err := pc.Handover(ctx, t.Minimal)
	if err != nil {
		return res, fmt.Errorf("post-copy handover: %w", err)
	}
	res.Rounds = append(res.Rounds, h)
	res.FreezeAt = h.Start
	if res.Resume, err = env.Resume(ctx); err != nil {
		return res, fmt.Errorf("resume on target: %w", err)
	}
	st, err := pc.PushRemaining(ctx)
	if err != nil {
		return res, fmt.Errorf("post-copy push: %w", err)
	}
	res.PostCopy = &st
	return res, nil
}
