package sim

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

const page = 4096

// scenario returns a pages-model scenario of mem bytes on a link of bw bytes/s
// with dirty rate d bytes/s over wws bytes (0: all memory), no costs.
func scenario(mem, wws models.ByteSize, d, bw float64) models.Scenario {
	s := models.Scenario{Name: "t"}
	s.Memory = models.Memory{Size: mem, PageSize: page}
	s.Workload = models.Workload{DirtyRate: models.Rate(d), WWS: wws}
	s.Network.Bandwidth = models.Rate(bw)
	return s.WithDefaults()
}

func mustRun(t *testing.T, s models.Scenario, tech string) models.Record {
	t.Helper()
	rec, err := Run(context.Background(), s, tech, 0)
	if err != nil {
		t.Fatalf("%s: %v", tech, err)
	}
	return rec
}

// TestDeltaRoundsCappedAtWWS: when a round would dirty more than the WWS, the
// next delta round sends at most the WWS (exactly the WWS in the analytic model).
func TestDeltaRoundsCappedAtWWS(t *testing.T) {
	for _, model := range []string{models.ModelAnalytic, models.ModelPages} {
		s := scenario(1<<30, 16<<20, 1e9, 100e6) // 16 MiB WWS; a 0.17 s round writes 40x the WWS
		s.Model = model
		s.PreCopy.Stop = models.StopRules{MaxRounds: 6}
		rec := mustRun(t, s, models.PreCopy)
		if len(rec.Rounds) != 7 {
			t.Fatalf("%s: %d rounds, want 6 live + final", model, len(rec.Rounds))
		}
		for _, r := range rec.Rounds[1:] {
			switch {
			case model == models.ModelAnalytic && r.Bytes != 16<<20:
				t.Errorf("analytic: round %d sent %d bytes, want the WWS %d", r.Index, r.Bytes, 16<<20)
			case model == models.ModelPages && (r.Pages > 4096 || r.Pages < 4096*99/100):
				t.Errorf("pages: round %d sent %d pages, want at most and nearly the WWS (4096)", r.Index, r.Pages)
			}
		}
	}
}

// TestNonConvergent: dirty rate above the bandwidth ends by a stop rule and the
// record says which, with Converged false.
func TestNonConvergent(t *testing.T) {
	shrink := 0.1
	cases := []struct {
		rules models.StopRules
		want  models.StopReason
		live  int
	}{
		{models.StopRules{Threshold: 1 << 20, MaxRounds: 5}, models.StopMaxRounds, 5},
		{models.StopRules{Threshold: 1 << 20, TrafficCap: 3}, models.StopTrafficCap, -1},
		{models.StopRules{Threshold: 1 << 20, MinShrink: &shrink, MaxRounds: 30}, models.StopNonConvergence, -1},
	}
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		for _, c := range cases {
			s := scenario(1<<30, 0, 150e6, 100e6)
			s.Model = model
			s.PreCopy.Stop = c.rules
			m := mustRun(t, s, models.PreCopy).Metrics
			if m.StopReason != string(c.want) || m.Converged {
				t.Errorf("%s %s: stop %q converged %v", model, c.want, m.StopReason, m.Converged)
			}
			if c.live > 0 && m.LiveRounds != c.live {
				t.Errorf("%s %s: %d live rounds, want %d", model, c.want, m.LiveRounds, c.live)
			}
			if c.want == models.StopTrafficCap && float64(m.BytesSent) < 3*(1<<30) {
				t.Errorf("%s: traffic cap fired after %d bytes", model, m.BytesSent)
			}
		}
	}
}

// TestTraceMustCoverTheRun: a trace that ends before the run is refused with
// an error naming the field.
func TestTraceMustCoverTheRun(t *testing.T) {
	s := scenario(1e9, 0, 0, 100e6) // cold: 1e9 bytes (244140 pages) take 9.99999744 s
	s.Memory.Size = 1_000_001_536   // 244141 pages: 10.00001536 s
	s.Workload.RateTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 1}}, Until: models.Duration(10 * time.Second)}
	_, err := Run(context.Background(), s, models.Cold, 0)
	want := "workload.rate_trace.until: the run reached 10.00001536s but the trace ends at 10s"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	s.Workload.RateTrace = models.Trace{}
	s.Network.BandwidthTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 2}}, Until: models.Duration(5 * time.Second)}
	rec, err := Run(context.Background(), s, models.Cold, 0) // twice the bandwidth: 5.00000768 s
	if err == nil || !strings.HasPrefix(err.Error(), "network.bandwidth_trace.until: the run reached 5.00000768s") || rec.Error == "" {
		t.Fatalf("err = %v, record error %q", err, rec.Error)
	}
	s.Network.BandwidthTrace.Until = models.Duration(6 * time.Second)
	if _, err := Run(context.Background(), s, models.Cold, 0); err != nil {
		t.Fatalf("covered run refused: %v", err)
	}
}

