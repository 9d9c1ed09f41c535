package models

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Whole-mapping marks. The kernel marks a new or expanded mapping
// soft-dirty as a whole: until the next clear every page of it reads as
// written, so the next pre-dump sends every page it held. An app whose
// allocator extends a mapping as it grows (a heap's brk, an arena or a
// cache's slabs mapped next to the last and merged) therefore sends its
// whole heap again in the round that spans the extension, a burst its
// write rate does not explain. `migrlab profile` watches for them
// (real/softdirty.MarkWatch); memory.marks tells the simulator when they
// come and how much they mark.

// Mark is one whole-mapping mark: After the migration started (at the
// workload's pace, as memory.growth), Bytes the memory already held by the
// mappings the kernel marked dirty whole then.
type Mark struct {
	After Duration `yaml:"after" json:"after"`
	Bytes ByteSize `yaml:"bytes" json:"bytes"`
}

// MaxMarks bounds memory.marks.
const MaxMarks = 256

// validateMarks checks memory.marks against the memory.
func (m Memory) validateMarks() error {
	if len(m.Marks) > MaxMarks {
		return fmt.Errorf("memory.marks: at most %d marks, got %d", MaxMarks, len(m.Marks))
	}
	var prev Duration
	for i, k := range m.Marks {
		if k.After <= prev {
			return fmt.Errorf("memory.marks[%d].after: times must be above 0 and increase, got %s", i, k.After)
		}
		if k.Bytes <= 0 || k.Bytes > m.Size {
			return fmt.Errorf("memory.marks[%d].bytes: must be above 0 and at most memory.size (%s), got %s", i, m.Size, k.Bytes)
		}
		prev = k.After
	}
	if m.MarkSpread < 0 {
		return fmt.Errorf("memory.mark_spread: must be zero (the marks' median gap) or positive (1ms places each exactly), got %s", m.MarkSpread)
	}
	return nil
}

// Where a mark falls. A profile sees each mark once, at rest; a migration
// of the same app at the same age meets it earlier or later: how far its
// load got in its first seconds and how fast it runs while its container is
// dumped vary from run to run (on the TCG testbed, held-out Redis and
// memcached containers started their migrations holding 0.80-1.05 of their
// profiles' memory, and their load wrote at 0.25-0.53 of its profiled pace).
// Which round a mark falls in is therefore known to about the time between
// marks, and a prediction that places each exactly sends a whole heap in
// one round that the real migration sent in the next, or in none. So each
// mark falls anywhere within memory.mark_spread centred on its time (by
// default the marks' median gap, counting from the migration's start) and
// a round sends the expectation of the largest that falls in it
// (MarkedExpected). On the held-out run of 2026-12-06 (17:01) that moved
// MiGrror's bytes MAPE from 7.1 to 5.8 % (docs/fidelity.md).

// Spread is how uncertain the marks' times are (memory.mark_spread): as
// set, or the median gap between consecutive marks, the first counted from
// the migration's start.
func (m Memory) Spread() time.Duration {
	if m.MarkSpread > 0 || len(m.Marks) == 0 {
		return m.MarkSpread.Duration()
	}
	gaps := make([]float64, len(m.Marks))
	var prev Duration
	for i, k := range m.Marks {
		gaps[i], prev = float64(k.After-prev), k.After
	}
	return time.Duration(Median(gaps))
}

// MarksPlaced is m with every mark moved by shift and placed exactly (a
// 1 ms spread); marks moved to the migration's start or before it are
// dropped: one outcome of where the marks fall.
func (m Memory) MarksPlaced(shift time.Duration) Memory {
	ks := m.Marks
	m.Marks = nil
	for _, k := range ks {
		if at := k.After + Duration(shift); at > 0 {
			m.Marks = append(m.Marks, Mark{After: at, Bytes: k.Bytes})
		}
	}
	m.MarkSpread = Duration(time.Millisecond)
	return m
}

