package models

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Cost limits: beyond them `migrlab sweep`, `run` and `compare` refuse to
// start unless --force is given.
const (
	// MaxSweepEvents bounds the estimated simulator events of a sweep. The
	// sweep-10k example (docs/concepts.md, Performance) processes 15.1 million events
	// in 1.3 s of CPU, about 90 ns per event; 10^10 events are some 15
	// minutes of CPU on that machine (more under load, and a sweep that
	// large writes tens of GB of records).
	MaxSweepEvents = 1e10
	// MaxRunEvents is where the simulator stops one migration
	// (sim.DefaultMaxEvents; models cannot import sim, a test keeps them
	// equal). An estimate above it is capped: that migration fails instead.
	MaxRunEvents = 50_000_000
	// MaxRealTime bounds the estimated wall-clock time of real migrations.
	MaxRealTime = 6 * time.Hour
	// RealFixedPerMigration and RealLinkRate are the real-time estimate's
	// testbed: the local TCG testbed (two emulated VMs, README), where a
	// migration costs about a minute of podman and CRIU overhead besides the
	// bytes, and the private link moves about 2 MB/s (1.5 MB/s measured).
	RealFixedPerMigration = 60 * time.Second
	RealLinkRate          = Rate(2e6)
	// eventsPerRound and eventsPerMigration are what the engine processes
	// per round (dump, transfer, latency, wait) and per migration (freeze,
	// restore, resume...), measured on the examples (5 and 5 to 8).
	eventsPerRound     = 6
	eventsPerMigration = 10
)

// EstimateEvents estimates the simulator events of one repetition of
// technique on scenario s (defaults applied), every container of the group
// included. The memory model's cost does not grow with the memory size (the
// pages model computes the dirty set in closed form), only with the rounds:
// pre-copy's are bounded by max_rounds (or by traffic_cap over the
// threshold); MiGrror's by its trigger over the shortest possible sync
// period: min_interval, or the time to dirty sync_threshold at the peak
// dirty rate, or to dump and send it at the peak bandwidth, whichever is
// longest. Every trace point may add an event. Containers migrating in
// parallel share the link, and every event then updates all of their
// transfers, so they count containers times over. The estimate errs high.
func EstimateEvents(s Scenario, technique string) float64 {
	t, err := NewTechnique(technique, s)
	if err != nil {
		return 0
	}
	rounds := 1.0
	switch t.Name() {
	case PreCopy:
		rounds += s.preCopyRoundsBound()
	case MiGrror:
		rounds += migrrorRounds(s)
	}
	per := rounds*eventsPerRound + eventsPerMigration +
		float64(len(s.Workload.RateTrace.Points)+len(s.Network.BandwidthTrace.Points))
	n := float64(max(s.Group.Containers, 1))
	if s.Group.Mode == GroupParallel {
		n *= 1 + n/100 // every event reschedules the shared link's flows
	}
	return per * n
}

// migrrorRounds bounds MiGrror's sync rounds before the trigger.
func migrrorRounds(s Scenario) float64 {
	p := s.MiGrror
	th := float64(p.SyncThreshold)
	period := p.MinInterval.Seconds()
	if dirty := float64(s.Workload.DirtyRate) * maxFactor(s.Workload.RateTrace); dirty > 0 {
		period = math.Max(period, th/dirty)
	} else {
		return 1 // nothing is dirtied: one wait until the trigger
	}
	bw := math.Max(float64(s.Network.Bandwidth), float64(s.Network.LiveRate())) * maxFactor(s.Network.BandwidthTrace)
	send := s.Costs.RoundSetup.Seconds() + th/float64(s.Memory.PageSize)*s.Costs.DumpPerPage.Seconds() + th/bw
	period = math.Max(period, send)
	if period <= 0 {
		return math.Inf(1)
	}
	return 1 + p.Trigger.Seconds()/period
}

func maxFactor(t Trace) float64 {
	if t.Empty() {
		return 1
	}
	f := 0.0
	for _, p := range t.Points {
		f = math.Max(f, p.Factor)
	}
	return f
}

// EstimateScenarioEvents estimates the simulator events of every technique
// and repetition of s, each migration capped at MaxRunEvents.
func EstimateScenarioEvents(s Scenario) float64 {
	var n float64
	for _, t := range s.Techniques {
		n += math.Min(EstimateEvents(s, t), MaxRunEvents)
	}
	return n * float64(max(s.Repetitions, 1))
}

