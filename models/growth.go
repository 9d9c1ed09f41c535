package models

import (
	"fmt"
	"time"
)

// A growing container (a cache or dataset still filling when it migrates)
// holds less than memory.size when its migration starts: memory.initial is
// its resident memory then, and memory.growth how it grows from there,
// measured by `migrlab profile` at the migration's age. The pages it adds
// are new, so a round that spans their arrival sends them (they are dirty),
// and a cold dump or the first full copy sends only what exists when it
// starts. memory.size stays what it reaches: the bound of the working set
// and of the dirtying curve.

// GrowthPoint is the container's resident memory a time after the
// migration started.
type GrowthPoint struct {
	After Duration `yaml:"after" json:"after"`
	Bytes ByteSize `yaml:"bytes" json:"bytes"`
}

// MaxGrowthPoints bounds memory.growth.
const MaxGrowthPoints = 256

// Growing reports whether the memory starts below its size.
func (m Memory) Growing() bool { return m.Initial > 0 && m.Initial < m.Size }

// ResidentAt is the resident memory t after the migration started: Size for
// a memory that does not grow; otherwise Initial, then linear between the
// growth points, then the last point's (at most Size).
func (m Memory) ResidentAt(t time.Duration) ByteSize {
	if !m.Growing() {
		return m.Size
	}
	prevT, prevB := time.Duration(0), m.Initial
	for _, p := range m.Growth {
		at := p.After.Duration()
		if t < at {
			f := float64(t-prevT) / float64(at-prevT)
			return min(m.Size, prevB+ByteSize(f*float64(p.Bytes-prevB)))
		}
		prevT, prevB = at, p.Bytes
	}
	return min(m.Size, prevB)
}

// Final is the resident memory the container grows to (at the last growth
// point, at most Size; Size for a memory that does not grow).
func (m Memory) Final() ByteSize {
	if !m.Growing() || len(m.Growth) == 0 {
		return m.ResidentAt(0)
	}
	return min(m.Size, m.Growth[len(m.Growth)-1].Bytes)
}

// WithResident is m with its resident memory k times what it was: a
// growing memory's initial size and every growth point scaled by k (at
// least a page, at most its size); m as it is when it does not grow or k
// is not above 0. A filling app's dataset when its migration starts
// depends on how fast its load ran in the container's first seconds,
// which its profile and its migrations do not share: a Redis profiled at
// 3.9 MiB resident at that age dumped 3.2-3.5 MiB in every cold
// migration of one run, its cold probes' among them.
func (m Memory) WithResident(k float64) Memory {
	if !(k > 0) || k == 1 || !m.Growing() {
		return m
	}
	scale := func(b ByteSize) ByteSize {
		return min(m.Size, max(m.PageSize, ByteSize(float64(b)*k)))
	}
	m.Initial = scale(m.Initial)
	g := make([]GrowthPoint, len(m.Growth))
	for i, p := range m.Growth {
		g[i] = GrowthPoint{After: p.After, Bytes: scale(p.Bytes)}
	}
	m.Growth = g
	return m
}

// Plus is m with b more bytes throughout: its size, and when it grows its
// initial size and every growth point (a runtime's memory beside it).
func (m Memory) Plus(b ByteSize) Memory {
	m.Size += b
	if m.Growing() {
		m.Initial += b
		g := make([]GrowthPoint, len(m.Growth))
		for i, p := range m.Growth {
			g[i] = GrowthPoint{After: p.After, Bytes: p.Bytes + b}
		}
		m.Growth = g
	}
	return m
}

// validateGrowth checks initial and growth against the size.
func (m Memory) validateGrowth() error {
	if m.Initial < 0 || m.Initial > m.Size {
		return fmt.Errorf("memory.initial: must be between 0 (not growing) and memory.size (%s), got %s", m.Size, m.Initial)
	}
	if len(m.Growth) > 0 && m.Initial == 0 {
		return fmt.Errorf("memory.growth: set memory.initial, the resident memory when the migration starts, that the growth starts from")
	}
	if len(m.Growth) > MaxGrowthPoints {
		return fmt.Errorf("memory.growth: at most %d points, got %d", MaxGrowthPoints, len(m.Growth))
	}
	prevT, prevB := Duration(0), m.Initial
	for i, p := range m.Growth {
		if p.After <= prevT {
			return fmt.Errorf("memory.growth[%d].after: times must be above 0 and increase, got %s", i, p.After)
		}
		if p.Bytes < prevB || p.Bytes > m.Size {
			return fmt.Errorf("memory.growth[%d].bytes: must be between the previous point's (or memory.initial, %s) and memory.size (%s), got %s",
				i, prevB, m.Size, p.Bytes)
		}
		prevT, prevB = p.After, p.Bytes
	}
	return nil
}
