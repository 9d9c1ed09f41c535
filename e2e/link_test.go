//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/testbed"
)

// TestShapedLink shapes the private link to 256 KiB/s and 40 ms each way:
// a bulk transfer between the agents goes within 10 % of the rate and the
// round trip shows the added latency. Then a pre-copy migrates over it with
// the rate halved 8 s in: the transfers after the step go at under 60 % of
// the rate, none faster than the link, and the record says what was
// applied. Neither host keeps any shaping, after the migration and after a
// shaped one that failed and was rolled back.
func TestShapedLink(t *testing.T) {
	tb := requireAgents(t)
	const rate, step = 256 << 10, 8 * time.Second
	src, dst := tb.Hosts[0], tb.Hosts[1]
	ctx, cancel := context.WithTimeout(testCtx, 20*time.Minute)
	defer cancel()

	// The link itself: what a transfer that touches no disk gets.
	sh, _ := real.ShapingOf(models.Network{Bandwidth: rate, Latency: models.Duration(40 * time.Millisecond)})
	for _, h := range tb.Hosts {
		if _, err := h.Exec(ctx, sh.InstallScript(h.PrivateAddr, 1)); err != nil {
			t.Fatalf("shaping %s: %v", h.Name, err)
		}
	}
	rep, err := real.MeasureLink(ctx, src, dst, 5, 2<<20)
	for _, h := range tb.Hosts {
		if _, cerr := h.Exec(ctx, testbed.ClearShapingScript); cerr != nil {
			t.Errorf("clearing %s: %v", h.Name, cerr)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	// TCP carries models.Goodput of the rate the bucket counts in frames;
	// the transfer's setup, TLS and slow start over the 88 ms round trip
	// take a few per cent more (0.89-0.93 of the rate measured).
	if tp, gp := rep.Transfer.Throughput(), float64(models.Goodput(rate)); tp < 0.88*gp || tp > rate {
		t.Errorf("2 MiB over the shaped link at %.0f B/s, want between 88 %% of its goodput (%.0f B/s) and its rate (%d)", tp, gp, rate)
	}
	if rtt := rep.MedianRTT(); rtt < 80*time.Millisecond || rtt > 130*time.Millisecond {
		t.Errorf("round trip over the shaped link %s, want the native one plus 2 x 40 ms (80-130 ms)", rtt)
	}
	noShaping(t, tb)

	s := parseScenario(t, `name: e2e-shaped
memory: {size: 2MiB}
workload: {dirty_rate: 256KiB/s, wws: 512KiB}
network: {bandwidth: 256KiB/s, latency: 40ms, bandwidth_trace: {points: [{at: 0s, factor: 1}, {at: 8s, factor: 0.5}]}}
precopy: {stop: {threshold: 4KiB, max_rounds: 2}}
`)
	out := migrate(t, tb, s, models.PreCopy)
	rec := out.Record
	x := rec.Metrics.Extra
	if x[models.ExtraLinkRate] != rate || x[models.ExtraLinkDelay] != 0.04 || x[models.ExtraLinkTraceSteps] != 1 || x[models.ExtraLinkTraceLag] > 2 {
		t.Errorf("record: applied rate %v, delay %v, trace steps %v (lag %v s); want %d B/s, 0.04 s, 1 (under 2 s late)",
			x[models.ExtraLinkRate], x[models.ExtraLinkDelay], x[models.ExtraLinkTraceSteps], x[models.ExtraLinkTraceLag], rate)
	}
	if rtt := x[models.ExtraLinkRTT]; rtt < 0.080 || rtt > 0.130 {
		t.Errorf("round trip before the migration %.1f ms, want 80-130 ms", rtt*1000)
	}
	after := 0
	for _, r := range rec.Rounds {
		if r.BandwidthBps > 1.02*rate {
			t.Errorf("round %d (%s) at %.0f B/s, faster than the link (%d)", r.Index, r.Kind, r.BandwidthBps, rate)
		}
		if start := time.Duration((r.StartS + r.DumpS) * float64(time.Second)); start > step+time.Second && r.Bytes >= 256<<10 {
			after++
			if r.BandwidthBps > 0.6*rate {
				t.Errorf("round %d (%s) after the step down to half: %.0f B/s, want under 60 %% of %d", r.Index, r.Kind, r.BandwidthBps, rate)
			}
		}
	}
	if after == 0 {
		t.Errorf("rounds %+v: want transfers after the trace's step at %s", rec.Rounds, step)
	}
	noShaping(t, tb)

	// A migration that fails and rolls back leaves no shaping either.
	f, err := real.ParseFault("checkpoint-fail@final-dump")
	if err != nil {
		t.Fatal(err)
	}
	cold := parseScenario(t, `name: e2e-shaped-fail
memory: {size: 2MiB}
workload: {dirty_rate: 256KiB/s, wws: 512KiB}
network: {bandwidth: 512KiB/s, latency: 10ms}
`)
	fo, err := real.Run(ctx, tb, cold, models.Cold, 0, real.Options{StepTimeout: 8 * time.Minute, Warmup: time.Second,
		Progress: logWriter{t}, Inject: &f, Provenance: models.Provenance{Tool: "migrlab", Version: "e2e"}})
	// Killing CRIU mid-dump can kill the workload with it: then it is started
	// again from its image (its state lost), running once all the same.
	if fo == nil || fo.Record.Fault == nil || !fo.Record.Fault.Injected ||
		fo.Record.Fault.Outcome != "rolled back" && fo.Record.Fault.Outcome != "restarted, state lost" {
		t.Errorf("the failed shaped migration: %+v, %v; want the fault injected and rolled back", fo, err)
	}
	noShaping(t, tb)
}

// parseScenario parses a whole scenario.
func parseScenario(t *testing.T, yaml string) models.Scenario {
	t.Helper()
	s, err := models.ParseScenario(strings.NewReader(yaml))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return s
}

// noShaping checks that neither host's private interface is shaped.
func noShaping(t *testing.T, tb *real.Testbed) {
	t.Helper()
	for _, h := range tb.Hosts {
		ctx, cancel := context.WithTimeout(testCtx, time.Minute)
		out, err := h.Exec(ctx, real.ShowShapingScript(h.PrivateAddr)+"\nls "+testbed.ShapingMark+" 2>/dev/null; true")
		cancel()
		if err != nil {
			t.Errorf("%s: %v", h.Name, err)
			continue
		}
		if strings.Contains(out, "netem") || strings.Contains(out, "tbf") || strings.Contains(out, testbed.ShapingMark) {
			t.Errorf("%s: shaping left on the private link:\n%s", h.Name, out)
		}
	}
}
