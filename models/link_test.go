package models

import (
	"math"
	"testing"
	"time"
)

func TestTCPPhysics(t *testing.T) {
	if g := Goodput(1514); g != 1448 {
		t.Errorf("goodput of 1514 B/s of frames: %g, want 1448", float64(g))
	}
	// Mathis: 1448 B / 100 ms x sqrt(1.5 / 1 %) = 177,342 B/s.
	if r := TCPLossRate(100*time.Millisecond, 0.01); math.Abs(r-177343) > 1 {
		t.Errorf("TCP rate at 1 %% loss, 100 ms: %g, want 177343", r)
	}
	if r := TCPLossRate(100*time.Millisecond, 0); !math.IsInf(r, 1) {
		t.Errorf("no loss: %g, want +Inf", r)
	}
	// 512 KiB/s x 116 ms = 42 segments in flight: windows 10, 20, 40
	// fall short by 32 + 22 + 2 = 56 segments = 0.1547 s at the rate.
	if d := SlowStartLoss(524288, 116*time.Millisecond); math.Abs(d.Seconds()-56*1448/524288.0) > 1e-4 {
		t.Errorf("slow start at 512 KiB/s, 116 ms: %s, want %.4fs", d, 56*1448/524288.0)
	}
	// A window of 10 segments already fills 10 Mbit/s at 5 ms.
	if d := SlowStartLoss(1.25e6, 5*time.Millisecond); d != 0 {
		t.Errorf("slow start on a short path: %s, want 0", d)
	}
}

func TestCalibrationLink(t *testing.T) {
	c := Calibration{Network: Network{Bandwidth: 2.7e6, LiveBandwidth: 1.2e6, Latency: Duration(8 * time.Millisecond)}}
	ms := func(v float64) Duration { return Duration(v * float64(time.Millisecond)) }
	if n, extra := c.Link(Network{}); n.Bandwidth != 2.7e6 || n.LiveBandwidth != 1.2e6 || n.Latency != ms(8) || extra != 0 {
		t.Errorf("native: %+v +%s, want the calibration's link and nothing more", n, extra)
	}
	n, extra := c.Link(Network{Bandwidth: 512 << 10, Latency: ms(50), Jitter: ms(5)})
	gp := 524288 * 1448 / 1514.0
	if math.Abs(float64(n.Bandwidth)-gp) > 1e-6 || n.LiveBandwidth != n.Bandwidth || n.Latency != ms(58) || n.Jitter != ms(5) {
		t.Errorf("512 KiB/s, 50 ms: %+v, want goodput %g both ways and 58 ms", n, gp)
	}
	want := 50*time.Millisecond + SlowStartLoss(gp, 116*time.Millisecond) - SlowStartLoss(2.7e6, 16*time.Millisecond)
	if extra != want || extra < 170*time.Millisecond || extra > 190*time.Millisecond {
		t.Errorf("512 KiB/s, 50 ms: each transfer pays %s more, want %s (the answer's way back and the longer slow start)", extra, want)
	}
	// Above what the testbed carries: the testbed's rates, frozen and live.
	if n, _ := c.Link(Network{Bandwidth: 10e6}); n.Bandwidth != 2.7e6 || n.LiveBandwidth != 1.2e6 || n.Latency != ms(8) {
		t.Errorf("10 MB/s: %+v, want the testbed's 2.7 and 1.2 MB/s", n)
	}
	// With the link's own capacity measured, a fifth of the agents' per-byte
	// work (1/2.7 - 1/4.5 us per byte) adds to the shaped link's goodput time
	// (512 KiB/s: 494 kB/s, 1.5 % under the goodput; 4 MiB/s: the agents'
	// 2.7 MB/s); live rounds go no faster than their native rate.
	c.LinkCapacity = 4.5e6
	n, _ = c.Link(Network{Bandwidth: 512 << 10, Latency: ms(50)})
	shaped := 1 / (1/gp + AgentSerialShare*(1/2.7e6-1/4.5e6))
	if math.Abs(float64(n.Bandwidth)-shaped) > 1e-6 || n.LiveBandwidth != n.Bandwidth || shaped < 0.98*gp || shaped > 0.99*gp {
		t.Errorf("512 KiB/s on a 4.5 MB/s link: %+v, want %g both ways (goodput %g)", n, shaped, gp)
	}
	if n, _ := c.Link(Network{Bandwidth: 4 << 20}); n.Bandwidth != 2.7e6 || n.LiveBandwidth != 1.2e6 {
		t.Errorf("4 MiB/s on a 4.5 MB/s link: %+v, want the agents' frozen and live rates", n)
	}
	if n, _ := c.Link(Network{Bandwidth: 10e6}); n.Bandwidth != 2.7e6 || n.LiveBandwidth != 1.2e6 {
		t.Errorf("10 MB/s on a 4.5 MB/s link: %+v, want the testbed's rates", n)
	}
	if c.Capacity() != 4.5e6 || (Calibration{Network: Network{Bandwidth: 3e6}}).Capacity() != 3e6 {
		t.Errorf("capacity %s", c.Capacity())
	}
	c.LinkCapacity = 0
	// Loss caps both at TCP's rate: 1448 B / 116 ms x sqrt(150).
	n, _ = c.Link(Network{Bandwidth: 1 << 20, Latency: ms(50), Loss: 0.01})
	if m := 1448 / 0.116 * math.Sqrt(150); math.Abs(float64(n.Bandwidth)-m) > 1e-6 || n.LiveBandwidth != n.Bandwidth {
		t.Errorf("1 %% loss: %+v, want %g", n, m)
	}
	// Apply adds the per-transfer cost to the calibration's.
	c.Costs.TransferSetup = ms(100)
	c.Schema = CalibrationSchema
	s := Scenario{Name: "x", Memory: Memory{Size: 8 << 20}, Workload: Workload{DirtyRate: 1e5},
		Network: Network{Bandwidth: 512 << 10, Latency: ms(50)}}.WithDefaults()
	if got := c.Apply(s).Costs.TransferSetup; got != ms(100)+Duration(want) {
		t.Errorf("applied transfer setup %s, want %s", got, ms(100)+Duration(want))
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"1%": 0.01, "0.5 %": 0.005, "0": 0, "100%": 1} {
		if got, err := ParsePercent(in); err != nil || math.Abs(float64(got)-want) > 1e-15 {
			t.Errorf("%q: %g, %v; want %g", in, float64(got), err, want)
		}
	}
	for _, in := range []string{"1", "0.01", "x%", "%", "NaN%"} {
		if _, err := ParsePercent(in); err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}