// EstimateRealTime estimates the wall-clock time of migrating s for real on
// the local TCG testbed: for every technique, repetition and container,
// RealFixedPerMigration plus the memory over RealLinkRate (twice for
// pre-copy and MiGrror, whose later rounds and final delta come on top of a
// full first round), plus MiGrror's trigger (it mirrors until then), plus
// warmup before each migration. A rough figure, good to a factor of two or
// three on that testbed (the demo's 64 MiB migrations took 1 to 5 minutes);
// KVM hosts and faster links are quicker.
func EstimateRealTime(s Scenario, warmup time.Duration) time.Duration {
	mem := float64(s.Memory.Size) / float64(RealLinkRate)
	var sec float64
	for _, name := range s.Techniques {
		t, err := NewTechnique(name, s)
		if err != nil {
			continue
		}
		one := RealFixedPerMigration.Seconds() + warmup.Seconds() + mem
		switch t.Name() {
		case PreCopy:
			one += mem
		case MiGrror:
			one += mem + s.MiGrror.Trigger.Seconds()
		}
		sec += one * float64(max(s.Group.Containers, 1))
	}
	sec *= float64(max(s.Repetitions, 1))
	if sec > float64(math.MaxInt64)/1e9 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(sec * float64(time.Second))
}

// CheckSweepCost refuses, unless force is set, scenarios whose simulation is
// estimated (EstimateScenarioEvents) at more than MaxSweepEvents; the error
// wraps ErrTooLarge. It returns the estimate either way.
func CheckSweepCost(scenarios []Scenario, force bool) (float64, error) {
	var c SweepCost
	for _, s := range scenarios {
		c.Add(s)
	}
	return c.Events, c.Check(force)
}

// SweepCost sums the estimated cost of a sweep's scenarios one at a time, so
// that a grid is checked without being held in memory; parts summed apart
// (in parallel) are merged in their order.
type SweepCost struct {
	// Scenarios is the number of scenarios added.
	Scenarios int
	// Events is their estimated simulator events (EstimateScenarioEvents).
	Events float64
	worst  string
	worstN float64
}

// Add adds one scenario (defaults applied).
func (c *SweepCost) Add(s Scenario) {
	n := EstimateScenarioEvents(s)
	c.Scenarios++
	c.Events += n
	if n > c.worstN {
		c.worst, c.worstN = s.Name, n
	}
}

// Merge adds the scenarios of o, which came after c's.
func (c *SweepCost) Merge(o SweepCost) {
	c.Scenarios += o.Scenarios
	c.Events += o.Events
	if o.worstN > c.worstN {
		c.worst, c.worstN = o.worst, o.worstN
	}
}

// Check refuses, unless force is set, an estimate of more than
// MaxSweepEvents; the error wraps ErrTooLarge and names the costliest
// scenario.
func (c SweepCost) Check(force bool) error {
	if c.Events <= MaxSweepEvents || force {
		return nil
	}
	return tooLargef("sweep: %d scenarios are estimated at %.3g simulator events (about %s of CPU at 90 ns per event), more than the limit of %.3g; the costliest, %q, at %.3g (its rounds: precopy.stop.max_rounds, migrror.trigger over min_interval or sync_threshold, times repetitions); pass --force to run anyway",
		c.Scenarios, c.Events, fmtDuration(c.Events*90e-9), float64(MaxSweepEvents), c.worst, c.worstN)
}

// CheckRealTime refuses, unless force is set, real migrations estimated
// (EstimateRealTime) at more than MaxRealTime; the error wraps ErrTooLarge.
func CheckRealTime(est time.Duration, runs int, force bool) error {
	if est <= MaxRealTime || force {
		return nil
	}
	return tooLargef("%d real migrations are estimated at %s (%s fixed per migration plus the memory at %s, the local TCG testbed), more than the limit of %s; fewer scenarios, techniques or repetitions, or pass --force to run anyway",
		runs, fmtDuration(est.Seconds()), RealFixedPerMigration, RealLinkRate, fmtDuration(MaxRealTime.Seconds()))
}

// RealRuns counts the real migrations of s: techniques x repetitions (a
// group's containers migrate together).
func RealRuns(s Scenario) int {
	return len(s.Techniques) * max(s.Repetitions, 1)
}

// fmtDuration renders seconds as a short human duration (45s, 12m, 3.5h, 2.1 days).
func fmtDuration(sec float64) string {
	switch {
	case sec < 120:
		return fmt.Sprintf("%.0fs", sec)
	case sec < 2*3600:
		return fmt.Sprintf("%.0fm", sec/60)
	case sec < 48*3600:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", sec/3600), ".0") + "h"
	}
	return fmt.Sprintf("%.3g days", sec/86400)
}

// FormatEstimate renders an estimated duration the way the cost errors do.
func FormatEstimate(d time.Duration) string { return fmtDuration(d.Seconds()) }

// preCopyRoundsBound is the most live rounds pre-copy can run: max_rounds, or
// without it, as many as the traffic cap allows at one threshold per round.
func (s Scenario) preCopyRoundsBound() float64 {
	st := s.PreCopy.Stop
	if st.MaxRounds > 0 {
		return float64(st.MaxRounds)
	}
	return 1 + (st.TrafficCap+1)*float64(s.Memory.Size)/math.Max(float64(st.Threshold), float64(s.Memory.PageSize))
}
