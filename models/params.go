package models

import (
	"errors"
	"fmt"
	"time"
)

// Memory describes the container's memory.
type Memory struct {
	// Size is the container's resident memory, all of which a first full copy sends.
	Size ByteSize `yaml:"size" json:"size_bytes"`
	// PageSize is the unit of dirtying and transfer (4KiB on x86_64).
	PageSize ByteSize `yaml:"page_size" json:"page_size_bytes"`
	// Initial, when set below Size, is the resident memory when the
	// migration starts, of a container still growing to Size (growth.go).
	Initial ByteSize `yaml:"initial,omitempty" json:"initial_bytes,omitempty"`
	// Growth is the resident memory at times after the migration started.
	Growth []GrowthPoint `yaml:"growth,omitempty" json:"growth,omitempty"`
	// Marks are the times after the migration started at which the
	// kernel marks mappings dirty whole (marks.go).
	Marks []Mark `yaml:"marks,omitempty" json:"marks,omitempty"`
	// MarkSpread is how uncertain a mark's time is: each falls anywhere
	// within MarkSpread centred on its After (0: the marks' median gap).
	MarkSpread Duration `yaml:"mark_spread,omitempty" json:"mark_spread,omitempty"`
	// CheckTouch is the memory an app's check writes when it runs right
	// before the freeze (checktouch.go): the final dump of a live migration
	// sends it with what the load dirtied.
	CheckTouch ByteSize `yaml:"check_touch,omitempty" json:"check_touch_bytes,omitempty"`
}

// Pages returns the number of pages of memory.
func (m Memory) Pages() int64 { return int64(m.Size) / int64(m.PageSize) }

// Workload describes how the container dirties memory.
type Workload struct {
	// DirtyRate is the rate of page writes, in bytes per second (writes x page size).
	DirtyRate Rate `yaml:"dirty_rate" json:"dirty_rate_bytes_per_s"`
	// WWS is the writable working set: the pages the workload writes to at all.
	// Zero means the whole memory.
	WWS ByteSize `yaml:"wws,omitempty" json:"wws_bytes"`
	// HotFraction is the share of the WWS that is hot (0 = no hot/cold split).
	HotFraction float64 `yaml:"hot_fraction,omitempty" json:"hot_fraction"`
	// HotShare is the share of writes that go to hot pages (used when HotFraction > 0).
	HotShare float64 `yaml:"hot_share,omitempty" json:"hot_share"`
	// RateTrace multiplies DirtyRate over time.
	RateTrace Trace `yaml:"rate_trace,omitempty" json:"rate_trace"`
	// Runtime is what the container dirties beside the workload's writes.
	Runtime RuntimeDirtying `yaml:"runtime,omitempty" json:"runtime,omitzero"`
	// Curve, when set, is the measured dirtying the simulator follows (a
	// profile's); the fields above then extend it beyond its last window.
	Curve DirtyCurve `yaml:"curve,omitempty" json:"curve,omitzero"`
}

// RuntimeDirtying is the dirtying of a container's own runtime (its language
// runtime's heap, stacks and collector, its I/O buffers): memory beside the
// writable working set, written at a pace of its own whatever DirtyRate and
// RateTrace say. A calibration measures it (models.Calibration.Apply); the
// real backend's container has its own and ignores this description.
//
// Hot is dirty in every round, however short; the rest of Memory receives
// uniform page writes at Rate (so it fills like the working set does:
// n(1-(1-1/n)^k) distinct pages after k writes), or, when Fresh, every write
// dirties a page not dirty yet. Zero: no such dirtying.
type RuntimeDirtying struct {
	// Memory is the runtime's pages: part of memory.size, beside the WWS.
	Memory ByteSize `yaml:"memory,omitempty" json:"memory_bytes"`
	// Hot is the part of Memory dirty in every round.
	Hot ByteSize `yaml:"hot,omitempty" json:"hot_bytes"`
	// Rate is the page writes (bytes per second) over Memory minus Hot.
	Rate Rate `yaml:"rate,omitempty" json:"rate_bytes_per_s"`
	// Fresh makes every write of Rate dirty a page that is not dirty yet,
	// up to the container's memory beside the WWS, instead of filling
	// Memory minus Hot: an allocator that hands out memory its collector
	// freed and gave back to the kernel touches pages outside what was
	// resident when the last round was dumped, so the count grows with the
	// window, not towards Memory.
	Fresh bool `yaml:"fresh,omitempty" json:"fresh,omitempty"`
}

