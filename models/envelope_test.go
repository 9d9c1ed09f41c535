package models

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEnvelopeFlagsMigrationsOutsideIt: the calibration's migrations set the
// envelope; a migration with much more host steal or a much slower final
// transfer is flagged, naming both values; one within it is not.
func TestEnvelopeFlagsMigrationsOutsideIt(t *testing.T) {
	rec := func(steal, tp float64) Record {
		return Record{Backend: BackendReal, Metrics: Metrics{Extra: map[string]float64{ExtraOrchestratorSteal: steal, ExtraFinalThroughput: tp}}}
	}
	var e Envelope
	for _, r := range []Record{rec(0.02, 2.8e6), rec(0.08, 2.5e6), rec(0.01, 2.9e6)} {
		e.Widen(r)
	}
	if e.Migrations != 3 || e.StealMax != 0.08 || e.ThroughputMin != 2.5e6 {
		t.Fatalf("envelope %+v", e)
	}
	checkFlags(t, e, []flagCase{
		{rec(0.12, 2.0e6), nil},
		{rec(0.14, 2.0e6), []string{"14 % stolen"}},
		{rec(0.02, 1.7e6), []string{"1.70 MB/s, the calibration's slowest 2.50 MB/s"}},
		{rec(0.30, 1.0e6), []string{"30 %", "1.00 MB/s"}},
	})
	// A shaped link is judged by what it carries at its slowest: 512 KiB/s
	// carries 501 kB/s of TCP payload, so 460 kB/s is fine and 300 kB/s
	// flagged; with the trace at a quarter, 150 kB/s is fine.
	shaped := func(tp float64, tr Trace) Record {
		r := rec(0.02, tp)
		r.Params.Network = Network{Bandwidth: 512 << 10, BandwidthTrace: tr}
		return r
	}
	if got := e.Check(shaped(460e3, Trace{})); got != nil {
		t.Errorf("460 kB/s over 512 KiB/s flagged: %q", got)
	}
	if got := e.Check(shaped(300e3, Trace{})); len(got) != 1 || !strings.Contains(got[0], "0.30 MB/s, the shaped link's goodput 0.50 MB/s") {
		t.Errorf("300 kB/s over 512 KiB/s: %q", got)
	}
	quarter := Trace{Points: []TracePoint{{At: 0, Factor: 1}, {At: Duration(time.Second), Factor: 0.25}}}
	if got := e.Check(shaped(150e3, quarter)); got != nil {
		t.Errorf("150 kB/s over 512 KiB/s falling to a quarter flagged: %q", got)
	}
	short := shaped(460e3, Trace{Points: []TracePoint{{At: 0, Factor: 1}}, Until: Duration(20 * time.Second)})
	short.Metrics.TotalTimeS = 25
	if got := e.Check(short); len(got) != 1 || !strings.Contains(got[0], "longer than network.bandwidth_trace covers (until 20s)") {
		t.Errorf("a migration outlasting its trace: %q", got)
	}
	if (Envelope{}).Check(rec(0.9, 1)) != nil {
		t.Error("an empty envelope flagged a migration")
	}
}

// TestEnvelopeFlagsABusyHost: with the calibration's migrations at 86 %
// CPU busy, a migration at 99 % is flagged and one at 90 % is not.
func TestEnvelopeFlagsABusyHost(t *testing.T) {
	e := Envelope{Migrations: 12, BusyMedian: 0.86}
	rec := func(busy float64) Record {
		return Record{Backend: BackendReal, Metrics: Metrics{Extra: map[string]float64{ExtraOrchestratorBusy: busy}}}
	}
	if got := e.Check(rec(0.99)); len(got) != 1 || !strings.Contains(got[0], "99 % busy, the calibration's migrations 86 %") {
		t.Errorf("99 %% busy: %q", got)
	}
	if got := e.Check(rec(0.90)); got != nil {
		t.Errorf("90 %% busy: %q, want no flag", got)
	}
}

// TestEnvelopeFlagsLoadInTheGuests: the calibration's migrations set the
// hosts' highest steal and each role's highest busy share; a migration
// whose source was far busier (other work in the guest) or whose target's
// hypervisor stole far more is flagged, naming the host and both values;
// one within the margins is not, and neither is one measured against an
// envelope without the hosts' CPU (an older calibration).
func TestEnvelopeFlagsLoadInTheGuests(t *testing.T) {
	rec := func(srcBusy, srcSteal, dstBusy, dstSteal float64) Record {
		return Record{Backend: BackendReal, Metrics: Metrics{Extra: map[string]float64{
			ExtraSourceBusy: srcBusy, ExtraSourceSteal: srcSteal, ExtraTargetBusy: dstBusy, ExtraTargetSteal: dstSteal}}}
	}
	var e Envelope
	for _, r := range []Record{rec(0.55, 0, 0.30, 0.01), rec(0.62, 0.02, 0.41, 0), rec(0.48, 0, 0.35, 0)} {
		e.Widen(r)
	}
	if e.HostMigrations != 3 || e.HostStealMax != 0.02 || e.SourceBusyMax != 0.62 || e.TargetBusyMax != 0.41 {
		t.Fatalf("envelope %+v", e)
	}
	checkFlags(t, e, []flagCase{
		{rec(0.69, 0.06, 0.48, 0.07), nil},
		{rec(0.95, 0, 0.40, 0), []string{"source CPU 95 % busy, the calibration's migrations at most 62 %"}},
		{rec(0.50, 0, 0.40, 0.20), []string{"target CPU 20 % stolen, the calibration's hosts at most 2 %"}},
		{rec(0.50, 0.10, 0.60, 0), []string{"source CPU 10 % stolen", "target CPU 60 % busy, the calibration's migrations at most 41 %"}},
	})
	old := Envelope{Migrations: 12, StealMax: 0.01}
	if got := old.Check(rec(0.99, 0.5, 0.99, 0.5)); got != nil {
		t.Errorf("an envelope without the hosts' CPU flagged: %q", got)
	}
}

