package models

import (
	"fmt"
	"math"
	"strings"
)

// Envelope is the range of conditions a calibration's migrations ran under.
// A migration measured outside it is not comparable with the calibration's
// predictions: it is flagged (Record.Flags), kept, and left out of the
// scores.
type Envelope struct {
	// Migrations is how many calibration migrations the envelope is from.
	Migrations int `json:"migrations"`
	// StealMax is the highest share of the orchestrator's CPU stolen (by
	// the hypervisor under it) during a calibration migration.
	StealMax float64 `json:"steal_max"`
	// ThroughputMin is the slowest final transfer of a calibration
	// migration, bytes/s (0: not measured).
	ThroughputMin float64 `json:"throughput_min_bytes_per_s"`
	// BusyMedian is the median share of the orchestrator's CPU that was
	// busy during a calibration migration (0: not measured). On a local
	// testbed the VMs keep it high; other work on the machine pushes it
	// higher and slows every phase.
	BusyMedian float64 `json:"busy_median,omitempty"`
	// HostMigrations is how many calibration migrations measured the
	// hosts' (the guests') own CPU: the source's and the target's agents
	// (0: none did, an older calibration; the hosts' load is not judged).
	HostMigrations int `json:"host_migrations,omitempty"`
	// HostStealMax is the highest share of a host's CPU stolen during a
	// calibration migration (the source's or the target's).
	HostStealMax float64 `json:"host_steal_max,omitempty"`
	// SourceBusyMax and TargetBusyMax are the highest shares of the
	// source's and the target's CPU that were busy during a calibration
	// migration. A host's busy share depends on the technique (a dump, a
	// restore, a wait for the next sync), so the envelope keeps the
	// busiest, not the median.
	SourceBusyMax float64 `json:"source_busy_max,omitempty"`
	TargetBusyMax float64 `json:"target_busy_max,omitempty"`
	// OtherMigrations is how many calibration migrations measured the
	// hosts' busy share outside the migration's own groups (0: none; the
	// busy shares above are judged instead). SourceOtherMax and
	// TargetOtherMax are the highest of those shares per role: unlike the
	// busy share, they do not grow with the technique's work or the
	// workload's, only with other work in the guest.
	OtherMigrations int     `json:"other_migrations,omitempty"`
	SourceOtherMax  float64 `json:"source_other_max,omitempty"`
	TargetOtherMax  float64 `json:"target_other_max,omitempty"`
}

// Margins of an envelope: a migration is flagged when the host's CPU steal
// exceeds the calibration's highest by more than StealMargin, or its final
// transfer is slower than ThroughputFloor times the calibration's slowest
// (or, on a shaped link, than that times the link's goodput at its slowest:
// the link did not deliver what was asked).
const (
	StealMargin     = 0.05
	ThroughputFloor = 0.7
	// BusyMargin: a migration is flagged when the orchestrator's CPU was
	// busier than the calibration's median by more than this (on the TCG
	// testbed the VMs alone keep it at 83-87 %; migrations at 95-99 % took
	// up to twice as long).
	BusyMargin = 0.08
)

// The hosts' CPU in an envelope: a migration is flagged when a host's CPU
// steal exceeds the calibration's highest by more than StealMargin, or its
// share busy outside the migration's own groups exceeds the calibration's
// highest for that role by more than BusyMargin (other work in the guest).
// Where either side lacks that share, the whole busy share is judged the
// same way: a busier technique or workload than the calibration's then
// looks like other work too.
var hostCPU = []struct {
	role, busy, steal, other string
	busyMax, otherMax        func(*Envelope) *float64
}{
	{"source", ExtraSourceBusy, ExtraSourceSteal, ExtraSourceOther,
		func(e *Envelope) *float64 { return &e.SourceBusyMax }, func(e *Envelope) *float64 { return &e.SourceOtherMax }},
	{"target", ExtraTargetBusy, ExtraTargetSteal, ExtraTargetOther,
		func(e *Envelope) *float64 { return &e.TargetBusyMax }, func(e *Envelope) *float64 { return &e.TargetOtherMax }},
}

// Widen adds a calibration migration's conditions to e.
func (e *Envelope) Widen(r Record) {
	e.Migrations++
	e.StealMax = max(e.StealMax, r.Metrics.Extra[ExtraOrchestratorSteal])
	if tp := r.Metrics.Extra[ExtraFinalThroughput]; tp > 0 && (e.ThroughputMin == 0 || tp < e.ThroughputMin) {
		e.ThroughputMin = tp
	}
	measured, other := false, false
	for _, h := range hostCPU {
		x := r.Metrics.Extra
		if o, ok := x[h.other]; ok {
			other = true
			m := h.otherMax(e)
			*m = max(*m, o)
		}
		if b, ok := x[h.busy]; ok {
			measured = true
			m := h.busyMax(e)
			*m = max(*m, b)
		}
		if st, ok := x[h.steal]; ok {
			measured = true
			e.HostStealMax = max(e.HostStealMax, st)
		}
	}
	if measured {
		e.HostMigrations++
	}
	if other {
		e.OtherMigrations++
	}
}

