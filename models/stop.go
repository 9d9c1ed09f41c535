package models

import (
	"fmt"
	"time"
)

// StopReason names the rule that ended the live rounds of a migration.
type StopReason string

// Stop reasons. Converged reasons are Threshold and DowntimeTarget.
const (
	StopNone           StopReason = ""
	StopThreshold      StopReason = "threshold"
	StopMaxRounds      StopReason = "max_rounds"
	StopDowntimeTarget StopReason = "downtime_target"
	StopNonConvergence StopReason = "non_convergence"
	StopTrafficCap     StopReason = "traffic_cap"
	// StopTrigger ends MiGrror's mirroring: the migration was triggered.
	StopTrigger StopReason = "trigger"
	// StopNoRounds is used by techniques without live rounds (cold, post-copy).
	StopNoRounds StopReason = "no_live_rounds"
)

// Converged reports whether the reason means the dirty set became small enough,
// as opposed to the migration being cut short by a limit.
func (r StopReason) Converged() bool {
	switch r {
	case StopThreshold, StopDowntimeTarget, StopTrigger, StopNoRounds:
		return true
	}
	return false
}

// History is what stop rules look at after each live round.
type History struct {
	// Memory is the container's memory size in bytes.
	Memory int64
	// Rounds are the live rounds so far, the last one just finished.
	Rounds []Round
	// Pending is what the next round would send (bytes dirty now).
	Pending int64
}

// TotalSent returns the bytes sent by all rounds so far.
func (h History) TotalSent() int64 {
	var n int64
	for _, r := range h.Rounds {
		n += r.Bytes
	}
	return n
}

// StopRule decides, after a live round, whether to stop iterating.
type StopRule interface {
	// Name is the reason recorded when the rule fires.
	Name() StopReason
	// Stop reports whether the live rounds should end now.
	Stop(h History) bool
}

// ThresholdRule stops when the pending dirty data is at most Bytes
// (Liu et al.'s Vthd; p.haul uses 64 pages).
type ThresholdRule struct{ Bytes int64 }

// Name implements StopRule.
func (ThresholdRule) Name() StopReason { return StopThreshold }

// Stop implements StopRule.
func (r ThresholdRule) Stop(h History) bool { return h.Pending <= r.Bytes }

// MaxRoundsRule stops after N live rounds, the first full copy included
// (Liu's n_max; p.haul uses 8, LXD 10, cloud-hypervisor 5).
type MaxRoundsRule struct{ N int }

// Name implements StopRule.
func (MaxRoundsRule) Name() StopReason { return StopMaxRounds }

// Stop implements StopRule.
func (r MaxRoundsRule) Stop(h History) bool { return len(h.Rounds) >= r.N }

// DowntimeRule is QEMU's and SimGrid's rule: stop when the pending data could be
// sent within Target at the bandwidth the last round measured.
type DowntimeRule struct{ Target time.Duration }

// Name implements StopRule.
func (DowntimeRule) Name() StopReason { return StopDowntimeTarget }

// Stop implements StopRule.
func (r DowntimeRule) Stop(h History) bool {
	if len(h.Rounds) == 0 {
		return false
	}
	bw := h.Rounds[len(h.Rounds)-1].Bandwidth()
	if bw <= 0 {
		return h.Pending == 0
	}
	return float64(h.Pending)/bw <= r.Target.Seconds()
}

// NonConvergenceRule stops when a round is not smaller than the previous one by
// at least MinShrink (a fraction: 0.1 means 10%). p.haul stops when a round grows
// by more than 10%, which is MinShrink = -0.1.
type NonConvergenceRule struct{ MinShrink float64 }

// Name implements StopRule.
func (NonConvergenceRule) Name() StopReason { return StopNonConvergence }

// Stop implements StopRule.
func (r NonConvergenceRule) Stop(h History) bool {
	n := len(h.Rounds)
	if n < 2 {
		return false
	}
	prev, last := float64(h.Rounds[n-2].Bytes), float64(h.Rounds[n-1].Bytes)
	return last > prev*(1-r.MinShrink)
}

// TrafficCapRule stops when the bytes sent reach Factor times the memory size.
type TrafficCapRule struct{ Factor float64 }

// Name implements StopRule.
func (TrafficCapRule) Name() StopReason { return StopTrafficCap }

// Stop implements StopRule.
func (r TrafficCapRule) Stop(h History) bool {
	return float64(h.TotalSent()) >= r.Factor*float64(h.Memory)
}

