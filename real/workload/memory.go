package workload

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/migrlab/migrlab/real/probe"
)

// Memory is the workload's dirtyable memory: one anonymous private mapping,
// with transparent huge pages disabled (MADV_NOHUGEPAGE) so that soft-dirty
// tracking and CRIU see 4 KiB pages, and every page touched once so that all
// of it is resident.
//
// Its contents are a pure function of the configuration, the seed and the
// number of writes: write number s (from 1) picks a page p and a word of it
// from the seeded generator and stores value(p, s) there; initially the first
// word of every page holds value(p, 0) and all other words are zero.
//
// The checksum is the XOR, over all words, of a hash of (word position, word
// value), with zero words contributing nothing. A write updates it in O(1);
// Verify recomputes it from the memory's contents.
type Memory struct {
	mu     sync.Mutex // guards everything below, and the mapping's contents
	mem    []byte     // the mapping; nil once closed
	words  []uint64   // mem as 64-bit words
	lay    layout
	rng    *rand.Rand
	writes uint64
	sum    uint64

	snap atomic.Pointer[Snapshot] // published after each batch of writes
}

// Snapshot is a consistent pair of write count and checksum.
type Snapshot struct {
	// Writes is the number of page writes done.
	Writes uint64
	// Sum is the checksum of the memory after Writes writes.
	Sum uint64
	// At is when the last batch of writes was done.
	At time.Time
}

// NewMemory maps, advises and touches the memory that cfg describes.
// cfg must be valid (see Config.Validate).
func NewMemory(cfg Config) (*Memory, error) {
	lay := cfg.layout()
	mem, err := syscall.Mmap(-1, 0, lay.pages*PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %w", lay.pages*PageSize, err)
	}
	// Without this, THP may back the mapping with 2 MiB pages and a one-word
	// write would make 512 pages soft-dirty. EINVAL means a kernel without THP.
	if err := syscall.Madvise(mem, syscall.MADV_NOHUGEPAGE); err != nil && err != syscall.EINVAL {
		syscall.Munmap(mem)
		return nil, fmt.Errorf("madvise(MADV_NOHUGEPAGE): %w", err)
	}
	m := &Memory{
		mem:   mem,
		words: unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), len(mem)/8),
		lay:   lay,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x6d69_6772_6c61_6221)),
	}
	for p := 0; p < lay.pages; p++ {
		pos := p * wordsPerPage
		v := value(p, 0)
		m.words[pos] = v
		m.sum ^= contrib(pos, v)
	}
	m.snap.Store(&Snapshot{Sum: m.sum, At: time.Now()})
	return m, nil
}

// Pages returns the number of pages of memory.
func (m *Memory) Pages() int { return m.lay.pages }

// Write does n page writes and publishes the new Snapshot.
func (m *Memory) Write(n int) {
	if n <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem == nil {
		return
	}
	for range n {
		m.writes++
		p := m.nextPage()
		pos := p*wordsPerPage + m.rng.IntN(wordsPerPage)
		old, v := m.words[pos], value(p, m.writes)
		m.words[pos] = v
		m.sum ^= contrib(pos, old) ^ contrib(pos, v)
	}
	m.snap.Store(&Snapshot{Writes: m.writes, Sum: m.sum, At: time.Now()})
}

// nextPage draws the page of the next write.
func (m *Memory) nextPage() int {
	l := &m.lay
	cold := l.wws - l.hot
	if l.hot > 0 && (cold == 0 || m.rng.Float64() < l.hotShare) {
		return m.rng.IntN(l.hot)
	}
	return l.hot + m.rng.IntN(cold)
}

// Snapshot returns the last published write count and checksum without
// waiting for a running write batch or verification.
func (m *Memory) Snapshot() Snapshot { return *m.snap.Load() }

// Verify recomputes the checksum over the whole memory and compares it with
// the incremental one. Writes wait meanwhile.
func (m *Memory) Verify() probe.VerifyResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	start := time.Now()
	var full uint64
	for pos, w := range m.words {
		if w != 0 {
			full ^= contrib(pos, w)
		}
	}
	return probe.VerifyResult{
		Writes:      m.writes,
		Incremental: probe.Hex64(m.sum),
		Full:        probe.Hex64(full),
		Match:       full == m.sum,
		TookNS:      time.Since(start).Nanoseconds(),
	}
}

// Close unmaps the memory; later writes do nothing.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mem == nil {
		return nil
	}
	err := syscall.Munmap(m.mem)
	m.mem, m.words = nil, nil
	return err
}

// value is what write number seq (0 for the initial touch) stores into page p;
// never zero, so every write changes the checksum.
func value(p int, seq uint64) uint64 {
	v := mix(uint64(p)<<40 ^ seq ^ 0x5851f42d4c957f2d)
	if v == 0 {
		v = 1
	}
	return v
}

// contrib is the checksum contribution of word position pos holding v.
func contrib(pos int, v uint64) uint64 {
	if v == 0 {
		return 0
	}
	return mix(v ^ uint64(pos)*0x9e3779b97f4a7c15)
}

// mix is the splitmix64 finalizer, a bijection that scatters its input's bits.
func mix(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
