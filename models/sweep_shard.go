package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is the Index-th (from 0) of Count contiguous slices of a sweep's grid.
// The shards of a grid, concatenated in index order, are the whole grid in
// its order, so their records concatenate into the unsharded sweep's.
type Shard struct {
	Index, Count int
}

// Whole is the shard that is the whole grid.
var Whole = Shard{Index: 0, Count: 1}

// ShardEnv names the environment variables that give a shard's index when
// only the number of shards is given (Kubernetes Indexed Jobs, then Slurm job
// arrays), in the order they are read.
var ShardEnv = []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}

// ParseShard reads "i/N" (0 <= i < N).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/N, the i-th (from 0) of N shards, for example 0/4", s)
	}
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/N with whole numbers, for example 0/4", s)
	}
	sh := Shard{Index: idx, Count: cnt}
	return sh, sh.Check()
}

// ShardFromEnv returns the shard of count whose index is the first of
// ShardEnv that is set (lookup is os.LookupEnv when nil).
func ShardFromEnv(count int, lookup func(string) (string, bool)) (Shard, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	for _, name := range ShardEnv {
		v, ok := lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return Shard{}, fmt.Errorf("shard: %s=%q is not a whole number", name, v)
		}
		sh := Shard{Index: idx, Count: count}
		if err := sh.Check(); err != nil {
			return Shard{}, fmt.Errorf("%w (the index from %s; a Slurm array must count from 0: --array=0-%d)", err, name, count-1)
		}
		return sh, nil
	}
	return Shard{}, fmt.Errorf("shard: %d shards but no index: give --shard i/%d, or run as a Kubernetes Indexed Job (%s) or a Slurm job array (%s)",
		count, count, ShardEnv[0], ShardEnv[1])
}

// Check reports whether the shard is one of its count.
func (sh Shard) Check() error {
	if sh.Count < 1 || sh.Count > MaxSweepScenarios {
		return fmt.Errorf("shard %d/%d: the number of shards must be between 1 and %d", sh.Index, sh.Count, MaxSweepScenarios)
	}
	if sh.Index < 0 || sh.Index >= sh.Count {
		return fmt.Errorf("shard %d/%d: the index must be between 0 and %d", sh.Index, sh.Count, sh.Count-1)
	}
	return nil
}

// String writes the shard as i/N.
func (sh Shard) String() string { return fmt.Sprintf("%d/%d", sh.Index, sh.Count) }

// Range returns the shard's scenarios of a grid of size scenarios: the
// indices lo (inclusive) to hi (exclusive). Shards differ by at most one
// scenario; with more shards than scenarios some are empty.
func (sh Shard) Range(size int) (lo, hi int) {
	if sh.Count <= 0 {
		return 0, size
	}
	at := func(i int) int { return int(int64(size) * int64(i) / int64(sh.Count)) }
	return at(sh.Index), at(sh.Index + 1)
}

// SweepRef places a record in its sweep's grid, so that the records of a
// sweep's shards can be merged and checked for missing or repeated shards.
type SweepRef struct {
	// Name is the sweep's name.
	Name string `json:"name"`
	// ID identifies the sweep's definition (base scenario and grid): shards
	// of a sweep whose file changed between them do not merge.
	ID string `json:"id"`
	// Index is the scenario's index in the whole grid (the last axis varies
	// fastest), whatever shard ran it.
	Index int `json:"index"`
	// Size is the number of scenarios of the whole grid.
	Size int `json:"size"`
}

// ID returns a short hash of the sweep's definition: its name, base scenario
// and axes.
func (s Sweep) ID() string {
	b, err := json.Marshal(struct {
		Name string
		Base Scenario
		Axes []Axis
	}{s.Name, s.Base, s.Axes})
	if err != nil {
		panic(fmt.Sprintf("sweep %q: %v", s.Name, err)) // a Scenario always marshals
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// SweepSlice is a shard of a sweep's grid, its scenarios built on demand
// (never all held at once): a grid of a million scenarios costs no memory.
// It is safe for concurrent use.
type SweepSlice struct {
	sweep  Sweep
	axes   []compiledAxis // nil: Sweep.Scenario builds the scenarios
	id     string
	lo, hi int
}

// Slice returns the shard sh of the grid.
func (s Sweep) Slice(sh Shard) SweepSlice {
	lo, hi := sh.Range(s.Size())
	return SweepSlice{sweep: s, axes: compileAxes(s), id: s.ID(), lo: lo, hi: hi}
}

// Len returns the number of scenarios of the slice.
func (sl SweepSlice) Len() int { return sl.hi - sl.lo }

// Bounds returns the slice's first index in the whole grid and the one past
// its last.
func (sl SweepSlice) Bounds() (lo, hi int) { return sl.lo, sl.hi }

// Size returns the number of scenarios of the whole grid.
func (sl SweepSlice) Size() int { return sl.sweep.Size() }

// At returns the k-th scenario of the slice (k from 0), defaults applied,
// and its place in the grid. The error says why the scenario is invalid; the
// scenario is then as far as it could be built.
func (sl SweepSlice) At(k int) (Scenario, *SweepRef, error) {
	i := sl.lo + k
	var sc Scenario
	var err error
	if sl.axes != nil {
		sc, err = sl.sweep.scenarioAt(sl.axes, i)
	} else {
		sc, err = sl.sweep.Scenario(i)
	}
	return sc, &SweepRef{Name: sl.sweep.Name, ID: sl.id, Index: i, Size: sl.sweep.Size()}, err
}
