package workload

import (
	"bufio"
	"context"
	"math"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
)

func start(t *testing.T, c Config) *Workload {
	t.Helper()
	c.Listen = "127.0.0.1:0"
	w, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestRateAndCounters runs the workload for about a second per case and
// checks the achieved write rate, the counters and the verification.
func TestRateAndCounters(t *testing.T) {
	tests := []struct {
		name  string
		mem   models.ByteSize
		rate  string
		pages float64 // expected page writes per second
	}{
		{"1000 pages/s", 16 << 20, "1000pages/s", 1000},
		{"8 MiB/s", 16 << 20, "8MiB/s", 2048},
		{"20000 pages/s over 64 MiB", 64 << 20, "20000p/s", 20000},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, err := ParseRate(tt.rate)
			if err != nil {
				t.Fatal(err)
			}
			c := Config{Memory: models.Memory{Size: tt.mem}, Seed: 7}
			c.Workload.DirtyRate = rate
			w := start(t, c)
			var replies []probe.Reply
			for range 11 {
				r, err := probe.Probe(ctx, w.Addr())
				if err != nil {
					t.Fatal(err)
				}
				replies = append(replies, r)
				time.Sleep(100 * time.Millisecond)
			}
			for i, r := range replies {
				if r.Nonce != probe.Hex64(w.Nonce()) || r.Error != "" || r.ID == 0 {
					t.Fatalf("reply %d: %+v (nonce want %x)", i, r, w.Nonce())
				}
				if i > 0 && (r.Seq != replies[i-1].Seq+1 || r.Writes < replies[i-1].Writes || r.UptimeNS <= replies[i-1].UptimeNS || r.WritesNS < replies[i-1].WritesNS || r.WritesNS > r.UptimeNS ||
					r.ActiveNS < replies[i-1].ActiveNS || r.ActiveNS > r.WritesNS) {
					t.Fatalf("reply %d does not follow reply %d: %+v after %+v", i, i-1, r, replies[i-1])
				}
			}
			first, last := replies[0], replies[len(replies)-1]
			writes := float64(last.Writes - first.Writes)
			wall, active := float64(last.WritesNS-first.WritesNS)/1e9, float64(last.ActiveNS-first.ActiveNS)/1e9
			paced, achieved, starved := writes/active, writes/wall, 1-active/wall
			t.Logf("paced %.1f page writes/s (%+.2f%%), achieved %.1f over wall time (%+.2f%%), %.1f%% of the time not credited (stalls > 10 ticks), want %.0f",
				paced, 100*(paced/tt.pages-1), achieved, 100*(achieved/tt.pages-1), 100*starved, tt.pages)
			if math.Abs(paced/tt.pages-1) > 0.02 {
				t.Errorf("paced %.1f page writes/s over running time, want %.0f within 2%%", paced, tt.pages)
			}
			switch {
			case starved > 0.01:
				t.Logf("the host starved the workload of %.1f%% of the time: wall-clock rate not asserted", 100*starved)
			case math.Abs(achieved/tt.pages-1) > 0.05:
				t.Errorf("achieved %.1f page writes/s, want %.0f within 5%%", achieved, tt.pages)
			}
			v, err := probe.Verify(ctx, w.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if !v.Verify.Match || v.Verify.Writes < last.Writes || v.Seq <= last.Seq || v.Nonce != last.Nonce {
				t.Errorf("verify reply %+v %+v after %+v", v, *v.Verify, last)
			}
			t.Logf("verify of %s took %s", tt.mem, time.Duration(v.Verify.TookNS))
		})
	}
}

// TestRateTrace checks that the trace scales the rate over running time.
func TestRateTrace(t *testing.T) {
	c := Config{Memory: models.Memory{Size: 4 << 20}, Seed: 1}
	c.Workload.DirtyRate = 2000 * PageSize
	c.Workload.RateTrace = models.Trace{Points: []models.TracePoint{{At: 0, Factor: 0}, {At: models.Duration(300 * time.Millisecond), Factor: 1}}}
	w := start(t, c)
	time.Sleep(200 * time.Millisecond)
	if s := w.Memory().Snapshot(); s.Writes != 0 {
		t.Errorf("%d writes while the trace's factor is 0", s.Writes)
	}
	time.Sleep(400 * time.Millisecond)
	if s := w.Memory().Snapshot(); s.Writes < 200 || s.Writes > 700 {
		t.Errorf("%d writes about 300 ms after the factor went to 1 at 2000 pages/s, want about 600", s.Writes)
	}
}

// TestTCPLines sends several requests on one TCP connection, a bad one included.
func TestTCPLines(t *testing.T) {
	w := start(t, Config{Memory: models.Memory{Size: 1 << 20}})
	c, err := net.Dial("tcp", w.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		req     string
		id      uint64
		verify  bool
		wantErr string
	}{
		{"probe 5", 5, false, ""},
		{"probe", 0, false, ""},
		{"verify 6", 6, true, ""},
		{"  probe   7  ", 7, false, ""},
		{"dump 8", 8, false, "unknown command"},
		{"probe x", 0, false, "not an unsigned decimal"},
	}
	rd := bufio.NewReader(c)
	for i, tt := range tests {
		if _, err := c.Write([]byte(tt.req + "\n")); err != nil {
			t.Fatal(err)
		}
		line, err := rd.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		r, err := probe.ParseReply(line)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != tt.id || r.Seq != uint64(i+1) || (r.Verify != nil) != tt.verify || !strings.Contains(r.Error, tt.wantErr) || (tt.wantErr == "") != (r.Error == "") {
			t.Errorf("%q: reply %s", tt.req, line)
		}
		if tt.verify && !r.Verify.Match {
			t.Errorf("%q: verify did not match: %s", tt.req, line)
		}
	}
}

// TestProbeRTT measures the probe round trip on loopback while the workload
// dirties 64 MiB at 50,000 pages/s.
func TestProbeRTT(t *testing.T) {
	c := Config{Memory: models.Memory{Size: 64 << 20}}
	c.Workload.DirtyRate = 50000 * PageSize
	w := start(t, c)
	conn, err := net.Dial("udp", w.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 2048)
	var rtts []time.Duration
	for range 500 {
		t0 := time.Now()
		conn.SetDeadline(t0.Add(time.Second))
		if _, err := conn.Write([]byte("probe")); err != nil {
			t.Fatal(err)
		}
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		rtts = append(rtts, time.Since(t0))
		if _, err := probe.ParseReply(buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	t.Logf("loopback probe RTT over %d probes: median %s, p99 %s, max %s", len(rtts), rtts[len(rtts)/2], rtts[len(rtts)*99/100], rtts[len(rtts)-1])
	if rtts[len(rtts)/2] > 5*time.Millisecond {
		t.Errorf("median RTT %s is not below 5 ms", rtts[len(rtts)/2])
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no memory", Config{}},
		{"page size", Config{Memory: models.Memory{Size: 1 << 20, PageSize: 16384}}},
		{"wws above memory", Config{Memory: models.Memory{Size: 1 << 20}, Workload: models.Workload{WWS: 2 << 20}}},
		{"tick", Config{Memory: models.Memory{Size: 1 << 20}, Tick: time.Hour}},
		{"listen", Config{Memory: models.Memory{Size: 1 << 20}, Listen: "nonsense"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w, err := Start(tt.cfg); err == nil {
				w.Close()
				t.Error("no error")
			}
		})
	}
}
