package models

import "context"

// ColdTechnique is stop-and-copy: freeze, send all memory, resume on the target.
type ColdTechnique struct{}

// Name implements Technique.
func (ColdTechnique) Name() string { return Cold }

// Migrate implements Technique.
func (ColdTechnique) Migrate(ctx context.Context, env Env) (Result, error) {
	res := Result{Technique: Cold, StopReason: StopNoRounds}
	err := finish(ctx, env, &res)
	return res, err
}