// Zero reports whether the runtime dirties nothing.
func (r RuntimeDirtying) Zero() bool {
	return r.Hot == 0 && (r.Rate == 0 || (r.Memory == r.Hot && !r.Fresh))
}

// FreshExtent is what Fresh writes can dirty beyond the hot pages, in
// bytes: memory m beside a WWS of wws bytes, less Hot.
func (r RuntimeDirtying) FreshExtent(m Memory, wws int64) int64 {
	return int64(m.Size) - wws - int64(r.Hot)
}

// Validate checks the runtime's memory against what the WWS leaves of m.
func (r RuntimeDirtying) Validate(m Memory, wws int64) error {
	room := int64(m.Size) - wws
	if r.Memory < 0 || int64(r.Memory) > room {
		return fmt.Errorf("workload.runtime.memory: must be between 0 and memory.size minus the WWS (%s), got %s; "+
			"set workload.wws below memory.size to leave the runtime room", ByteSize(room), r.Memory)
	}
	if r.Hot < 0 || r.Hot > r.Memory {
		return fmt.Errorf("workload.runtime.hot: must be between 0 and workload.runtime.memory (%s), got %s", r.Memory, r.Hot)
	}
	if r.Rate < 0 || r.Rate != r.Rate || float64(r.Rate) > 1e15 {
		return fmt.Errorf("workload.runtime.rate: must be zero or positive, got %g", float64(r.Rate))
	}
	if r.Rate > 0 && r.Fresh && r.FreshExtent(m, wws) < int64(m.PageSize) {
		return fmt.Errorf("workload.runtime.rate: fresh writes need at least one page of memory.size beyond the WWS and workload.runtime.hot (room %s, hot %s)",
			ByteSize(room), r.Hot)
	}
	if r.Rate > 0 && !r.Fresh && int64(r.Memory-r.Hot) < int64(m.PageSize) {
		return fmt.Errorf("workload.runtime.rate: %s of writes need at least one page of workload.runtime.memory beyond workload.runtime.hot (memory %s, hot %s)",
			r.Rate, r.Memory, r.Hot)
	}
	return nil
}

// Network describes the link between source and target.
//
// On a real testbed a scenario's network is enforced on the private link
// with traffic control for the duration of each migration (see
// docs/real.md, Link shaping); a scenario without one migrates over the
// testbed's native link, and a simulation of it needs a calibration, whose
// measured link it takes.
type Network struct {
	// Bandwidth is the link's capacity in bytes per second.
	Bandwidth Rate `yaml:"bandwidth" json:"bandwidth_bytes_per_s"`
	// Latency is the one-way latency added to every transfer.
	Latency Duration `yaml:"latency,omitempty" json:"latency_s"`
	// Jitter varies Latency (netem's jitter: each packet's delay is drawn
	// within Latency +- Jitter); a real link only: the simulator uses
	// Latency.
	Jitter Duration `yaml:"jitter,omitempty" json:"jitter_s,omitempty"`
	// Loss is the fraction of packets dropped in each direction, written
	// "0.5%". The simulator caps the bandwidth at what TCP sustains under
	// that loss (models.TCPLossRate).
	Loss Percent `yaml:"loss,omitempty" json:"loss_fraction,omitempty"`
	// BandwidthTrace multiplies Bandwidth over time.
	BandwidthTrace Trace `yaml:"bandwidth_trace,omitempty" json:"bandwidth_trace"`
	// LiveBandwidth is the rate the transfers of live rounds achieve, in bytes
	// per second; zero means Bandwidth. While the workload runs, the source's
	// dumping, the workload and the transfer compete (on the TCG testbed live
	// rounds sent 2-2.4 times slower than the frozen round). On a shared link
	// a live transfer gets its fair share scaled by LiveBandwidth / Bandwidth,
	// and BandwidthTrace scales it too. Frozen rounds (stop-and-copy,
	// handover) and the post-copy push use Bandwidth.
	LiveBandwidth Rate `yaml:"live_bandwidth,omitempty" json:"live_bandwidth_bytes_per_s,omitempty"`
}

// LiveRate returns the bandwidth of live rounds: LiveBandwidth, or Bandwidth
// when it is zero.
func (n Network) LiveRate() Rate {
	if n.LiveBandwidth > 0 {
		return n.LiveBandwidth
	}
	return n.Bandwidth
}