// TestMiGrrorSyncsOnDirtyThreshold: sync rounds fire when SyncThreshold bytes
// are dirty, not on a clock: with a constant dirty rate they are evenly spaced
// by the time the occupancy curve takes to reach the threshold, each sending
// exactly the threshold; when the rate doubles the spacing shrinks.
func TestMiGrrorSyncsOnDirtyThreshold(t *testing.T) {
	const wwsPages, thrPages = 16384, 512
	for _, exhaustive := range []bool{false, true} {
		for _, doubled := range []bool{false, true} {
			s := scenario(256<<20, wwsPages*page, 10e6, 125e6)
			s.MiGrror = models.MiGrrorParams{SyncThreshold: thrPages * page, Trigger: models.Duration(15 * time.Second)}
			rate := 10e6 / page // page writes per second
			if doubled {
				s.Workload.RateTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 1}, {At: models.Duration(8 * time.Second), Factor: 2}}}
			}
			rec, err := Simulator{Exhaustive: exhaustive}.Run(context.Background(), s, models.MiGrror, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Writes needed for 511.5 distinct pages in expectation, then the time.
			x := math.Log1p(-(thrPages-0.5)/wwsPages) / math.Log1p(-1.0/wwsPages)
			period := x / rate
			rs := rec.Rounds
			live := rs[:len(rs)-1]
			n := 0
			for i := 2; i < len(live); i++ {
				gap := rs[i].StartS - rs[i-1].StartS
				want := period
				if doubled && rs[i-1].StartS >= 8 {
					want = period / 2
				}
				if rs[i].Pages != thrPages && !exhaustive || rs[i].Pages < thrPages || rs[i].Pages > thrPages+1 {
					t.Errorf("exhaustive=%v doubled=%v: sync round %d sent %d pages, want the threshold %d", exhaustive, doubled, i, rs[i].Pages, thrPages)
				}
				tol := want * 1e-6
				if exhaustive {
					tol = want * 0.05 // per-page randomness
				}
				if math.Abs(gap-want) > tol && !(doubled && rs[i].StartS > 8 && rs[i-1].StartS < 8) {
					t.Errorf("exhaustive=%v doubled=%v: round %d started %.6fs after the previous, want %.6fs", exhaustive, doubled, i, gap, want)
				}
				n++
			}
			// Rounds from round 1 on start every period until the trigger.
			wantRounds := 1 + int(math.Ceil((15-rs[1].StartS)/period))
			if doubled {
				wantRounds = 1 + int(math.Ceil((8-rs[1].StartS)/period)) + int(math.Ceil((15-8)/(period/2)))
			}
			if got := len(live); got < wantRounds-1 || got > wantRounds+1 {
				t.Errorf("exhaustive=%v doubled=%v: %d live rounds, want %d", exhaustive, doubled, got, wantRounds)
			}
			if !exhaustive && !doubled && len(live) != wantRounds {
				t.Errorf("%d live rounds, want exactly %d", len(live), wantRounds)
			}
			// The freeze comes at the trigger, or at the end of the round running then.
			if f := rs[len(rs)-1].StartS; rec.Metrics.StopReason != string(models.StopTrigger) || f < 15 || live[len(live)-1].StartS >= 15 {
				t.Errorf("stop %q, freeze at %vs; want trigger at 15s", rec.Metrics.StopReason, f)
			}
		}
	}
}

