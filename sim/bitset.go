package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// bitMemory is the exhaustive memory model: one bit per WWS page, written by a
// seeded PCG generator. Write k (counted from time 0) happens when the
// cumulative write count reaches k, so the model is deterministic in time and
// reproducible from the seed.
type bitMemory struct {
	pools []pool
	base  []int64 // first page of each pool
	set   []uint64
	count int64 // pages set since the last reset
	done  int64 // writes applied so far (cumulative from time 0)
	pcg   rand.PCG
	rng   *rand.Rand
}

func newBitMemory(pools []pool, seed uint64) *bitMemory {
	b := &bitMemory{pools: pools, pcg: *rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)}
	n := int64(0)
	for _, p := range pools {
		b.base = append(b.base, n)
		n += int64(p.n)
	}
	b.set = make([]uint64, (n+63)/64)
	b.rng = rand.New(&b.pcg)
	return b
}

// page draws the page of the next write from rng.
func (b *bitMemory) page(rng *rand.Rand) int64 {
	i := 0
	if len(b.pools) > 1 && rng.Float64() >= b.pools[0].share {
		i = 1
	}
	return b.base[i] + rng.Int64N(int64(b.pools[i].n))
}

// reset clears the dirty set at cumulative write count w; the writes before
// it are skipped (they are not drawn: nothing would remember them).
func (b *bitMemory) reset(w float64) {
	b.done = max(b.done, int64(math.Floor(w)))
	clear(b.set)
	b.count = 0
}

// advance applies the writes up to cumulative count w and returns the number
// of pages dirty since the last reset.
func (b *bitMemory) advance(w float64) int64 {
	for target := int64(math.Floor(w)); b.done < target; b.done++ {
		pg := b.page(b.rng)
		if word, bit := pg/64, uint64(1)<<(pg%64); b.set[word]&bit == 0 {
			b.set[word] |= bit
			b.count++
		}
	}
	return b.count
}

// reach returns the time at which need pages are dirty, looking ahead with a
// copy of the generator so that the state is not advanced past the present.
// The result is not before from; the search gives up after limit.
func (b *bitMemory) reach(need int64, from, limit time.Duration, m *Memory) (time.Duration, bool) {
	total := int64(0)
	for _, p := range b.pools {
		if p.share > 0 {
			total += int64(p.n)
		}
	}
	if float64(need) > float64(total)+math.Floor(m.runtime.max()) {
		return limit, false
	}
	if b.count+m.runtimePages(from) >= need {
		return from, from <= limit
	}
	// byRuntime is when the runtime's dirtying (rounded as Dirty rounds it)
	// brings cnt workload pages to need, and whether it does by limit.
	byRuntime := func(cnt int64) (time.Duration, bool) {
		dt, ok := m.runtime.after(float64(need-cnt) - 0.5)
		t := max(m.since+dt, from)
		for range 64 { // float rounding (and whole nanoseconds): a hair later
			if cnt+m.runtimePages(t) >= need {
				break
			}
			t++
		}
		return t, ok && t <= limit && t <= m.frozen
	}
	pcg := b.pcg
	rng := rand.New(&pcg)
	extra := map[int64]struct{}{}
	cnt := b.count
	for k := b.done + 1; ; k++ {
		// Before write k (cnt workload pages dirty) the runtime may get there.
		if m.runtime != nil {
			if t, ok := byRuntime(cnt); ok {
				if tk, ok := m.writes.reach(0, float64(k)); !ok || t < tk || cnt == total {
					return t, true
				}
			} else if cnt == total {
				return limit, false // the workload has nothing left to dirty
			}
		}
		pg := b.page(rng)
		if b.set[pg/64]&(uint64(1)<<(pg%64)) == 0 {
			if _, ok := extra[pg]; !ok {
				extra[pg] = struct{}{}
				cnt++
			}
		}
		// Write k happens when the cumulative count reaches k.
		t, ok := m.writes.reach(0, float64(k))
		if !ok || t > m.frozen || t > limit {
			return limit, false
		}
		if cnt+m.runtimePages(t) >= need {
			return max(t, from), true
		}
	}
}
