package models

import (
	"testing"
	"time"
)

func rounds(bytes ...int64) []Round {
	out := make([]Round, len(bytes))
	for i, b := range bytes {
		out[i] = Round{Index: i, Bytes: b, TransferTime: time.Duration(b) * time.Microsecond} // 1 MB/s
	}
	return out
}

func TestStopRules(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name  string
		rules StopRules
		h     History
		want  StopReason
	}{
		{"threshold fires", StopRules{Threshold: 100, MaxRounds: 9}, History{Rounds: rounds(1000), Pending: 100}, StopThreshold},
		{"threshold holds", StopRules{Threshold: 100, MaxRounds: 9}, History{Rounds: rounds(1000), Pending: 101}, StopNone},
		{"max rounds", StopRules{MaxRounds: 2}, History{Rounds: rounds(1000, 900), Pending: 800}, StopMaxRounds},
		// 1 MB/s measured: 30 ms allows 30000 bytes.
		{"downtime fires", StopRules{MaxDowntime: Duration(30 * time.Millisecond), MaxRounds: 9}, History{Rounds: rounds(1e6), Pending: 30000}, StopDowntimeTarget},
		{"downtime holds", StopRules{MaxDowntime: Duration(30 * time.Millisecond), MaxRounds: 9}, History{Rounds: rounds(1e6), Pending: 30001}, StopNone},
		{"no shrink", StopRules{MinShrink: f(0.1), MaxRounds: 9}, History{Rounds: rounds(1000, 901), Pending: 800}, StopNonConvergence},
		{"enough shrink", StopRules{MinShrink: f(0.1), MaxRounds: 9}, History{Rounds: rounds(1000, 900), Pending: 800}, StopNone},
		{"phaul growth", StopRules{MinShrink: f(-0.1), MaxRounds: 9}, History{Rounds: rounds(1000, 1101), Pending: 800}, StopNonConvergence},
		{"traffic cap", StopRules{TrafficCap: 2, MaxRounds: 9}, History{Memory: 1000, Rounds: rounds(1000, 1000), Pending: 800}, StopTrafficCap},
		{"order: threshold before max", StopRules{Threshold: 900, MaxRounds: 1}, History{Rounds: rounds(1000), Pending: 800}, StopThreshold},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rules.Check(c.h); got != c.want {
				t.Fatalf("Check = %q, want %q", got, c.want)
			}
		})
	}
}

func TestStopRulesValidate(t *testing.T) {
	if err := (StopRules{Threshold: 1}).Validate("precopy.stop"); err == nil {
		t.Fatal("rules that never bound a non-convergent migration were accepted")
	}
	if err := (StopRules{TrafficCap: 0.5, MaxRounds: 3}).Validate("precopy.stop"); err == nil {
		t.Fatal("traffic cap below 1x memory accepted")
	}
}
