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

// TestTrafficCapCountsTheScenariosMemory: a calibration adds the runtime's
// base memory to a synthetic scenario's, and the traffic cap still
// multiplies the memory the scenario asked for, as the real migration's
// does; the closed form the same. Uncalibrated, it multiplies memory.size.
func TestTrafficCapCountsTheScenariosMemory(t *testing.T) {
	s := Scenario{Name: "cap", Memory: Memory{Size: 18 << 20, PageSize: 4096},
		Workload: Workload{DirtyRate: 320 << 10, WWS: 5632 << 10}, Network: Network{Bandwidth: 2 << 20}}
	s.PreCopy.Stop = StopRules{TrafficCap: 1.4, MaxRounds: 20}
	s = s.WithDefaults()
	c := Calibration{BaseMemory: 2 << 20, Costs: s.Costs}
	applied := c.Apply(s)
	if applied.Memory.Size != 20<<20 || applied.PreCopy.Stop.CapOf != 18<<20 {
		t.Fatalf("applied: memory %s, cap of %s; want 20 MiB and 18 MiB", applied.Memory.Size, applied.PreCopy.Stop.CapOf)
	}
	tech, err := NewTechnique(PreCopy, applied)
	if err != nil {
		t.Fatal(err)
	}
	if got := tech.(PreCopyTechnique).Memory; got != 18<<20 {
		t.Errorf("the calibrated pre-copy caps against %d bytes, want the scenario's 18 MiB", got)
	}
	if again := c.Apply(applied); again.PreCopy.Stop.CapOf != 18<<20 {
		t.Errorf("applied twice: cap of %s, want 18 MiB", again.PreCopy.Stop.CapOf)
	}
	if tech, _ := NewTechnique(PreCopy, s); tech.(PreCopyTechnique).Memory != 18<<20 {
		t.Errorf("uncalibrated: caps against %d bytes, want memory.size", tech.(PreCopyTechnique).Memory)
	}
	h := History{Memory: applied.PreCopy.Stop.capMemory(applied.Memory), Rounds: []Round{{Bytes: 26 << 20}}, Pending: 1 << 20}
	if got := applied.PreCopy.Stop.Check(h); got != StopTrafficCap {
		t.Errorf("26 MiB sent of an 18 MiB scenario capped at 1.4x (25.2 MiB): stop %q, want %q", got, StopTrafficCap)
	}
}
