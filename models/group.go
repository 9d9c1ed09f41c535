package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// GroupMode says how the containers of a group migrate.
type GroupMode string

// Group modes.
const (
	GroupSequential GroupMode = "sequential"
	GroupParallel   GroupMode = "parallel"
)

// Group configures the migration of several containers that belong together.
type Group struct {
	// Containers is how many identical containers migrate (default 1).
	Containers int `yaml:"containers,omitempty" json:"containers"`
	// Mode is sequential (one after the other) or parallel (all at once, sharing the link).
	Mode GroupMode `yaml:"mode,omitempty" json:"mode,omitempty"`
}

// Validate checks the group size and mode.
func (g Group) Validate() error {
	if g.Containers < 1 || g.Containers > 1000 {
		return fmt.Errorf("group.containers: must be between 1 and 1000, got %d", g.Containers)
	}
	if g.Mode != GroupSequential && g.Mode != GroupParallel {
		return fmt.Errorf("group.mode: must be %q or %q, got %q", GroupSequential, GroupParallel, g.Mode)
	}
	return nil
}

// GroupResult is the outcome of a group migration.
type GroupResult struct {
	Members []Result
}

// Downtime is the group's downtime: from the first freeze to the last resume, the
// time during which the group as a whole was not fully running.
func (g GroupResult) Downtime() time.Duration {
	if len(g.Members) == 0 {
		return 0
	}
	first, last := g.Members[0].FreezeAt, g.Members[0].Resume.End
	for _, m := range g.Members[1:] {
		first = min(first, m.FreezeAt)
		last = max(last, m.Resume.End)
	}
	return last - first
}

// End is when the last member finished.
func (g GroupResult) End() time.Duration {
	var e time.Duration
	for _, m := range g.Members {
		e = max(e, m.End())
	}
	return e
}

// MigrateGroup migrates one container per env with the same technique, one after
// the other or all at once through par.
func MigrateGroup(ctx context.Context, t Technique, envs []Env, mode GroupMode, par Parallel) (GroupResult, error) {
	out := GroupResult{Members: make([]Result, len(envs))}
	if mode == GroupSequential {
		for i, e := range envs {
			r, err := t.Migrate(ctx, e)
			out.Members[i] = r
			if err != nil {
				return out, fmt.Errorf("container %d of %d: %w", i+1, len(envs), err)
			}
		}
		return out, nil
	}
	fns := make([]func(context.Context) error, len(envs))
	for i, e := range envs {
		fns[i] = func(ctx context.Context) error {
			r, err := t.Migrate(ctx, e)
			out.Members[i] = r
			if err != nil {
				return fmt.Errorf("container %d of %d: %w", i+1, len(envs), err)
			}
			return nil
		}
	}
	return out, errors.Join(par.Run(ctx, fns)...)
}

// Metrics aggregates a group's members into one record's metrics: bytes and
// pages summed; downtime, live rounds and degraded time the worst member's;
// converged only if every member converged (StopReason: the first member's that
// did not, else the first member's); total time to the last member's end; time
// after the earliest trigger; GroupDowntimeS first freeze to last resume; Extra
// members and mean_member_downtime_s. A single member gives MetricsOf.
func (g GroupResult) Metrics() Metrics {
	ms := g.Members
	if len(ms) == 0 {
		return Metrics{}
	}
	m := MetricsOf(ms[0])
	if len(ms) == 1 {
		return m
	}
	m.Converged = true
	sum, trigger := 0.0, ms[0].TriggerAt
	for i, r := range ms {
		x := MetricsOf(r)
		if i > 0 {
			m.BytesSent += x.BytesSent
			m.PagesSent += x.PagesSent
			m.DowntimeS = max(m.DowntimeS, x.DowntimeS)
			m.LiveRounds = max(m.LiveRounds, x.LiveRounds)
			m.DegradedS = max(m.DegradedS, x.DegradedS)
		}
		if !x.Converged && m.Converged {
			m.Converged, m.StopReason = false, x.StopReason
		}
		trigger = min(trigger, r.TriggerAt)
		sum += x.DowntimeS
	}
	m.TotalTimeS = g.End().Seconds()
	m.TimeAfterTriggerS = (g.End() - trigger).Seconds()
	m.GroupDowntimeS = g.Downtime().Seconds()
	m.Extra = map[string]float64{ExtraMembers: float64(len(ms)), ExtraMeanMemberDowntime: sum / float64(len(ms))}
	return m
}
