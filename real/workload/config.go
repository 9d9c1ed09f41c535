// Package workload is the real-side test workload of migrlab: a process that
// holds a configurable amount of resident memory, dirties it at a configured
// rate with a seeded, reproducible write pattern, and answers probes (see
// package probe for the protocol) so that a client can measure downtime and
// check that a migration preserved the process (same nonce, counters that
// continue, memory that verifies).
//
// It is built as a static binary (cmd/migrlab-workload, CGO_ENABLED=0) that
// runs as PID 1 of a FROM-scratch container; the library is also started
// in-process by tests.
package workload

import (
	"errors"
	"fmt"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
)

// PageSize is the workload's page: the unit of dirtying, and the page size of
// the x86_64 hosts whose soft-dirty bits and CRIU dumps measure it.
const PageSize = 4096

// wordsPerPage is the number of 64-bit words in a page.
const wordsPerPage = PageSize / 8

// DefaultTick is the default pacing interval of the writes.
const DefaultTick = 10 * time.Millisecond

// Config describes one workload. Memory and Workload use the same types (and
// meaning) as a simulated scenario, so a scenario's workload can be run for real.
type Config struct {
	// Memory.Size is the memory the workload allocates and keeps resident;
	// Memory.PageSize must be 0 (meaning PageSize) or PageSize.
	Memory models.Memory
	// Workload is the write pattern: DirtyRate is page writes x PageSize per
	// second; WWS (0 = all memory) are the pages written at all, the first ones
	// of the memory; HotFraction of the WWS (its first pages) receive HotShare
	// of the writes; RateTrace multiplies DirtyRate over the time the workload
	// has been running (time spent frozen does not count).
	Workload models.Workload
	// Seed makes the write pattern reproducible: the same seed and number of
	// writes give the same memory contents.
	Seed uint64
	// Listen is the UDP and TCP address to answer probes on, for example
	// "0.0.0.0:7000"; port 0 picks one free port for both.
	Listen string
	// Tick is the pacing interval (0 means DefaultTick): every tick the workload
	// does the writes that are due.
	Tick time.Duration
}

// layout is a validated Config reduced to page counts.
type layout struct {
	pages    int     // pages of memory
	wws      int     // pages written after the initial touch: [0, wws)
	hot      int     // hot pages: [0, hot)
	hotShare float64 // share of writes that go to hot pages
	rate     float64 // page writes per second, before the trace
}

// WithDefaults fills the page size, the listen address and the tick.
func (c Config) WithDefaults() Config {
	if c.Memory.PageSize == 0 {
		c.Memory.PageSize = PageSize
	}
	if c.Listen == "" {
		c.Listen = fmt.Sprintf("0.0.0.0:%d", probe.DefaultPort)
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	return c
}

// Validate checks the configuration (after WithDefaults).
func (c Config) Validate() error {
	if c.Memory.PageSize != PageSize {
		return fmt.Errorf("memory.page_size: the real workload uses %d-byte pages, got %d", PageSize, c.Memory.PageSize)
	}
	if err := c.Memory.Validate(); err != nil {
		return err
	}
	if err := c.Workload.Validate(c.Memory); err != nil {
		return err
	}
	if c.Tick < time.Millisecond || c.Tick > time.Second {
		return fmt.Errorf("tick: must be between 1ms and 1s, got %s", c.Tick)
	}
	if c.Listen == "" {
		return errors.New("listen: empty address")
	}
	return nil
}

// layout computes page counts; c must be valid.
func (c Config) layout() layout {
	l := layout{
		pages:    int(c.Memory.Pages()),
		wws:      int(c.Workload.WWSBytes(c.Memory) / PageSize),
		hotShare: c.Workload.HotShare,
		rate:     float64(c.Workload.DirtyRate) / PageSize,
	}
	if l.wws < 1 {
		l.wws = 1
	}
	if c.Workload.HotFraction > 0 {
		l.hot = int(c.Workload.HotFraction*float64(l.wws) + 0.5)
		l.hot = min(max(l.hot, 1), l.wws)
	}
	return l
}
