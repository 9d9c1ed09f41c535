package models

import (
	"testing"
	"time"
)

// TestStopRulesCheckIsRules: Check, which calls the rules as concrete types,
// answers what the first rule of Rules that fires says, for every set of
// rules on and off over histories where several fire at once.
func TestStopRulesCheckIsRules(t *testing.T) {
	shrink := 0.1
	all := StopRules{Threshold: 900, MaxDowntime: Duration(time.Millisecond), MinShrink: &shrink, TrafficCap: 1.5, MaxRounds: 2}
	hs := []History{
		{Memory: 1000, Rounds: rounds(1000), Pending: 800},
		{Memory: 1000, Rounds: rounds(1000, 990), Pending: 950},
		{Memory: 1000, Rounds: rounds(1000, 990, 980), Pending: 2000},
		{Memory: 10000, Rounds: rounds(1000), Pending: 5000},
	}
	for mask := range 32 {
		var s StopRules
		if mask&1 != 0 {
			s.Threshold = all.Threshold
		}
		if mask&2 != 0 {
			s.MaxDowntime = all.MaxDowntime
		}
		if mask&4 != 0 {
			s.MinShrink = all.MinShrink
		}
		if mask&8 != 0 {
			s.TrafficCap = all.TrafficCap
		}
		if mask&16 != 0 {
			s.MaxRounds = all.MaxRounds
		}
		for i, h := range hs {
			want := StopNone
			for _, r := range s.Rules() {
				if r.Stop(h) {
					want = r.Name()
					break
				}
			}
			if got := s.Check(h); got != want {
				t.Errorf("rules %05b, history %d: Check = %q, Rules say %q", mask, i, got, want)
			}
		}
	}
}
