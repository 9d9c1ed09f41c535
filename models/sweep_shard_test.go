package models

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestShardRangesPartition: for any grid and number of shards, the shards'
// ranges are contiguous, in order, cover the grid and differ by at most one.
func TestShardRangesPartition(t *testing.T) {
	for _, size := range []int{0, 1, 7, 42, 99856, 1000000} {
		for _, n := range []int{1, 2, 3, 8, 13, 100, 1000} {
			next, small, big := 0, size, 0
			for i := range n {
				lo, hi := Shard{Index: i, Count: n}.Range(size)
				if lo != next || hi < lo {
					t.Fatalf("size %d, shard %d/%d: [%d, %d), want it to start at %d", size, i, n, lo, hi, next)
				}
				next, small, big = hi, min(small, hi-lo), max(big, hi-lo)
			}
			if next != size || big-small > 1 {
				t.Fatalf("size %d, %d shards: end %d, sizes %d-%d", size, n, next, small, big)
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": Whole, "3/4": {3, 4}, " 0/16 ": {0, 16}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{"4/4": "between 0 and 3", "-1/2": "between 0 and 1", "1/0": "between 1 and",
		"1": "want i/N", "a/2": "whole numbers", "": "want i/N"} {
		if _, err := ParseShard(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseShard(%q): %v, want %q", in, err, msg)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, c := range []struct {
		env  map[string]string
		want Shard
		err  string
	}{
		{map[string]string{"JOB_COMPLETION_INDEX": "2"}, Shard{2, 5}, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "4"}, Shard{4, 5}, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "1", "SLURM_ARRAY_TASK_ID": "3"}, Shard{1, 5}, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": "3"}, Shard{3, 5}, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "5"}, Shard{}, "--array=0-4"},
		{map[string]string{}, Shard{}, "no index"},
	} {
		got, err := ShardFromEnv(5, env(c.env))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want %q", c.env, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v: %v, %v; want %v", c.env, got, err, c.want)
		}
	}
}

// TestSweepSliceAndID: a slice builds the grid's scenarios with their place
// in it; the id follows the definition.
func TestSweepSliceAndID(t *testing.T) {
	in := "name: s\nbase: {name: b, memory: {size: 1GiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}}\n" +
		"grid:\n  workload.dirty_rate: [1MB/s, 2MB/s, 3MB/s]\n  network.bandwidth: [100MB/s, 1GB/s]\n"
	sw, err := ParseSweep(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	sl := sw.Slice(Shard{1, 2})
	if lo, hi := sl.Bounds(); lo != 3 || hi != 6 || sl.Len() != 3 || sl.Size() != 6 {
		t.Fatalf("shard 1/2 of 6: [%d, %d), len %d, size %d", lo, hi, sl.Len(), sl.Size())
	}
	s, ref, err := sl.At(0)
	want, _ := sw.Scenario(3)
	if err != nil || s.Name != want.Name || s.Name != "b/bandwidth=1GB/s,dirty_rate=1MB/s" || *ref != (SweepRef{Name: "s", ID: sw.ID(), Index: 3, Size: 6}) {
		t.Fatalf("At(0) = %q, %+v, %v", s.Name, ref, err)
	}
	if len(sw.ID()) != 16 || sw.ID() != sw.ID() {
		t.Fatalf("id %q", sw.ID())
	}
	other := sw
	other.Base.Memory.Size *= 2
	if other.ID() == sw.ID() {
		t.Error("a changed base scenario keeps the sweep's id")
	}
}

// TestSweepSliceBuildsAsScenario: a slice's scenarios (built with the axes
// compiled once) are Scenario's, field for field, for axes of every kind
// SetParam sets: rates, sizes, durations, whole and real numbers, a pointer
// (precopy.stop.min_shrink) and a list (techniques).
func TestSweepSliceBuildsAsScenario(t *testing.T) {
	in := `name: kinds
base: {name: b, memory: {size: 1GiB, page_size: 4KiB}, workload: {dirty_rate: 1MB/s, wws: 256MiB}, network: {bandwidth: 1Gbit/s}}
grid:
  workload.dirty_rate: {from: 1MB/s, to: 200MB/s, steps: 3, log: true}
  workload.hot_fraction: [0, 0.25]
  memory.wws_ignored_typo_free: [1]
`
	in = strings.Replace(in, "  memory.wws_ignored_typo_free: [1]\n", "  repetitions: [1, 2]\n  precopy.stop.min_shrink: [0.5, 0.9]\n"+
		"  techniques: [cold, \"precopy,migrror\"]\n  costs.freeze: [1ms, 5ms]\n  workload.wws: [64MiB, 512MiB]\n", 1)
	sw, err := ParseSweep(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	sl := sw.Slice(Whole)
	if sl.axes == nil {
		t.Fatal("the axes did not compile")
	}
	for i := range sw.Size() {
		got, _, gerr := sl.At(i)
		want, werr := sw.Scenario(i)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("scenario %d:\n got %+v (%v)\nwant %+v (%v)", i, got, gerr, want, werr)
		}
	}
	a, _, _ := sl.At(0)
	b, _, _ := sl.At(1)
	if a.PreCopy.Stop.MinShrink == b.PreCopy.Stop.MinShrink || &a.Techniques[0] == &b.Techniques[0] {
		t.Error("two scenarios share a pointer or a list")
	}
	// A sweep file's own examples build the same way.
	for _, p := range []string{"../examples/sweep-10k.yaml", "../examples/sweep-dirty-rate.yaml"} {
		f, _ := os.Open(p)
		sw, err := ParseSweep(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sl := sw.Slice(Whole)
		for i := 0; i < sw.Size(); i += 7 {
			got, _, _ := sl.At(i)
			want, _ := sw.Scenario(i)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s scenario %d differs", p, i)
			}
		}
	}
}
