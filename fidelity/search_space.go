package fidelity

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
)

// SearchSpace is the box Search samples in. Sizes are rounded to pages,
// rates to 1 KiB/s, triggers to 0.1 s.
type SearchSpace struct {
	// Memory is the workload's memory.size, uniform (rounded to 256 KiB).
	Memory [2]models.ByteSize
	// WWSFraction is workload.wws over memory.size, uniform.
	WWSFraction [2]float64
	// HotFraction and HotShare are the hot/cold split, uniform, drawn for
	// half the candidates (the other half has none).
	HotFraction, HotShare [2]float64
	// DirtyRate is workload.dirty_rate, log-uniform.
	DirtyRate [2]models.Rate
	// Threshold and MaxRounds are pre-copy's stop rules (log-uniform,
	// uniform integer).
	Threshold [2]models.ByteSize
	MaxRounds [2]int
	// SyncThreshold and Trigger are MiGrror's (log-uniform, uniform).
	SyncThreshold [2]models.ByteSize
	Trigger       [2]models.Duration
}

// SpaceFor is the search space of calibration c: memory sizes between the
// smallest and the largest that c's plan migrated (its scenarios are named
// calibration-<size>, see PlanFor), 8-32 MiB when c names none; the rest
// around the demo's comparisons (examples/compare-rate-*.yaml): a WWS of
// 10-100 % of the memory, dirty rates of 64 KiB/s to 4 MiB/s, pre-copy
// thresholds of 4 KiB to 1 MiB after 1 to 6 rounds, MiGrror syncs every
// 64 KiB to 2 MiB dirtied and triggers after 10 to 40 s.
func SpaceFor(c models.Calibration) SearchSpace {
	sp := SearchSpace{
		Memory: [2]models.ByteSize{8 << 20, 32 << 20}, WWSFraction: [2]float64{0.1, 1},
		HotFraction: [2]float64{0.05, 0.3}, HotShare: [2]float64{0.6, 0.95},
		DirtyRate: [2]models.Rate{64 << 10, 4 << 20}, Threshold: [2]models.ByteSize{4 << 10, 1 << 20}, MaxRounds: [2]int{1, 6},
		SyncThreshold: [2]models.ByteSize{64 << 10, 2 << 20},
		Trigger:       [2]models.Duration{models.Duration(10 * time.Second), models.Duration(40 * time.Second)},
	}
	var sizes []models.ByteSize
	for _, name := range c.Scenarios {
		size, ok := strings.CutPrefix(name, PlanScenarioPrefix)
		if b, err := models.ParseByteSize(size); ok && err == nil && b >= 1<<20 {
			sizes = append(sizes, b)
		}
	}
	if len(sizes) > 0 && slices.Max(sizes) > slices.Min(sizes) {
		sp.Memory = [2]models.ByteSize{slices.Min(sizes), slices.Max(sizes)}
	}
	return sp
}

// sample draws one scenario of the space.
func sample(rng *rand.Rand, sp SearchSpace, name string, techniques []string) models.Scenario {
	const page = 4096
	uni := func(r [2]float64) float64 { return r[0] + (r[1]-r[0])*rng.Float64() }
	logUni := func(lo, hi float64) float64 { return lo * math.Pow(hi/lo, rng.Float64()) }
	pages := func(b float64, lo, hi models.ByteSize) models.ByteSize {
		return min(max(models.ByteSize(b/page)*page, lo), hi)
	}
	const step = 256 << 10
	mem := models.ByteSize(uni([2]float64{float64(sp.Memory[0]), float64(sp.Memory[1])})/step) * step
	mem = min(max(mem, sp.Memory[0]), sp.Memory[1]) / page * page
	s := models.Scenario{Name: name, Techniques: slices.Clone(techniques), Memory: models.Memory{Size: mem, PageSize: page}}
	// No network: the testbed's own link, which the calibration gives the simulator.
	s.Workload.WWS = pages(uni(sp.WWSFraction)*float64(mem), 2*page, mem)
	hot, hf, hs := rng.IntN(2) == 1, uni(sp.HotFraction), uni(sp.HotShare)
	if hot {
		s.Workload.HotFraction, s.Workload.HotShare = math.Round(hf*100)/100, math.Round(hs*100)/100
	}
	s.Workload.DirtyRate = models.Rate(math.Round(logUni(float64(sp.DirtyRate[0]), float64(sp.DirtyRate[1]))/1024) * 1024)
	s.PreCopy.Stop = models.StopRules{
		Threshold: pages(logUni(float64(sp.Threshold[0]), float64(sp.Threshold[1])), page, mem),
		MaxRounds: sp.MaxRounds[0] + rng.IntN(sp.MaxRounds[1]-sp.MaxRounds[0]+1),
	}
	trig := uni([2]float64{sp.Trigger[0].Duration().Seconds(), sp.Trigger[1].Duration().Seconds()})
	s.MiGrror = models.MiGrrorParams{
		SyncThreshold: pages(logUni(float64(sp.SyncThreshold[0]), float64(sp.SyncThreshold[1])), page, mem),
		Trigger:       models.Duration(models.Seconds(math.Round(trig*10) / 10)),
	}
	return s.WithDefaults()
}
