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

// TestShapedLink migrates over the private link shaped to a scenario's
// network: 256 KiB/s and 40 ms each way, the rate falling to a quarter 30 s
// into the migration. The transfers before the step go within 10 % of the
// shaped rate, those after it below half of it; the round trip shows the
// added latency; and neither host keeps any shaping, after the migration
// and after one that failed and was rolled back.
func TestShapedLink(t *testing.T) {
	tb := requireAgents(t)
	const rate, step = 256 << 10, 30 * time.Second
	s := parseScenario(t, `name: e2e-shaped
memory: {size: 2MiB}
workload: {dirty_rate: 256KiB/s, wws: 512KiB}
network: {bandwidth: 256KiB/s, latency: 40ms, bandwidth_trace: {points: [{at: 0s, factor: 1}, {at: 30s, factor: 0.25}]}}
precopy: {stop: {threshold: 4KiB, max_rounds: 2}}
`)
	out := migrate(t, tb, s, models.PreCopy)
	rec := out.Record
	x := rec.Metrics.Extra
	if x[models.ExtraLinkRate] != rate || x[models.ExtraLinkDelay] != 0.04 || x[models.ExtraLinkTraceSteps] != 1 {
		t.Errorf("record: applied rate %v, delay %v, trace steps %v; want %d B/s, 0.04 s, 1", x[models.ExtraLinkRate], x[models.ExtraLinkDelay], x[models.ExtraLinkTraceSteps], rate)
	}
	if rtt := x[models.ExtraLinkRTT]; rtt < 0.080 || rtt > 0.130 {
		t.Errorf("round trip over the shaped link %.1f ms, want the native one plus 2 x 40 ms (80-130 ms)", rtt*1000)
	}
	var before, after int
	for _, r := range rec.Rounds {
		if r.Bytes < 256<<10 {
			continue // too short to measure a rate
		}
		start := time.Duration((r.StartS + r.DumpS) * float64(time.Second))
		end := start + time.Duration(r.TransferS*float64(time.Second))
		switch {
		case end < step:
			before++
			if r.BandwidthBps < 0.9*rate || r.BandwidthBps > 1.02*rate {
				t.Errorf("round %d (%s) before the step: %.0f B/s, want within 10 %% of %d", r.Index, r.Kind, r.BandwidthBps, rate)
			}
		case start > step+2*time.Second:
			after++
			if r.BandwidthBps > 0.5*rate {
				t.Errorf("round %d (%s) after the step down to a quarter: %.0f B/s, want under half of %d", r.Index, r.Kind, r.BandwidthBps, rate)
			}
		}
	}
	if before == 0 || after == 0 {
		t.Errorf("rounds %+v: want transfers both before and after the trace's step at %s", rec.Rounds, step)
	}
	noShaping(t, tb)

	// A migration that fails and rolls back leaves no shaping either.
	ctx, cancel := context.WithTimeout(testCtx, 15*time.Minute)
	defer cancel()
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
	if fo == nil || fo.Record.Fault == nil || !fo.Record.Fault.Injected || fo.Record.Fault.Outcome != "rolled back" {
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
