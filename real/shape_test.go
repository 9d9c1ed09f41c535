package real

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/testbed"
)

func ms(v float64) models.Duration { return models.Duration(v * float64(time.Millisecond)) }

func TestShapingCommands(t *testing.T) {
	if _, ok := ShapingOf(models.Network{}); ok {
		t.Fatal("a native network is shaped")
	}
	sh, ok := ShapingOf(models.Network{Bandwidth: 512 << 10, Latency: ms(50), Jitter: ms(5), Loss: 0.01})
	if !ok {
		t.Fatal("a network with a bandwidth is not shaped")
	}
	got := sh.InstallScript("10.10.0.2", 1)
	for _, want := range []string{
		`index($4, a "/") == 1`, `-v a="10.10.0.2"`, // the interface holding the private address
		`tc qdisc del dev "$dev" root`,
		// netem first (delay 50 ms +- 5 ms, 1 % loss), the token bucket under it:
		// 512 KiB/s = 4194304 bit/s, a 10 ms burst (5242 B), a queue of the
		// shaped round trip (2 x 55 ms + 20 ms).
		`tc qdisc add dev "$dev" root handle 1: netem limit 1000 delay 50000us 5000us loss 1% || exit 5`,
		`tc qdisc add dev "$dev" parent 1:1 handle 10: tbf rate 4194304bit burst 5242 latency 130000us || exit 5`,
		`echo "$dev" > ` + testbed.ShapingMark + "\ntc qdisc del", // marked before anything is installed
	} {
		if !strings.Contains(got, want) {
			t.Errorf("install script lacks %q:\n%s", want, got)
		}
	}
	// A trace step changes only the bucket's rate; a small one keeps a
	// two-frame burst; an outage keeps 1 kB/s.
	for f, want := range map[float64]string{
		0.5:  "tbf rate 2097152bit burst 3028 latency 130000us",
		0.01: "tbf rate 41943bit burst 3028 latency 130000us",
		0:    "tbf rate 8000bit burst 3028 latency 130000us",
	} {
		if got := sh.RateScript(f); !strings.Contains(got, `tc qdisc change dev "$dev" parent 1:1 handle 10: `+want) {
			t.Errorf("rate x%g: %s, want %s", f, got, want)
		}
	}
	// No delay, no loss: netem passes through; a short queue is 100 ms.
	plain, _ := ShapingOf(models.Network{Bandwidth: 1 << 20, Loss: 0.005})
	if got := plain.InstallScript("10.10.0.1", 1); !strings.Contains(got, "netem limit 1000 delay 0us loss 0.5% || exit 5\n") ||
		!strings.Contains(got, "tbf rate 8388608bit burst 10485 latency 100000us") {
		t.Errorf("1 MiB/s, 0.5 %% loss:\n%s", got)
	}
	// netem's packet limit holds what the delay keeps in flight at the peak.
	wan, _ := ShapingOf(models.Network{Bandwidth: 100e6, Latency: ms(100),
		BandwidthTrace: models.Trace{Points: []models.TracePoint{{At: 0, Factor: 1}, {At: models.Duration(time.Second), Factor: 2}}}})
	if wan.Peak() != 200e6 || !strings.Contains(wan.InstallScript("a", 1), "netem limit 26521 delay 100000us") {
		t.Errorf("peak %s, script:\n%s", wan.Peak(), wan.InstallScript("a", 1))
	}
}

// fakeShell records the scripts run on a host.
type fakeShell struct {
	n, addr string
	mu      sync.Mutex
	ran     []string
}

func (f *fakeShell) Exec(_ context.Context, script string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ran = append(f.ran, script)
	return "", nil
}
func (f *fakeShell) name() string        { return f.n }
func (f *fakeShell) privateAddr() string { return f.addr }
func (f *fakeShell) scripts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ran...)
}

func TestShaperInstallsReplaysAndClears(t *testing.T) {
	tr := models.Trace{Points: []models.TracePoint{{At: 0, Factor: 0.5}, {At: ms(40), Factor: 1}, {At: ms(80), Factor: 0.25}, {At: ms(5000), Factor: 1}}}
	sh, _ := ShapingOf(models.Network{Bandwidth: 1 << 20, Latency: ms(10), BandwidthTrace: tr})
	a, b := &fakeShell{n: "a", addr: "10.0.0.1"}, &fakeShell{n: "b", addr: "10.0.0.2"}
	s := newShaper(sh, t.Logf, a, b)
	ctx := context.Background()
	if err := s.install(ctx); err != nil {
		t.Fatal(err)
	}
	origin := time.Now()
	s.replay(ctx, origin)
	time.Sleep(300 * time.Millisecond)
	if err := s.clear(ctx); err != nil { // stops the replay before the step at 5 s
		t.Fatal(err)
	}
	for _, h := range []*fakeShell{a, b} {
		got := h.scripts()
		want := []string{sh.InstallScript(h.addr, 0.5), sh.RateScript(1), sh.RateScript(0.25), testbed.ClearShapingScript}
		if len(got) != len(want) {
			t.Fatalf("%s ran %d scripts, want %d (install at x0.5, x1 at 40 ms, x0.25 at 80 ms, clear):\n%q", h.n, len(got), len(want), got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s script %d:\n%s\nwant:\n%s", h.n, i, got[i], want[i])
			}
		}
	}
	x := s.extra()
	if x[models.ExtraLinkTraceSteps] != 2 || x[models.ExtraLinkRate] != 1<<20 || x[models.ExtraLinkDelay] != 0.01 ||
		x[models.ExtraLinkTraceLag] < 0 || x[models.ExtraLinkTraceLag] > 0.2 {
		t.Errorf("extra %v: want 2 steps, 1 MiB/s, 10 ms, a lag under 200 ms", x)
	}
	// After a healed cut the host is shaped at the factor then in force.
	if err := s.reinstall(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got := a.scripts(); got[len(got)-1] != sh.InstallScript(a.addr, 0.25) {
		t.Errorf("reinstall: %s", got[len(got)-1])
	}
}