// Costs are the fixed and per-page costs of checkpoint/restore, as measured by
// calibration on a real testbed. All default to zero (the pure transfer model).
type Costs struct {
	// Freeze is the time to freeze the workload (cgroup freezer).
	Freeze Duration `yaml:"freeze,omitempty" json:"freeze_s"`
	// DumpPerPage is the time to dump one page to the image (per round).
	DumpPerPage Duration `yaml:"dump_per_page,omitempty" json:"dump_per_page_s"`
	// FinalDumpPerPage is the time to dump one page in the frozen dump
	// (stop-and-copy, post-copy handover); zero means DumpPerPage. On Podman
	// the checkpoint also exports the images into an archive: ~3.2 ms/page
	// beyond CRIU's ~0.5 ms/page on the TCG testbed.
	FinalDumpPerPage Duration `yaml:"final_dump_per_page,omitempty" json:"final_dump_per_page_s,omitempty"`
	// RoundSetup is the fixed cost of a dump round (CRIU start, seize, parasite).
	RoundSetup Duration `yaml:"round_setup,omitempty" json:"round_setup_s"`
	// FinalSetup is the extra fixed cost of the frozen (stop-and-copy) dump over a
	// live round's RoundSetup: on Podman, the checkpoint bookkeeping and archive
	// export around CRIU's dump.
	FinalSetup Duration `yaml:"final_setup,omitempty" json:"final_setup_s"`
	// ChainedFinalSetup, when positive, is FinalSetup for a frozen dump that
	// follows live rounds (pre-copy, MiGrror: its images have parents); zero
	// means FinalSetup. On Podman a checkpoint with a pre-checkpoint parent
	// costs more than a cold one of the same pages would.
	ChainedFinalSetup Duration `yaml:"chained_final_setup,omitempty" json:"chained_final_setup_s,omitempty"`
	// TransferSetup is the fixed cost of a transfer (connection, handshake).
	TransferSetup Duration `yaml:"transfer_setup,omitempty" json:"transfer_setup_s"`
	// RestoreBase is the fixed cost of a restore on the target.
	RestoreBase Duration `yaml:"restore_base,omitempty" json:"restore_base_s"`
	// ChainedRestoreBase, when positive, is RestoreBase for a restore from a
	// chain of images (after live rounds); zero means RestoreBase. On Podman
	// restoring a chained checkpoint (a small final archive whose images
	// point at the rounds already on the target) has a fixed cost of its own.
	ChainedRestoreBase Duration `yaml:"chained_restore_base,omitempty" json:"chained_restore_base_s,omitempty"`
	// RestorePerPage is the restore cost of each page the restore must load.
	RestorePerPage Duration `yaml:"restore_per_page,omitempty" json:"restore_per_page_s"`
	// RestoreAllPages says that a restore loads every page (CRIU restore from
	// images) rather than only the final delta (a warm mirror that already holds
	// the earlier rounds in memory).
	RestoreAllPages bool `yaml:"restore_all_pages,omitempty" json:"restore_all_pages"`
	// RestorePerFinalPage is the restore cost of each page of the final
	// (frozen) round, on top of RestorePerPage: on Podman the target imports
	// the final checkpoint archive (upload to the API, unpacking) before CRIU
	// restores; CRIU's own restore hardly grows with the pages. Zero: none.
	RestorePerFinalPage Duration `yaml:"restore_per_final_page,omitempty" json:"restore_per_final_page_s,omitempty"`
	// Resume is the time to resume the restored workload.
	Resume Duration `yaml:"resume,omitempty" json:"resume_s"`
	// RoundOverhead is what a live round sends beyond its pages (CRIU's
	// non-page images of a pre-dump): added to the round's bytes and transfer.
	RoundOverhead ByteSize `yaml:"round_overhead,omitempty" json:"round_overhead_bytes,omitempty"`
	// FinalOverhead is what the frozen round sends beyond its pages (on
	// Podman the checkpoint archive's config, spec and CRIU's non-page
	// images, ~100 KiB): added to the round's bytes and transfer.
	FinalOverhead ByteSize `yaml:"final_overhead,omitempty" json:"final_overhead_bytes,omitempty"`
	// DirtyScan is how long one measurement of the dirty memory takes (on
	// Podman the source agent reading the container's soft-dirty bits). A
	// mirror waiting for its sync threshold measures again and again, so it
	// sees the threshold crossed only when a measurement that began after
	// the crossing returns (see DirtyPollInterval). Zero: it sees it at once.
	DirtyScan Duration `yaml:"dirty_scan,omitempty" json:"dirty_scan_s,omitempty"`
	// DirtyPollInterval is the pause between two dirty-memory measurements
	// of a waiting mirror; with DirtyScan it sets the measurements' period.
	DirtyPollInterval Duration `yaml:"dirty_poll_interval,omitempty" json:"dirty_poll_interval_s,omitempty"`
	// Snapshot is the time from a dump's start (a live round's, or the
	// stop-and-copy's) to the instant its dirty set is taken: the workload
	// dirties memory until then, and the next round's dirty set counts from
	// then. It is part of the dump's fixed cost (RoundSetup, or FinalSetup),
	// not added to it. On Podman, runc and CRIU start and seize the tree
	// before CRIU freezes it and reads and clears the soft-dirty bits:
	// ~0.4 s after the round was decided on the TCG testbed. Zero: the dirty
	// set is taken when the dump starts.
	Snapshot Duration `yaml:"snapshot,omitempty" json:"snapshot_s,omitempty"`
}

