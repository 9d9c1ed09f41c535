package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// transfers runs one process per (start, bytes) pair on a link and returns
// each transfer's end time.
func transfers(t *testing.T, n models.Network, setup time.Duration, starts []time.Duration, sizes []int64) []time.Duration {
	t.Helper()
	e := NewEngine()
	l := NewLink(e, n, setup)
	ends := make([]time.Duration, len(starts))
	for i := range starts {
		e.Go(func(p *Process) error {
			p.Sleep(starts[i])
			l.Transfer(p, sizes[i])
			ends[i] = e.Now()
			return nil
		})
	}
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if l.Active() != 0 {
		t.Fatalf("%d transfers still on the link", l.Active())
	}
	return ends
}

func TestLinkSharing(t *testing.T) {
	const bw = 100e6 // bytes per second
	ms := time.Millisecond
	cases := []struct {
		name   string
		net    models.Network
		setup  time.Duration
		starts []time.Duration
		sizes  []int64
		want   []time.Duration
	}{
		{"alone", models.Network{Bandwidth: bw}, 0, []time.Duration{0}, []int64{100e6}, []time.Duration{time.Second}},
		{"alone with latency and setup", models.Network{Bandwidth: bw, Latency: models.Duration(5 * ms)}, 3 * ms,
			[]time.Duration{0}, []int64{50e6}, []time.Duration{508 * ms}},
		// Two at once each get half: 100 MB at 50 MB/s = 2 s.
		{"two at once", models.Network{Bandwidth: bw}, 0, []time.Duration{0, 0}, []int64{100e6, 100e6},
			[]time.Duration{2 * time.Second, 2 * time.Second}},
		// The first runs alone for 0.5 s (50 MB), then both share: the first's
		// other 50 MB take 1 s; the second's 100 MB: 50 MB shared, 50 MB alone.
		{"staggered", models.Network{Bandwidth: bw}, 0, []time.Duration{0, 500 * ms}, []int64{100e6, 100e6},
			[]time.Duration{1500 * ms, 2 * time.Second}},
		// Three flows: the small one ends at 3*10MB/100MB/s = 0.3 s, then two share.
		{"three, unequal", models.Network{Bandwidth: bw}, 0, []time.Duration{0, 0, 0}, []int64{10e6, 40e6, 40e6},
			[]time.Duration{300 * ms, 900 * ms, 900 * ms}},
		{"shared with latency", models.Network{Bandwidth: bw, Latency: models.Duration(10 * ms)}, ms,
			[]time.Duration{0, 0}, []int64{100e6, 100e6}, []time.Duration{2011 * ms, 2011 * ms}},
	}
	for _, c := range cases {
		got := transfers(t, c.net, c.setup, c.starts, c.sizes)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: transfer %d ended at %v, want %v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

// TestBandwidthTrace: a transfer across factor changes ends at the exactly
// computed time.
func TestBandwidthTrace(t *testing.T) {
	ms := time.Millisecond
	tr := models.Trace{Points: []models.TracePoint{{At: 0, Factor: 1}, {At: models.Duration(time.Second), Factor: 0.5},
		{At: models.Duration(2 * time.Second), Factor: 0}, {At: models.Duration(2500 * ms), Factor: 2}}}
	n := models.Network{Bandwidth: 100e6, Latency: models.Duration(ms), BandwidthTrace: tr}
	cases := []struct {
		name  string
		start time.Duration
		size  int64
		want  time.Duration
	}{
		// 100 MB in [0,1s], 50 MB in [1s,2s], nothing until 2.5 s, then 200 MB/s.
		{"within the first segment", 0, 50e6, 501 * ms},
		{"across one change", 0, 150e6, 2001 * ms},
		{"across a stall", 0, 170e6, 2600*ms + ms},
		{"starting in the stall", 2200 * ms, 20e6, 2600*ms + ms},
		{"starting mid-segment", 500 * ms, 75e6, 1500*ms + ms},
	}
	for _, c := range cases {
		got := transfers(t, n, 0, []time.Duration{c.start}, []int64{c.size})[0]
		if got != c.want {
			t.Errorf("%s: ended at %v, want %v", c.name, got, c.want)
		}
	}
	// Two flows of 100 MB: 50 MB each by 1 s, 25 MB each by 2 s (25 MB/s each),
	// the stall, then 100 MB/s each for the last 25 MB: done at 2.75 s.
	got := transfers(t, n, 0, []time.Duration{0, 0}, []int64{100e6, 100e6})
	for i, g := range got {
		if want := 2750*ms + ms; g != want {
			t.Errorf("shared across the trace: transfer %d ended at %v, want %v", i, g, want)
		}
	}
}

func TestScenarioWithoutALinkIsRefused(t *testing.T) {
	s := models.Scenario{Name: "native", Memory: models.Memory{Size: 1 << 20}, Workload: models.Workload{DirtyRate: 1e5}}
	if _, err := Run(context.Background(), s, "cold", 0); !errors.Is(err, models.ErrNoLink) {
		t.Fatalf("simulating a scenario without a network: %v, want models.ErrNoLink", err)
	}
}

func TestLossCapsTheLinkAtTCPsRate(t *testing.T) {
	// 1 % loss over a 100 ms round trip: TCP sustains 1448 B / 0.1 s x
	// sqrt(150) = 177,343 B/s of the 1 MB/s link; 1 MB takes 5.64 s, then
	// the 50 ms latency.
	n := models.Network{Bandwidth: 1e6, Latency: models.Duration(50 * time.Millisecond), Loss: 0.01}
	got := transfers(t, n, 0, []time.Duration{0}, []int64{1e6})[0]
	want := time.Duration(1e6/models.TCPLossRate(100*time.Millisecond, 0.01)*1e9) + 50*time.Millisecond
	if d := got - want; d > time.Millisecond || d < -time.Millisecond || got < 5*time.Second {
		t.Fatalf("1 MB over a lossy link: %s, want %s", got, want)
	}
}