// TestEnvelopeJudgesOtherWorkWhereMeasured: with the hosts' busy share
// outside the migration's own groups measured, a migration whose source is
// far busier in all (a busier technique or workload) but not outside those
// groups is not flagged, and one with other work beyond the margin is, with
// the share named; a record without the share falls back to the busy share.
func TestEnvelopeJudgesOtherWorkWhereMeasured(t *testing.T) {
	rec := func(srcBusy, srcOther, dstBusy, dstOther float64) Record {
		x := map[string]float64{ExtraSourceBusy: srcBusy, ExtraTargetBusy: dstBusy, ExtraSourceSteal: 0, ExtraTargetSteal: 0}
		if srcOther >= 0 {
			x[ExtraSourceOther], x[ExtraTargetOther] = srcOther, dstOther
		}
		return Record{Backend: BackendReal, Metrics: Metrics{Extra: x}}
	}
	var e Envelope
	for _, r := range []Record{rec(0.55, 0.10, 0.30, 0.08), rec(0.62, 0.12, 0.41, 0.09), rec(0.48, -1, 0.35, 0)} {
		e.Widen(r)
	}
	if e.OtherMigrations != 2 || e.SourceOtherMax != 0.12 || e.TargetOtherMax != 0.09 || e.HostMigrations != 3 {
		t.Fatalf("envelope %+v", e)
	}
	checkFlags(t, e, []flagCase{
		{rec(0.80, 0.14, 0.45, 0.10), nil}, // a busy MiGrror or app: its own work
		{rec(0.80, 0.31, 0.45, 0.10), []string{"source CPU 31 % busy outside the migration and its containers, the calibration's migrations at most 12 % (other work in the guest)"}},
		{rec(0.60, 0.10, 0.45, 0.25), []string{"target CPU 25 % busy outside"}},
		{rec(0.80, -1, 0.45, 0), []string{"source CPU 80 % busy, the calibration's migrations at most 62 % (other work in the guest, or a busier workload or technique)"}},
	})
}

// flagCase is a record and the flags an envelope should raise for it, each
// named by a part of its text, in order.
type flagCase struct {
	r    Record
	want []string
}

func checkFlags(t *testing.T, e Envelope, cases []flagCase) {
	t.Helper()
	for _, c := range cases {
		got := e.Check(c.r)
		if len(got) != len(c.want) {
			t.Errorf("%v: flags %q, want %d", c.r.Metrics.Extra, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("flag %q, want it to name %q", got[i], w)
			}
		}
	}
}

// TestEnvelopeBoundsNameWhatCheckFlags: the one-line bounds are the
// envelope's limits plus the margins, the guests' by their share outside
// the migration's own cgroups where measured, by their busy share where not.
func TestEnvelopeBoundsNameWhatCheckFlags(t *testing.T) {
	if got := (Envelope{}).Bounds(); got != "" {
		t.Errorf("empty envelope: %q", got)
	}
	e := Envelope{Migrations: 12, StealMax: 0.01, BusyMedian: 0.83, ThroughputMin: 2e6, HostMigrations: 12,
		HostStealMax: 0, SourceBusyMax: 0.65, TargetBusyMax: 0.51, OtherMigrations: 12, SourceOtherMax: 0.02, TargetOtherMax: 0.023}
	want := "flags the orchestrator's CPU stolen above 6 % or busy above 91 %, a final transfer below 1.40 MB/s, " +
		"a guest busy outside the migration's own cgroups above 10 % (source) or 10 % (target), guest CPU stolen above 5 %"
	if got := e.Bounds(); got != want {
		t.Errorf("bounds\n got %q\nwant %q", got, want)
	}
	e.OtherMigrations = 0
	if got := e.Bounds(); !strings.Contains(got, "a guest busy above 73 % (source) or 59 % (target)") {
		t.Errorf("without the other share: %q", got)
	}
}

// TestCheckConditionsJudgesTheOrchestrator: a profile's passes measured with
// the machine's CPU busier than the calibration's migrations by more than
// BusyMargin, or with more of it stolen than StealMargin allows, are out of
// the envelope; within the margins, without the shares or against an empty
// envelope, they are not.
func TestCheckConditionsJudgesTheOrchestrator(t *testing.T) {
	e := Envelope{Migrations: 12, StealMax: 0.02, BusyMedian: 0.85}
	for _, c := range []struct {
		x    map[string]float64
		want []string
	}{
		{map[string]float64{ExtraOrchestratorBusy: 0.97, ExtraOrchestratorSteal: 0}, []string{"host CPU 97 % busy, the calibration's migrations 85 % (other work on the machine)"}},
		{map[string]float64{ExtraOrchestratorBusy: 0.90, ExtraOrchestratorSteal: 0.10}, []string{"host CPU 10 % stolen, the calibration's migrations at most 2 %"}},
		{map[string]float64{ExtraOrchestratorBusy: 0.92, ExtraOrchestratorSteal: 0.06}, nil},
		{nil, nil},
	} {
		if got := e.CheckConditions(c.x); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %q, want %q", c.x, got, c.want)
		}
	}
	if got := (Envelope{}).CheckConditions(map[string]float64{ExtraOrchestratorBusy: 1}); got != nil {
		t.Errorf("empty envelope: %q, want nothing", got)
	}
}
