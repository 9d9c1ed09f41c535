package workload

import (
	"math"
	"os"
	"testing"
	"unsafe"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/softdirty"
)

// testConfig returns a valid config of pages pages.
func testConfig(pages int, wwsPages int, hotFraction, hotShare float64, seed uint64) Config {
	c := Config{Memory: models.Memory{Size: models.ByteSize(pages * PageSize)}, Seed: seed}
	c.Workload.WWS = models.ByteSize(wwsPages * PageSize)
	c.Workload.HotFraction, c.Workload.HotShare = hotFraction, hotShare
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

func newMemory(t *testing.T, c Config) *Memory {
	t.Helper()
	m, err := NewMemory(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestMemoryDeterministic: the same seed and number of writes give the same
// checksum however the writes are batched; another seed gives another one; the
// recomputed checksum always matches.
func TestMemoryDeterministic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"uniform over all memory", testConfig(1024, 0, 0, 0, 1)},
		{"wws of 64 pages", testConfig(1024, 64, 0, 0, 2)},
		{"hot/cold", testConfig(1024, 512, 0.1, 0.9, 3)},
		{"one page", testConfig(1, 0, 0, 0, 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newMemory(t, tt.cfg), newMemory(t, tt.cfg)
			other := tt.cfg
			other.Seed++
			c := newMemory(t, other)
			if a.Snapshot().Sum != b.Snapshot().Sum || a.Snapshot().Writes != 0 {
				t.Fatalf("initial snapshots differ: %+v %+v", a.Snapshot(), b.Snapshot())
			}
			a.Write(10000)
			for range 100 {
				b.Write(100)
			}
			c.Write(10000)
			sa, sb, sc := a.Snapshot(), b.Snapshot(), c.Snapshot()
			if sa.Sum != sb.Sum || sa.Writes != sb.Writes || sa.Writes != 10000 {
				t.Errorf("batched writes differ: %+v vs %+v", sa, sb)
			}
			if sc.Sum == sa.Sum {
				t.Errorf("seed %d and %d give the same checksum %x", tt.cfg.Seed, other.Seed, sa.Sum)
			}
			for _, m := range []*Memory{a, b, c} {
				if v := m.Verify(); !v.Match || v.Writes != 10000 || uint64(v.Incremental) != m.Snapshot().Sum {
					t.Errorf("verify: %+v (snapshot %+v)", v, m.Snapshot())
				}
			}
		})
	}
}

// TestPagePattern draws pages and checks the WWS bounds and the hot share.
func TestPagePattern(t *testing.T) {
	tests := []struct {
		name             string
		cfg              Config
		wantWWS, wantHot int
		wantHotShare     float64
	}{
		{"all memory", testConfig(1000, 0, 0, 0, 1), 1000, 0, 0},
		{"wws 100", testConfig(1000, 100, 0, 0, 1), 100, 0, 0},
		{"hot 10% of 200 gets 90%", testConfig(1000, 200, 0.1, 0.9, 1), 200, 20, 0.9},
		{"hot 50% of 100 gets 20%", testConfig(1000, 100, 0.5, 0.2, 1), 100, 50, 0.2},
		{"hot fraction rounds up to one page", testConfig(1000, 4, 0.01, 0.7, 1), 4, 1, 0.7},
	}
	const draws = 200000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemory(t, tt.cfg)
			if m.lay.wws != tt.wantWWS || m.lay.hot != tt.wantHot {
				t.Fatalf("layout wws=%d hot=%d, want %d %d", m.lay.wws, m.lay.hot, tt.wantWWS, tt.wantHot)
			}
			hits := make([]int, m.Pages())
			for range draws {
				hits[m.nextPage()]++
			}
			hot, inWWS, distinct := 0, 0, 0
			for p, h := range hits {
				if p < tt.wantHot {
					hot += h
				}
				if p < tt.wantWWS {
					inWWS += h
				}
				if h > 0 {
					distinct++
				}
			}
			if inWWS != draws || distinct != tt.wantWWS {
				t.Errorf("%d of %d writes inside the WWS, %d distinct pages; want all, %d", inWWS, draws, distinct, tt.wantWWS)
			}
			if share := float64(hot) / draws; math.Abs(share-tt.wantHotShare) > 0.01 {
				t.Errorf("hot share %.4f, want %.2f", share, tt.wantHotShare)
			}
		})
	}
}

// TestVerifyDetectsCorruption changes single words behind the workload's back.
func TestVerifyDetectsCorruption(t *testing.T) {
	tests := []struct {
		name string
		pos  func(m *Memory) int
		val  func(old uint64) uint64
	}{
		{"flip a bit of a written page", func(m *Memory) int { return 0 }, func(o uint64) uint64 { return o ^ 1 }},
		{"zero the marker of a cold page", func(m *Memory) int { return (m.Pages() - 1) * wordsPerPage }, func(uint64) uint64 { return 0 }},
		{"set a zero word", func(m *Memory) int { return 5*wordsPerPage + 7 }, func(o uint64) uint64 { return o + 42 }},
		{"lost write: a written word back to zero", func(m *Memory) int {
			for pos := 1; pos < wordsPerPage; pos++ {
				if m.words[pos] != 0 {
					return pos
				}
			}
			panic("page 0 has no written word")
		}, func(uint64) uint64 { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemory(t, testConfig(64, 8, 0, 0, 9))
			m.Write(1000)
			pos := tt.pos(m)
			old := m.words[pos]
			m.words[pos] = tt.val(old)
			if v := m.Verify(); v.Match {
				t.Errorf("verify after corruption matched: %+v", v)
			}
			m.words[pos] = old
			if v := m.Verify(); !v.Match {
				t.Errorf("verify after repair: %+v", v)
			}
		})
	}
}

// TestMemoryResident checks that every page is resident after NewMemory, and
// (where the kernel tracks it) soft-dirty.
func TestMemoryResident(t *testing.T) {
	const pages = 2048 // 8 MiB: four 2 MiB huge pages if THP were in force
	m := newMemory(t, testConfig(pages, 0, 0, 0, 1))
	res, err := softdirty.Scan(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	start := uint64(uintptr(unsafe.Pointer(&m.mem[0])))
	for _, mc := range res.Mappings {
		if mc.Start <= start && start < mc.End {
			if mc.Present < pages {
				t.Errorf("mapping %x-%x: %d pages present, want at least %d", mc.Start, mc.End, mc.Present, pages)
			}
			return
		}
	}
	t.Fatalf("no writable private mapping holds %x", start)
}

func TestValueNeverZero(t *testing.T) {
	for p := range 1000 {
		for s := range uint64(100) {
			if value(p, s) == 0 {
				t.Fatalf("value(%d, %d) = 0", p, s)
			}
		}
	}
}
