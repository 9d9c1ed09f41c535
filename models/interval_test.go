package models

import (
	"math"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {1, 5}, {0.5, 3}, {0.05, 1.2}, {0.95, 4.8}, {0.25, 2}} {
		if got := Quantile(xs, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%v) = %g, want %g", c.q, got, c.want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("Quantile of nothing is not NaN")
	}
}

// TestNewInterval: draws e^-1, e^0, e^1 have log-mean 0 and log-sd 1: the
// 90 % interval is exp(-+ t(0.95, 2) sqrt(4/3)), t = 2.92; a metric with a
// zero draw takes the draws' range.
func TestNewInterval(t *testing.T) {
	ms := []Metrics{{DowntimeS: math.Exp(-1), TotalTimeS: 2, BytesSent: 0}, {DowntimeS: 1, TotalTimeS: 2, BytesSent: 5},
		{DowntimeS: math.E, TotalTimeS: 2, BytesSent: 9}}
	iv := NewInterval(0.9, ms)
	half := 2.92 * math.Sqrt(4.0/3)
	if iv.Draws != 3 || math.Abs(math.Log(iv.DowntimeS[1])-half) > 0.05 || math.Abs(math.Log(iv.DowntimeS[0])+half) > 0.05 {
		t.Errorf("downtime interval %v, want exp(-+%.2f)", iv.DowntimeS, half)
	}
	if math.Abs(iv.TotalTimeS[0]-2) > 1e-9 || math.Abs(iv.TotalTimeS[1]-2) > 1e-9 || iv.BytesSent != [2]float64{0, 9} {
		t.Errorf("total %v, bytes %v", iv.TotalTimeS, iv.BytesSent)
	}
	if NewInterval(0.9, ms[:2]) != nil {
		t.Error("an interval from two draws")
	}
}

func TestStudentT(t *testing.T) {
	for _, c := range []struct{ p, df, want float64 }{{0.95, 3, 2.353}, {0.95, 11, 1.796}, {0.975, 5, 2.571}, {0.95, 1e9, 1.645}} {
		if got := studentT(c.p, c.df); math.Abs(got-c.want)/c.want > 0.01 {
			t.Errorf("t(%v, %v) = %.3f, want %.3f", c.p, c.df, got, c.want)
		}
	}
}

// TestPerturbScalesEachPhasesCosts: a deviation scales the costs of its
// phase only, and a zero ratio leaves them alone.
func TestPerturbScalesEachPhasesCosts(t *testing.T) {
	s := func(x float64) Duration { return Duration(Seconds(x)) }
	c := Calibration{Network: Network{Bandwidth: 2e6, LiveBandwidth: 1e6},
		Costs: Costs{FinalSetup: s(10), FinalDumpPerPage: s(0.001), DumpPerPage: s(0.002), Freeze: s(0.5), RoundSetup: s(1),
			TransferSetup: s(0.2), RestoreBase: s(8), RestorePerPage: s(0.0005), Resume: s(1), Snapshot: s(0.4)}}
	p := c.Perturb(Deviation{FinalDump: 2, FinalTransfer: 4, Restore: 0.5})
	near := func(a Duration, b float64) bool { return math.Abs(a.Duration().Seconds()-b) < 1e-9 }
	switch {
	case !near(p.Costs.FinalSetup, 20) || !near(p.Costs.FinalDumpPerPage, 0.002) || !near(p.Costs.Freeze, 1):
		t.Errorf("final dump costs %+v", p.Costs)
	case p.Network.Bandwidth != 5e5 || !near(p.Costs.TransferSetup, 0.8):
		t.Errorf("link %v, transfer setup %s", p.Network.Bandwidth, p.Costs.TransferSetup)
	case !near(p.Costs.RestoreBase, 4) || !near(p.Costs.RestorePerPage, 0.00025) || !near(p.Costs.Resume, 0.5):
		t.Errorf("restore costs %+v", p.Costs)
	case !near(p.Costs.RoundSetup, 1) || !near(p.Costs.DumpPerPage, 0.002) || p.Network.LiveBandwidth != 1e6 || !near(p.Costs.Snapshot, 0.4):
		t.Errorf("live-round costs changed without a live-round ratio: %+v %v", p.Costs, p.Network)
	case c.Costs.FinalSetup.Duration() != 10*time.Second:
		t.Error("Perturb changed its receiver")
	}
	l := c.Perturb(Deviation{LiveRounds: 2})
	if !near(l.Costs.RoundSetup, 2) || !near(l.Costs.DumpPerPage, 0.004) || l.Network.LiveBandwidth != 5e5 || !near(l.Costs.FinalSetup, 10) {
		t.Errorf("live rounds x2: %+v %v", l.Costs, l.Network)
	}
}