// TestMiGrrorPollsTheDirtyMemory: with Costs.DirtyScan and
// DirtyPollInterval the mirror learns that its threshold was crossed only
// when a measurement begun after the crossing returns: each sync starts a
// whole number of poll periods after the previous one ended (the first
// measurement's scan is in the round), the first such period whose
// measurement begins at or after the crossing; it sends more than the
// threshold, and fewer syncs fit before the trigger than without polling.
func TestMiGrrorPollsTheDirtyMemory(t *testing.T) {
	const wwsPages, thrPages = 16384, 512
	const scan, interval = 0.3, 0.1
	s := scenario(256<<20, wwsPages*page, 10e6, 125e6)
	s.MiGrror = models.MiGrrorParams{SyncThreshold: thrPages * page, Trigger: models.Duration(15 * time.Second)}
	instant := mustRun(t, s, models.MiGrror)
	s.Costs.DirtyScan, s.Costs.DirtyPollInterval = models.Duration(scan*float64(time.Second)), models.Duration(interval*float64(time.Second))
	polled := mustRun(t, s, models.MiGrror)
	// The workload's writes reach the threshold this long after a round starts.
	x := math.Log1p(-(thrPages-0.5)/wwsPages) / math.Log1p(-1.0/wwsPages)
	cross := x / (10e6 / page)
	rs := polled.Rounds
	live := rs[:len(rs)-1]
	for i := 2; i < len(live); i++ {
		prevEnd := rs[i-1].StartS + rs[i-1].DurationS
		k := math.Ceil((rs[i-1].StartS + cross - (prevEnd - scan)) / (scan + interval))
		want := prevEnd + max(k, 1)*(scan+interval)
		if math.Abs(rs[i].StartS-want) > 1e-6 {
			t.Errorf("sync %d started at %.6fs, want %.6fs (%v poll periods after the previous ended at %.6fs)", i, rs[i].StartS, want, k, prevEnd)
		}
		if rs[i].Pages <= thrPages {
			t.Errorf("sync %d sent %d pages, want more than the threshold %d (the change is seen late)", i, rs[i].Pages, thrPages)
		}
	}
	if len(polled.Rounds) >= len(instant.Rounds) || len(live) < 4 {
		t.Errorf("%d rounds when polling, %d when the change is seen at once: want fewer (and 4 live at least)", len(polled.Rounds), len(instant.Rounds))
	}
}

// TestMiGrrorDowntimeBelowPreCopy: with a warm mirror (RestoreAllPages false)
// MiGrror's downtime is far below pre-copy's when pre-copy does not converge
// within its rounds (dirty rate 64% of the bandwidth, 5 passes).
func TestMiGrrorDowntimeBelowPreCopy(t *testing.T) {
	s := scenario(1<<30, 0, 80e6, 125e6)
	s.Costs = models.Costs{Freeze: models.Duration(2 * time.Millisecond), RoundSetup: models.Duration(20 * time.Millisecond),
		DumpPerPage: models.Duration(time.Microsecond), RestoreBase: models.Duration(30 * time.Millisecond),
		RestorePerPage: models.Duration(500), Resume: models.Duration(time.Millisecond)}
	s.PreCopy.Stop = models.StopRules{Threshold: 64 * page, MaxRounds: 5}
	s.MiGrror = models.MiGrrorParams{SyncThreshold: 4 << 20, Trigger: models.Duration(30 * time.Second)}
	pre := mustRun(t, s, models.PreCopy).Metrics
	mg := mustRun(t, s, models.MiGrror).Metrics
	t.Logf("downtime: migrror %.4fs, precopy %.4fs (%s)", mg.DowntimeS, pre.DowntimeS, pre.StopReason)
	if !(mg.DowntimeS*5 < pre.DowntimeS) || mg.DowntimeS > 0.12 {
		t.Errorf("migrror downtime %.4fs, precopy %.4fs: want migrror < precopy/5 and < 0.12s", mg.DowntimeS, pre.DowntimeS)
	}
}

