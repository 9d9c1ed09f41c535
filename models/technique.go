package models

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Technique is a migration policy: it decides when to send what, over an Env.
type Technique interface {
	// Name is the technique's identifier in scenarios and records.
	Name() string
	// Migrate runs one migration to completion (the workload running on the target).
	Migrate(ctx context.Context, env Env) (Result, error)
}

// Result is what a migration did, in the environment's measurements.
type Result struct {
	Technique string
	// Rounds holds the live rounds followed by the frozen round.
	Rounds     []Round
	StopReason StopReason
	// TriggerAt is when the migration was decided (MiGrror; 0 for the others).
	TriggerAt time.Duration
	// FreezeAt is when the workload stopped on the source.
	FreezeAt time.Duration
	Resume   ResumeInfo
	// PostCopy is set by post-copy only.
	PostCopy *PostCopyStats
}

// Downtime is the time the workload ran nowhere: freeze to resume on the target.
func (r Result) Downtime() time.Duration { return r.Resume.End - r.FreezeAt }

// End is when the migration finished: resume, or for post-copy the last page.
func (r Result) End() time.Duration {
	if r.PostCopy != nil && r.PostCopy.End > r.Resume.End {
		return r.PostCopy.End
	}
	return r.Resume.End
}

// TotalTime is the migration's duration from its start (for MiGrror: from the
// start of mirroring) to its end.
func (r Result) TotalTime() time.Duration { return r.End() }

// TimeAfterTrigger is the time from the migration decision to the end.
func (r Result) TimeAfterTrigger() time.Duration { return r.End() - r.TriggerAt }

// BytesSent totals all rounds and post-copy's pushed pages.
func (r Result) BytesSent() int64 {
	var n int64
	for _, x := range r.Rounds {
		n += x.Bytes
	}
	if r.PostCopy != nil {
		n += r.PostCopy.Bytes
	}
	return n
}

// PagesSent totals pages like BytesSent.
func (r Result) PagesSent() int64 {
	var n int64
	for _, x := range r.Rounds {
		n += x.Pages
	}
	if r.PostCopy != nil {
		n += r.PostCopy.Pages
	}
	return n
}

// LiveRounds returns the number of rounds run while the workload kept running.
func (r Result) LiveRounds() int {
	n := 0
	for _, x := range r.Rounds {
		if !x.Frozen {
			n++
		}
	}
	return n
}

// Technique names.
const (
	Cold     = "cold"
	PreCopy  = "precopy"
	MiGrror  = "migrror"
	PostCopy = "postcopy"
)

// TechniqueNames lists every technique, in the order tables show them.
var TechniqueNames = []string{Cold, PreCopy, MiGrror, PostCopy}

// NewTechnique builds the named technique with the scenario's parameters.
func NewTechnique(name string, s Scenario) (Technique, error) {
	switch strings.ToLower(name) {
	case Cold:
		return ColdTechnique{}, nil
	case PreCopy, "pre-copy":
		return PreCopyTechnique{Stop: s.PreCopy.Stop, Memory: s.PreCopy.Stop.capMemory(s.Memory)}, nil
	case MiGrror:
		return MiGrrorTechnique{Params: s.MiGrror}, nil
	case PostCopy, "post-copy":
		return PostCopyTechnique{Minimal: int64(s.PostCopy.Handover)}, nil
	}
	names := append([]string(nil), TechniqueNames...)
	sort.Strings(names)
	return nil, fmt.Errorf("unknown technique %q (valid: %s)", name, strings.Join(names, ", "))
}

// finish freezes, sends what is left, and resumes on the target.
func finish(ctx context.Context, env Env, res *Result) error {
	final, err := env.StopAndCopy(ctx)
	if err != nil {
		return fmt.Errorf("stop-and-copy: %w", err)
	}
	final.Index = len(res.Rounds)
	if res.Rounds == nil {
		res.Rounds = newRounds(env, 1) // cold: its only round
	}
	res.Rounds = append(res.Rounds, final)
	res.FreezeAt = final.Start
	rs, err := env.Resume(ctx)
	if err != nil {
		return fmt.Errorf("resume on target: %w", err)
	}
	res.Resume = rs
	return nil
}