// DirtyPollPeriod returns the time from one dirty-memory measurement to the
// next while a mirror waits (DirtyScan + DirtyPollInterval); zero when the
// simulator sees the dirty memory at once.
func (c Costs) DirtyPollPeriod() time.Duration {
	return c.DirtyScan.Duration() + c.DirtyPollInterval.Duration()
}

// FinalPerPage returns the frozen dump's per-page cost: FinalDumpPerPage, or
// DumpPerPage when it is zero.
func (c Costs) FinalPerPage() Duration {
	if c.FinalDumpPerPage > 0 {
		return c.FinalDumpPerPage
	}
	return c.DumpPerPage
}

// FinalSetupFor returns the frozen dump's fixed cost beyond RoundSetup and
// Freeze: ChainedFinalSetup when the dump follows live rounds and it is set,
// else FinalSetup.
func (c Costs) FinalSetupFor(chained bool) Duration {
	if chained && c.ChainedFinalSetup > 0 {
		return c.ChainedFinalSetup
	}
	return c.FinalSetup
}

// RestoreBaseFor returns the restore's fixed cost: ChainedRestoreBase for a
// chain of images when it is set, else RestoreBase.
func (c Costs) RestoreBaseFor(chained bool) Duration {
	if chained && c.ChainedRestoreBase > 0 {
		return c.ChainedRestoreBase
	}
	return c.RestoreBase
}

// RestoreTime is the restore on the target, without Resume: the fixed cost
// (RestoreBaseFor: chained when the final round followed live rounds),
// RestorePerPage for each of the pages the restore loads, and
// RestorePerFinalPage for each page of the final round.
func (c Costs) RestoreTime(pages, finalPages int64, chained bool) time.Duration {
	return c.RestoreBaseFor(chained).Duration() + time.Duration(pages)*c.RestorePerPage.Duration() +
		time.Duration(finalPages)*c.RestorePerFinalPage.Duration()
}

// Validate checks every field; errors name the field and the valid range.
func (m Memory) Validate() error {
	if m.PageSize <= 0 || m.PageSize > 1<<30 || m.PageSize&(m.PageSize-1) != 0 {
		return fmt.Errorf("memory.page_size: must be a power of two up to 1GiB (for example 4KiB or 2MiB), got %s", m.PageSize)
	}
	if m.Size <= 0 {
		return fmt.Errorf("memory.size: must be positive (for example 1GiB), got %d", m.Size)
	}
	if m.Size < m.PageSize {
		return fmt.Errorf("memory.size: %s is smaller than one page (%s)", m.Size, m.PageSize)
	}
	if m.Size/m.PageSize > 1<<32 {
		return fmt.Errorf("memory.size: %s is more than 2^32 pages of %s; use a larger page_size", m.Size, m.PageSize)
	}
	if err := m.validateGrowth(); err != nil {
		return err
	}
	if err := m.validateCheckTouch(); err != nil {
		return err
	}
	return m.validateMarks()
}

// Validate checks every field against the memory it dirties.
func (w Workload) Validate(m Memory) error {
	if w.DirtyRate < 0 || w.DirtyRate != w.DirtyRate {
		return fmt.Errorf("workload.dirty_rate: must be zero or positive, got %g", float64(w.DirtyRate))
	}
	if w.WWS < 0 || w.WWS > m.Size {
		return fmt.Errorf("workload.wws: must be between 0 and memory.size (%s), got %s", m.Size, w.WWS)
	}
	if w.HotFraction < 0 || w.HotFraction >= 1 || w.HotFraction != w.HotFraction {
		return fmt.Errorf("workload.hot_fraction: must be in [0, 1), got %g", w.HotFraction)
	}
	if w.HotShare < 0 || w.HotShare > 1 || w.HotShare != w.HotShare {
		return fmt.Errorf("workload.hot_share: must be in [0, 1], got %g", w.HotShare)
	}
	if w.HotFraction > 0 && w.HotShare == 0 {
		return errors.New("workload.hot_share: set the share of writes going to hot pages when hot_fraction is set (for example 0.9)")
	}
	if err := w.Runtime.Validate(m, w.WWSBytes(m)); err != nil {
		return err
	}
	if err := w.Curve.Validate(m); err != nil {
		return err
	}
	return w.RateTrace.Validate("workload.rate_trace")
}

