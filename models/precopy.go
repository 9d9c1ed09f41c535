package models

import (
	"context"
	"fmt"
)

// PreCopyTechnique sends all memory while the workload runs, then iteratively the
// pages dirtied during the previous round, until a stop rule fires; then it
// freezes the workload, sends the rest and resumes on the target.
type PreCopyTechnique struct {
	Stop StopRules
	// Memory is the container's memory size, for the traffic-cap rule.
	Memory int64
}

// Name implements Technique.
func (PreCopyTechnique) Name() string { return PreCopy }

// Migrate implements Technique.
func (t PreCopyTechnique) Migrate(ctx context.Context, env Env) (Result, error) {
	res := Result{Technique: PreCopy, Rounds: newRounds(env, 0)}
	for {
		r, err := env.Round(ctx)
		if err != nil {
			return res, fmt.Errorf("pre-copy round %d: %w", len(res.Rounds), err)
		}
		r.Index = len(res.Rounds)
		res.Rounds = append(res.Rounds, r)
		pending, err := env.Dirty(ctx)
		if err != nil {
			return res, fmt.Errorf("measuring dirty memory after round %d: %w", r.Index, err)
		}
		reason := t.Stop.Check(History{Memory: t.Memory, Rounds: res.Rounds, Pending: pending})
		if reason != StopNone {
			res.StopReason = reason
			break
		}
	}
	return res, finish(ctx, env, &res)
}