// TestSnapshotDelayTakesTheDirtySetLater: with Costs.Snapshot a round's
// dirty set is taken that long after it starts. A mirror's next wait counts
// from then, so syncs come the delay later and each carries the writes of
// the delay beyond the threshold; the round's dump time stays its cost
// (the delay is inside it) unless the delay is longer.
func TestSnapshotDelayTakesTheDirtySetLater(t *testing.T) {
	const wwsPages, thrPages = 16384, 8192
	const setup, delay = 1.0, 0.4
	rate := 10e6 / page
	s := scenario(256<<20, wwsPages*page, 10e6, 125e6)
	s.Costs.RoundSetup = models.Duration(setup * float64(time.Second))
	s.MiGrror = models.MiGrrorParams{SyncThreshold: thrPages * page, Trigger: models.Duration(30 * time.Second)}
	occupancy := func(sec float64) float64 { return wwsPages * -math.Expm1(rate*sec*math.Log1p(-1.0/wwsPages)) }
	// Seconds of writes until the threshold is dirty (8191.5 pages: rounding).
	period := math.Log1p(-(thrPages-0.5)/wwsPages) / math.Log1p(-1.0/wwsPages) / rate
	for _, d := range []float64{0, delay} {
		s.Costs.Snapshot = models.Duration(d * float64(time.Second))
		rec := mustRun(t, s, models.MiGrror)
		rs := rec.Rounds
		live := rs[:len(rs)-1]
		if len(live) < 4 {
			t.Fatalf("snapshot %vs: %d live rounds, want 4 or more", d, len(live))
		}
		for i := 2; i < len(live); i++ {
			if gap, want := rs[i].StartS-rs[i-1].StartS, period+d; math.Abs(gap-want) > 1e-6 {
				t.Errorf("snapshot %vs: sync %d started %.6fs after the previous, want %.6fs", d, i, gap, want)
			}
			if want := occupancy(period + d); math.Abs(float64(rs[i].Pages)-want) > 1 {
				t.Errorf("snapshot %vs: sync %d sent %d pages, want %.1f (the writes of %.3fs)", d, i, rs[i].Pages, want, period+d)
			}
			if math.Abs(rs[i].DumpS-setup) > 1e-9 {
				t.Errorf("snapshot %vs: sync %d dumped in %.6fs, want the round setup %vs", d, i, rs[i].DumpS, setup)
			}
		}
	}
	// A delay beyond the dump's cost makes the dump last the delay.
	s.Costs.Snapshot = models.Duration(2 * setup * float64(time.Second))
	if got := mustRun(t, s, models.MiGrror).Rounds[1].DumpS; math.Abs(got-2*setup) > 1e-9 {
		t.Errorf("snapshot %vs beyond the round setup %vs: dump took %.6fs, want the snapshot's", 2*setup, setup, got)
	}
}

// TestSnapshotDelayKeepsTheWorkloadRunningIntoTheFinalDump: the frozen
// round's dirty set is taken Costs.Snapshot after the stop-and-copy starts;
// the writes until then are in it. Pre-copy with a fixed round count sends
// the same pages whatever the delay (every window moves by it), and its
// freeze comes at the same instant.
func TestSnapshotDelayKeepsTheWorkloadRunningIntoTheFinalDump(t *testing.T) {
	s := scenario(64<<20, 4096*page, 10e6, 125e6)
	s.Costs.RoundSetup, s.Costs.FinalSetup = models.Duration(time.Second), models.Duration(time.Second)
	s.PreCopy.Stop = models.StopRules{MaxRounds: 3}
	base := mustRun(t, s, models.PreCopy)
	s.Costs.Snapshot = models.Duration(400 * time.Millisecond)
	late := mustRun(t, s, models.PreCopy)
	if len(base.Rounds) != len(late.Rounds) || len(late.Rounds) != 4 {
		t.Fatalf("%d and %d rounds, want 4 each", len(base.Rounds), len(late.Rounds))
	}
	for i := range base.Rounds {
		b, l := base.Rounds[i], late.Rounds[i]
		if b.Pages != l.Pages || math.Abs(b.StartS-l.StartS) > 1e-9 {
			t.Errorf("round %d: %d pages at %.6fs without the delay, %d at %.6fs with it; want the same", i, b.Pages, b.StartS, l.Pages, l.StartS)
		}
	}
	// Cold: the whole memory whatever the delay, and the same downtime.
	cl := mustRun(t, s, models.Cold)
	s.Costs.Snapshot = 0
	cb := mustRun(t, s, models.Cold)
	if cb.Metrics.DowntimeS != cl.Metrics.DowntimeS || cb.Metrics.BytesSent != cl.Metrics.BytesSent {
		t.Errorf("cold: downtime %v / %v, bytes %d / %d with and without the delay; want equal",
			cb.Metrics.DowntimeS, cl.Metrics.DowntimeS, cb.Metrics.BytesSent, cl.Metrics.BytesSent)
	}
}