// StopRules is the serialisable, composable set of stop rules of a scenario.
// Zero fields are off. The live rounds end as soon as any rule fires; rules are
// checked in the order threshold, downtime target, non-convergence, traffic cap,
// max rounds, so the most informative reason is recorded.
type StopRules struct {
	Threshold   ByteSize `yaml:"threshold,omitempty" json:"threshold_bytes,omitempty"`
	MaxDowntime Duration `yaml:"max_downtime,omitempty" json:"max_downtime_s,omitempty"`
	// MinShrink enables the non-convergence rule (see NonConvergenceRule); use a
	// pointer so 0 ("must not grow") can be told apart from off.
	MinShrink  *float64 `yaml:"min_shrink,omitempty" json:"min_shrink,omitempty"`
	TrafficCap float64  `yaml:"traffic_cap,omitempty" json:"traffic_cap,omitempty"`
	MaxRounds  int      `yaml:"max_rounds,omitempty" json:"max_rounds,omitempty"`
	// CapOf is the memory the traffic cap multiplies when it is not
	// memory.size: a calibration sets it to the memory the scenario asked
	// for before it adds the runtime's (Calibration.Apply), because the real
	// migration counts its cap against that. Not a scenario field.
	CapOf ByteSize `yaml:"-" json:"traffic_cap_of_bytes,omitempty"`
}

// capMemory is the memory the traffic cap multiplies: CapOf, or m's size.
func (s StopRules) capMemory(m Memory) int64 {
	if s.CapOf > 0 {
		return int64(s.CapOf)
	}
	return int64(m.Size)
}

// Rules returns the enabled rules in checking order.
func (s StopRules) Rules() []StopRule {
	var rs []StopRule
	if s.Threshold > 0 {
		rs = append(rs, ThresholdRule{int64(s.Threshold)})
	}
	if s.MaxDowntime > 0 {
		rs = append(rs, DowntimeRule{s.MaxDowntime.Duration()})
	}
	if s.MinShrink != nil {
		rs = append(rs, NonConvergenceRule{*s.MinShrink})
	}
	if s.TrafficCap > 0 {
		rs = append(rs, TrafficCapRule{s.TrafficCap})
	}
	if s.MaxRounds > 0 {
		rs = append(rs, MaxRoundsRule{s.MaxRounds})
	}
	return rs
}

// Check returns the first rule that fires, or StopNone: Rules in their order,
// called as concrete types (pre-copy checks after every round, and Rules'
// slice of boxed rules was a sweep's garbage; TestStopRulesCheckIsRules keeps
// the two in step).
func (s StopRules) Check(h History) StopReason {
	switch {
	case s.Threshold > 0 && (ThresholdRule{int64(s.Threshold)}).Stop(h):
		return ThresholdRule{}.Name()
	case s.MaxDowntime > 0 && (DowntimeRule{s.MaxDowntime.Duration()}).Stop(h):
		return DowntimeRule{}.Name()
	case s.MinShrink != nil && (NonConvergenceRule{*s.MinShrink}).Stop(h):
		return NonConvergenceRule{}.Name()
	case s.TrafficCap > 0 && (TrafficCapRule{s.TrafficCap}).Stop(h):
		return TrafficCapRule{}.Name()
	case s.MaxRounds > 0 && (MaxRoundsRule{s.MaxRounds}).Stop(h):
		return MaxRoundsRule{}.Name()
	}
	return StopNone
}

// Validate requires at least one rule that bounds the number of rounds even when
// the migration does not converge (max_rounds or traffic_cap).
func (s StopRules) Validate(field string) error {
	if s.Threshold < 0 {
		return fmt.Errorf("%s.threshold: must not be negative, got %s", field, s.Threshold)
	}
	if s.MaxDowntime < 0 {
		return fmt.Errorf("%s.max_downtime: must not be negative, got %s", field, s.MaxDowntime)
	}
	if s.MinShrink != nil && (*s.MinShrink <= -1 || *s.MinShrink >= 1 || *s.MinShrink != *s.MinShrink) {
		return fmt.Errorf("%s.min_shrink: must be in (-1, 1) (0.1 = each round 10%% smaller), got %g", field, *s.MinShrink)
	}
	if s.TrafficCap < 0 || (s.TrafficCap > 0 && s.TrafficCap < 1) || s.TrafficCap > 1000 || s.TrafficCap != s.TrafficCap {
		return fmt.Errorf("%s.traffic_cap: must be 0 (off) or between 1 and 1000 (times the memory size), got %g", field, s.TrafficCap)
	}
	if s.MaxRounds < 0 || s.MaxRounds > 10000 {
		return fmt.Errorf("%s.max_rounds: must be between 1 and 10000, got %d", field, s.MaxRounds)
	}
	if s.MaxRounds == 0 && s.TrafficCap == 0 {
		return fmt.Errorf("%s: set max_rounds or traffic_cap so a migration that does not converge still ends", field)
	}
	return nil
}