// MarkedExpected is MarkedBetween's expectation when each mark falls
// uniformly within Spread centred on its time, independently of the
// others: over the marks from the largest down, each one's memory times
// the chance that it falls within from-to and no larger one does.
func (m Memory) MarkedExpected(from, to time.Duration) float64 {
	w := m.Spread()
	if w <= 0 || to <= from {
		return float64(m.MarkedBetween(from, to))
	}
	ks := slices.Clone(m.Marks)
	slices.SortStableFunc(ks, func(a, b Mark) int { return cmp.Compare(b.Bytes, a.Bytes) })
	none, e := 1.0, 0.0
	for _, k := range ks {
		lo := k.After.Duration() - w/2
		p := float64(max(min(lo+w, to)-max(lo, from), 0)) / float64(w)
		e += float64(k.Bytes) * p * none
		none *= 1 - p
	}
	return e
}

// MarkedBetween is the memory a round from from to to (after the migration
// started, in the workload's time) finds marked whole: the largest mark
// after from and at most to, not their sum, as a mapping that grows again
// is marked again with what it held, the earlier marks' memory among it
// (memcached's slabs: 1.1, 2.1, 3.1, 4.1 and 5.2 MiB held, 4 s apart).
// 0 when none falls there.
func (m Memory) MarkedBetween(from, to time.Duration) ByteSize {
	var b ByteSize
	for _, k := range m.Marks {
		if at := k.After.Duration(); at > from && at <= to {
			b = max(b, k.Bytes)
		}
	}
	return b
}

// MarkPoint is a mark a profile pass measured: AtS seconds after its clear,
// Bytes the memory the marked mappings held.
type MarkPoint struct {
	AtS   float64 `json:"at_s"`
	Bytes int64   `json:"bytes"`
}

// UnionWithMarked is the distinct memory dirty when written of resident
// was written and marked of it was marked whole, the two falling
// independently: written + marked - written*marked/resident, at most
// resident.
func UnionWithMarked(written, marked, resident float64) float64 {
	if marked <= 0 || resident <= 0 {
		return written
	}
	marked = min(marked, resident)
	return min(written+marked-written*marked/resident, resident)
}

// writtenOf inverts UnionWithMarked: what was written, given the dirty
// count seen with marked of resident marked whole (at least 0, at most
// seen; when nearly all was marked the count cannot tell: seen - marked).
func writtenOf(seen, marked, resident float64) float64 {
	if marked <= 0 || resident <= 0 {
		return seen
	}
	free := 1 - min(marked, resident)/resident
	if free < 0.05 {
		return max(seen-marked, 0)
	}
	return min(max((seen-marked)/free, 0), seen)
}

// writtenCounts are a pass's counts without its marks: at each window, the
// count less what the largest mark up to it added (writtenOf, with resident
// the pass's resident bytes; the largest, as MarkedBetween).
func (ps DirtyingPass) writtenCounts(resident int64) []int64 {
	if len(ps.Marks) == 0 {
		return ps.Bytes
	}
	out := make([]int64, len(ps.Bytes))
	for j, b := range ps.Bytes {
		var marked float64
		for _, k := range ps.Marks {
			if k.AtS <= ps.WindowsS[j] {
				marked = max(marked, float64(k.Bytes))
			}
		}
		out[j] = int64(writtenOf(float64(b), marked, float64(max(resident, b))) + 0.5)
	}
	return out
}

// marksOf collects the passes' marks as memory.marks: each at its pass's
// start plus its time, in order, those at the same instant summed, at most
// MaxMarks (the earliest: a migration starts at the profile's start).
func marksOf(passes []DirtyingPass, pageSize int) []Mark {
	var ks []Mark
	for _, ps := range passes {
		for _, k := range ps.Marks {
			b := (k.Bytes + int64(pageSize)/2) / int64(pageSize) * int64(pageSize)
			if at := Duration((ps.StartS + k.AtS) * 1e9); at > 0 && b > 0 {
				ks = append(ks, Mark{After: at, Bytes: ByteSize(b)})
			}
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].After < ks[j].After })
	var out []Mark
	for _, k := range ks {
		if n := len(out); n > 0 && out[n-1].After == k.After {
			out[n-1].Bytes += k.Bytes
			continue
		}
		out = append(out, k)
	}
	return out[:min(len(out), MaxMarks)]
}