// Check returns why real migration r ran outside the envelope (nil: it did
// not, or the envelope is empty).
func (e Envelope) Check(r Record) []string {
	if e.Migrations == 0 || r.Backend != BackendReal || r.Error != "" {
		return nil
	}
	why := e.orchestratorFlags(r.Metrics.Extra)
	for _, h := range hostCPU {
		if e.HostMigrations == 0 {
			break
		}
		if st, ok := r.Metrics.Extra[h.steal]; ok && st > e.HostStealMax+StealMargin {
			why = append(why, fmt.Sprintf("%s CPU %.0f %% stolen, the calibration's hosts at most %.0f %%", h.role, 100*st, 100*e.HostStealMax))
		}
		if o, ok := r.Metrics.Extra[h.other]; ok && e.OtherMigrations > 0 {
			if ref := *h.otherMax(&e); o > ref+BusyMargin {
				why = append(why, fmt.Sprintf("%s CPU %.0f %% busy outside the migration and its containers, the calibration's migrations at most %.0f %% (other work in the guest)",
					h.role, 100*o, 100*ref))
			}
			continue
		}
		// A role never measured busy (0) sets no bound.
		if b, ok := r.Metrics.Extra[h.busy]; ok && *h.busyMax(&e) > 0 && b > *h.busyMax(&e)+BusyMargin {
			ref := *h.busyMax(&e)
			why = append(why, fmt.Sprintf("%s CPU %.0f %% busy, the calibration's migrations at most %.0f %% (other work in the guest, or a busier workload or technique)", h.role, 100*b, 100*ref))
		}
	}
	if tp, ok := r.Metrics.Extra[ExtraFinalThroughput]; ok && e.ThroughputMin > 0 && tp > 0 {
		ref, of := e.ThroughputMin, "the calibration's slowest"
		if n := r.Params.Network; !n.Native() {
			// A shaped link: what TCP carries at its slowest over the trace.
			f := 1.0
			for _, p := range n.BandwidthTrace.Points {
				f = math.Min(f, p.Factor)
			}
			if gp := float64(Goodput(n.Bandwidth)) * f; gp < ref {
				ref, of = gp, "the shaped link's goodput"
			}
		}
		if tp < ThroughputFloor*ref {
			why = append(why, fmt.Sprintf("final transfer at %.2f MB/s, %s %.2f MB/s", tp/1e6, of, ref/1e6))
		}
	}
	if u := r.Params.Network.BandwidthTrace.Until; u > 0 && r.Metrics.TotalTimeS > u.Seconds() {
		why = append(why, fmt.Sprintf("the migration took %.1f s, longer than network.bandwidth_trace covers (until %s): the simulator refuses such a run", r.Metrics.TotalTimeS, u))
	}
	return why
}

// Bounds says, in one line, what Check flags against e: the limits it
// derives from the calibration's migrations and the margins. Empty for an
// empty envelope.
func (e Envelope) Bounds() string {
	if e.Migrations == 0 {
		return ""
	}
	orch := fmt.Sprintf("the orchestrator's CPU stolen above %.0f %%", 100*(e.StealMax+StealMargin))
	if e.BusyMedian > 0 {
		orch += fmt.Sprintf(" or busy above %.0f %%", 100*(e.BusyMedian+BusyMargin))
	}
	parts := []string{orch}
	if e.ThroughputMin > 0 {
		parts = append(parts, fmt.Sprintf("a final transfer below %.2f MB/s", ThroughputFloor*e.ThroughputMin/1e6))
	}
	switch {
	case e.OtherMigrations > 0:
		parts = append(parts, fmt.Sprintf("a guest busy outside the migration's own cgroups above %.0f %% (source) or %.0f %% (target)",
			100*(e.SourceOtherMax+BusyMargin), 100*(e.TargetOtherMax+BusyMargin)))
	case e.HostMigrations > 0:
		parts = append(parts, fmt.Sprintf("a guest busy above %.0f %% (source) or %.0f %% (target)",
			100*(e.SourceBusyMax+BusyMargin), 100*(e.TargetBusyMax+BusyMargin)))
	}
	if e.HostMigrations > 0 {
		parts = append(parts, fmt.Sprintf("guest CPU stolen above %.0f %%", 100*(e.HostStealMax+StealMargin)))
	}
	return "flags " + strings.Join(parts, ", ")
}

// CheckConditions returns why a measurement that is not a migration (a
// profile's passes) ran outside the envelope, from its conditions x (Extra
// keys): the orchestrator's CPU stolen or busy beyond the calibration's
// migrations, as Check judges a migration (nil: it did not, or the
// envelope is empty).
func (e Envelope) CheckConditions(x map[string]float64) []string {
	if e.Migrations == 0 {
		return nil
	}
	return e.orchestratorFlags(x)
}

// orchestratorFlags are Check's reasons from the orchestrator's CPU in x.
func (e Envelope) orchestratorFlags(x map[string]float64) []string {
	var why []string
	if st, ok := x[ExtraOrchestratorSteal]; ok && st > e.StealMax+StealMargin {
		why = append(why, fmt.Sprintf("host CPU %.0f %% stolen, the calibration's migrations at most %.0f %%", 100*st, 100*e.StealMax))
	}
	if b, ok := x[ExtraOrchestratorBusy]; ok && e.BusyMedian > 0 && b > e.BusyMedian+BusyMargin {
		why = append(why, fmt.Sprintf("host CPU %.0f %% busy, the calibration's migrations %.0f %% (other work on the machine)", 100*b, 100*e.BusyMedian))
	}
	return why
}
