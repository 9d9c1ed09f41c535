package models

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseSweepExample(t *testing.T) {
	f, err := os.Open("../examples/sweep-dirty-rate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sw, err := ParseSweep(f)
	if err != nil {
		t.Fatal(err)
	}
	if sw.Size() != 20 {
		t.Fatalf("size %d, want 20", sw.Size())
	}
	first, err := sw.Scenario(0)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := sw.Scenario(19)
	if first.Network.Bandwidth != 100e6 || first.Workload.DirtyRate != 1e6 {
		t.Errorf("first = bw %g dirty %g", float64(first.Network.Bandwidth), float64(first.Workload.DirtyRate))
	}
	if last.Network.Bandwidth != 125e6 || last.Workload.DirtyRate != 150e6 {
		t.Errorf("last = bw %g dirty %g", float64(last.Network.Bandwidth), float64(last.Workload.DirtyRate))
	}
	if !strings.Contains(last.Name, "dirty_rate=") || first.Name == last.Name {
		t.Errorf("names %q %q", first.Name, last.Name)
	}
	if sw.Base.Workload.DirtyRate != 10e6 {
		t.Error("the sweep modified its base")
	}
}

func TestSetParam(t *testing.T) {
	s := Scenario{}
	cases := []struct{ path, val string }{
		{"memory.size", "2GiB"}, {"network.latency", "5ms"}, {"precopy.stop.max_rounds", "7"},
		{"precopy.stop.min_shrink", "0.1"}, {"techniques", "cold,migrror"}, {"costs.restore_all_pages", "true"},
	}
	for _, c := range cases {
		if err := SetParam(&s, c.path, c.val); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
	}
	if s.Memory.Size != 2<<30 || s.Network.Latency.Duration() != 5*time.Millisecond || s.PreCopy.Stop.MaxRounds != 7 ||
		*s.PreCopy.Stop.MinShrink != 0.1 || len(s.Techniques) != 2 || !s.Costs.RestoreAllPages {
		t.Fatalf("got %+v", s)
	}
	for _, bad := range []string{"memory.colour", "memory", "name.x"} {
		if err := SetParam(&s, bad, "1"); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := SetParam(&s, "memory.size", "lots"); err == nil || !strings.Contains(err.Error(), "memory.size") {
		t.Errorf("bad value: %v", err)
	}
}

func TestSweepRefusesHugeGrids(t *testing.T) {
	in := "name: big\nmax_scenarios: 10\nbase: {name: b, memory: {size: 1GiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}}\ngrid:\n  workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 11}\n"
	_, err := ParseSweep(strings.NewReader(in))
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseSweep(f *testing.F) {
	b, _ := os.ReadFile("../examples/sweep-dirty-rate.yaml")
	f.Add(string(b))
	f.Fuzz(func(t *testing.T, in string) {
		sw, err := ParseSweep(strings.NewReader(in))
		if err != nil {
			return
		}
		for i := 0; i < min(sw.Size(), 5); i++ {
			_, _ = sw.Scenario(i)
		}
	})
}
