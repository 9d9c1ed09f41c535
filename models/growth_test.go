package models

import (
	"strings"
	"testing"
	"time"
)

// TestMemoryPlusAndFinal: a runtime's memory beside a growing container
// shifts its size, its start and every growth point by as much, and leaves
// the caller's points alone; Final is the last point's memory (the size for
// a memory that does not grow).
func TestMemoryPlusAndFinal(t *testing.T) {
	m := Memory{Size: 8 << 20, PageSize: 4096, Initial: 2 << 20,
		Growth: []GrowthPoint{{After: Duration(2 * time.Second), Bytes: 3 << 20}, {After: Duration(8 * time.Second), Bytes: 6 << 20}}}
	if got := m.Final(); got != 6<<20 {
		t.Errorf("Final = %s, want 6 MiB", got)
	}
	p := m.Plus(1 << 20)
	if p.Size != 9<<20 || p.Initial != 3<<20 || p.Growth[0].Bytes != 4<<20 || p.Growth[1].Bytes != 7<<20 || p.Growth[1].After != m.Growth[1].After {
		t.Errorf("Plus(1 MiB) = %+v", p)
	}
	if m.Growth[0].Bytes != 3<<20 {
		t.Error("Plus changed the caller's growth points")
	}
	if got := p.ResidentAt(5 * time.Second); got != m.ResidentAt(5*time.Second)+1<<20 {
		t.Errorf("shifted resident at 5 s: %s, want %s", got, m.ResidentAt(5*time.Second)+1<<20)
	}
	flat := Memory{Size: 4 << 20, PageSize: 4096}
	if flat.Final() != 4<<20 || flat.Plus(1<<20).Size != 5<<20 || flat.Plus(1<<20).Growing() {
		t.Errorf("a memory that does not grow: Final %s, Plus %+v", flat.Final(), flat.Plus(1<<20))
	}
	m.Initial = 0
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "memory.growth: set memory.initial") {
		t.Errorf("growth without initial: %v", err)
	}
}

// TestWithResident: a growing memory's initial size and growth points
// scale, bounded by its size and a page; a memory that does not grow, and
// a ratio of 0 or 1, stay as they are.
func TestWithResident(t *testing.T) {
	m := Memory{Size: 16 << 20, PageSize: 4096, Initial: 4 << 20,
		Growth: []GrowthPoint{{After: Duration(time.Second), Bytes: 8 << 20}, {After: Duration(2 * time.Second), Bytes: 12 << 20}}}
	got := m.WithResident(0.5)
	if got.Initial != 2<<20 || got.Growth[0].Bytes != 4<<20 || got.Growth[1].Bytes != 6<<20 || got.Size != m.Size {
		t.Errorf("x0.5: %+v", got)
	}
	if m.Growth[0].Bytes != 8<<20 {
		t.Error("WithResident changed the memory it was given")
	}
	got = m.WithResident(1.5)
	if got.Initial != 6<<20 || got.Growth[0].Bytes != 12<<20 || got.Growth[1].Bytes != m.Size {
		t.Errorf("x1.5: %+v, want the last point at the size", got)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("x1.5: %v", err)
	}
	for _, k := range []float64{0, 1, -2} {
		if got := m.WithResident(k); got.Initial != m.Initial || got.Growth[1].Bytes != m.Growth[1].Bytes {
			t.Errorf("x%g changed the memory: %+v", k, got)
		}
	}
	flat := Memory{Size: 16 << 20, PageSize: 4096}
	if got := flat.WithResident(0.5); got.Size != flat.Size || got.Initial != 0 {
		t.Errorf("a memory that does not grow changed: %+v", got)
	}
}
