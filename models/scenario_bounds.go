package models

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxSimulatedTime bounds the simulated time a scenario may need in the worst
// case: about a third of what time.Duration (the simulator's clock, 292 years)
// holds, so sums of phases cannot overflow it.
const MaxSimulatedTime = 100 * 365 * 24 * time.Hour

// worstCase is an upper bound of one scenario's simulated time, split into the
// parts that a user can change.
type worstCase struct {
	transfer, dump, fixed, faults, wait float64 // seconds, all containers and rounds
	rounds                              float64 // live rounds of one pre-copy migration
}

func (w worstCase) total() float64 { return w.transfer + w.dump + w.fixed + w.faults + w.wait }

// worstCaseTime bounds the simulated time of the slowest technique of s: every
// round sends the whole memory at the lowest bandwidth the trace allows and
// dumps every page; pre-copy runs all its rounds (max_rounds, or as many as
// traffic_cap allows above the threshold); MiGrror mirrors until the trigger
// and a round may straddle it; a post-copy push may fault on every page; a
// group multiplies it all by its containers (sequential ones one after the
// other, parallel ones sharing the link).
func (s Scenario) worstCaseTime() worstCase {
	pages := float64(s.Memory.Pages())
	bw := math.Min(float64(s.Network.Bandwidth), float64(s.Network.LiveRate()))
	minF, stalls := 1.0, 0.0
	if pts := s.Network.BandwidthTrace.Points; len(pts) > 0 {
		minF = math.Inf(1)
		for _, p := range pts {
			if p.Factor > 0 {
				minF = math.Min(minF, p.Factor)
			}
		}
		stalls = pts[len(pts)-1].At.Seconds()
	}
	bw *= minF
	c := s.Costs
	full := float64(s.Memory.Size) + float64(max(c.RoundOverhead, c.FinalOverhead))
	perPage := math.Max(c.DumpPerPage.Seconds(), c.FinalPerPage().Seconds())
	fixed := c.Freeze.Seconds() + c.RoundSetup.Seconds() + max(c.FinalSetup, c.ChainedFinalSetup).Seconds() + c.TransferSetup.Seconds() + s.Network.Latency.Seconds()
	restore := max(c.RestoreBase, c.ChainedRestoreBase).Seconds() + pages*(c.RestorePerPage.Seconds()+c.RestorePerFinalPage.Seconds()) + c.Resume.Seconds()

	var w worstCase
	for _, name := range s.Techniques {
		t, err := NewTechnique(name, s)
		if err != nil {
			continue
		}
		rounds, wait, faults := 1.0, 0.0, 0.0 // rounds counts every dump and send, the final one included
		switch t.Name() {
		case PreCopy:
			live := s.preCopyRoundsBound()
			rounds += live
			w.rounds = math.Max(w.rounds, live)
		case MiGrror:
			rounds, wait = 3, s.MiGrror.Trigger.Seconds()+s.MiGrror.MinInterval.Seconds()
		case PostCopy:
			faults = pages * (2*s.Network.Latency.Seconds() + float64(s.Memory.PageSize)/bw)
		}
		cand := worstCase{transfer: mul(rounds, full/bw), dump: mul(rounds, pages*perPage), fixed: mul(rounds, fixed) + restore, faults: faults, wait: wait}
		if cand.total() > w.total() || w.total() == 0 {
			cand.rounds = w.rounds
			w = cand
		}
	}
	g := float64(max(s.Group.Containers, 1))
	w.transfer, w.dump, w.fixed, w.faults = w.transfer*g, w.dump*g, w.fixed*g, w.faults*g
	w.wait = w.wait*g + stalls
	return w
}

// mul is a*b with 0 x Inf = 0 (no cost per round, however many rounds).
func mul(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a * b
}

// checkClock refuses scenarios whose worst case does not fit the simulator's
// clock (MaxSimulatedTime), naming the parameters that make it that long.
// A scenario without a network has no clock to check until a calibration
// gives it its link.
func (s Scenario) checkClock() error {
	if s.Network.Native() {
		return nil
	}
	w := s.worstCaseTime()
	tot := w.total()
	if !(tot > MaxSimulatedTime.Seconds()) && !math.IsNaN(tot) {
		return nil
	}
	parts := []struct {
		v      float64
		fields string
	}{
		{w.transfer, "memory.size over network.bandwidth (and network.bandwidth_trace's smallest factor)"},
		{w.dump, "costs.dump_per_page (or final_dump_per_page) x memory pages"},
		{w.fixed, "costs (fixed, restore_per_page and restore_per_final_page)"},
		{w.faults, "post-copy faults: memory pages x (2 x network.latency + memory.page_size / network.bandwidth)"},
		{w.wait, "migrror.trigger and network.bandwidth_trace"},
	}
	big := parts[0]
	for _, p := range parts[1:] {
		if p.v > big.v {
			big = p
		}
	}
	var also []string
	if w.rounds > 1 {
		also = append(also, fmt.Sprintf("precopy.stop.max_rounds/traffic_cap allow %.3g live rounds", w.rounds))
	}
	if s.Group.Containers > 1 {
		also = append(also, fmt.Sprintf("group.containers = %d", s.Group.Containers))
	}
	extra := ""
	if len(also) > 0 {
		extra = "; " + strings.Join(also, ", ")
	}
	return fmt.Errorf("%s: a migration could need up to %.3g years of simulated time, more than the %d years the simulator allows%s; make them smaller",
		big.fields, tot/(365*24*3600), int(MaxSimulatedTime.Hours()/(365*24)), extra)
}