// WWSBytes returns the writable working set, defaulting to the whole memory.
func (w Workload) WWSBytes(m Memory) int64 {
	if w.WWS == 0 {
		return int64(m.Size)
	}
	return int64(w.WWS)
}

// Native reports whether the network is left unset: a real migration then
// runs over the testbed's own link, and a simulation takes a calibration's.
func (n Network) Native() bool {
	return n.Bandwidth == 0 && n.Latency == 0 && n.Jitter == 0 && n.Loss == 0 && n.LiveBandwidth == 0 && n.BandwidthTrace.Empty()
}

// ErrNoLink is the simulator's error for a scenario without a network.
var ErrNoLink = errors.New("network: the scenario gives no link; the simulator needs one: set network.bandwidth " +
	"(for example network: {bandwidth: 1Gbit/s}), or compare it against a calibration (--calibration), whose measured link it takes")

// Validate checks bandwidth, latency, jitter, loss and the trace; a native
// (unset) network is valid.
func (n Network) Validate() error {
	if n.Native() {
		return nil
	}
	if !(n.Bandwidth > 0) || float64(n.Bandwidth) > 1e15 {
		return fmt.Errorf("network.bandwidth: must be positive (for example 1Gbit/s or 100MB/s), got %g; "+
			"leave network out to use the testbed's own link", float64(n.Bandwidth))
	}
	if n.Latency < 0 || n.Latency.Duration() > time.Hour {
		return fmt.Errorf("network.latency: must be between 0 and 1h, got %s", n.Latency)
	}
	if n.Jitter < 0 || n.Jitter.Duration() > time.Hour {
		return fmt.Errorf("network.jitter: must be between 0 and 1h, got %s", n.Jitter)
	}
	if !(n.Loss >= 0 && n.Loss <= 1) {
		return fmt.Errorf("network.loss: must be between 0%% and 100%%, got %s", n.Loss)
	}
	if n.Loss == 1 {
		return fmt.Errorf("network.loss: 100%% loss carries nothing and the migration never ends; use a fault (--inject link-cut@PHASE) for an outage")
	}
	for i, p := range n.BandwidthTrace.Points {
		if p.Factor == 0 && i == len(n.BandwidthTrace.Points)-1 {
			return fmt.Errorf("network.bandwidth_trace.points[%d].factor: the last factor must be positive or the transfer never ends", i)
		}
	}
	if n.LiveBandwidth < 0 || n.LiveBandwidth != n.LiveBandwidth || float64(n.LiveBandwidth) > 1e15 {
		return fmt.Errorf("network.live_bandwidth: must be zero (the same as bandwidth) or positive, got %g", float64(n.LiveBandwidth))
	}
	return n.BandwidthTrace.Validate("network.bandwidth_trace")
}

// Validate rejects negative costs.
func (c Costs) Validate() error {
	for _, f := range []struct {
		name string
		v    Duration
	}{{"freeze", c.Freeze}, {"dump_per_page", c.DumpPerPage}, {"final_dump_per_page", c.FinalDumpPerPage},
		{"round_setup", c.RoundSetup}, {"final_setup", c.FinalSetup}, {"chained_final_setup", c.ChainedFinalSetup},
		{"transfer_setup", c.TransferSetup}, {"restore_base", c.RestoreBase}, {"chained_restore_base", c.ChainedRestoreBase},
		{"restore_per_page", c.RestorePerPage}, {"restore_per_final_page", c.RestorePerFinalPage}, {"resume", c.Resume},
		{"dirty_scan", c.DirtyScan}, {"dirty_poll_interval", c.DirtyPollInterval}, {"snapshot", c.Snapshot}} {
		if f.v < 0 || f.v.Duration() > 24*time.Hour {
			return fmt.Errorf("costs.%s: must be between 0 and 24h, got %s", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    ByteSize
	}{{"round_overhead", c.RoundOverhead}, {"final_overhead", c.FinalOverhead}} {
		if f.v < 0 || f.v > 1<<40 {
			return fmt.Errorf("costs.%s: must be between 0 and 1TiB, got %d", f.name, f.v)
		}
	}
	return nil
}
