package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// costScenario is a 4 MiB (1024 pages) container on a 4 MiB/s link with the
// costs a calibration on Podman yields: a frozen dump that costs more per page
// than a live round, a slower live bandwidth, and archive overheads.
func costScenario(model string) models.Scenario {
	ms := func(x float64) models.Duration { return models.Duration(models.Seconds(x / 1000)) }
	s := models.Scenario{Name: "costs", Memory: models.Memory{Size: 4 << 20, PageSize: 4096},
		Network: models.Network{Bandwidth: 4 << 20, LiveBandwidth: 2 << 20},
		Costs: models.Costs{RoundSetup: ms(1000), DumpPerPage: ms(0.5), FinalDumpPerPage: ms(4), FinalSetup: ms(2000),
			Freeze: ms(100), RestoreBase: ms(3000), RoundOverhead: 4096, FinalOverhead: 100 << 10},
		Model: model}
	s.PreCopy.Stop = models.StopRules{MaxRounds: 2, Threshold: 4096}
	return s.WithDefaults()
}

// TestFrozenAndLiveCosts pins the downtime, total time and bytes of a cold
// and a pre-copy migration (no dirtying) under the new cost parameters, in
// both memory models of the simulator and in models.AnalyticMigration.
//
// Cold: the frozen dump is freeze 0.1 + final setup 2 + round setup 1 +
// 1024 pages x 4 ms = 7.196 s; the transfer (4 MiB + 100 KiB) / 4 MiB/s =
// 1.0244140625 s; restore 3 s: downtime 11.2204140625 s.
// Pre-copy: the live round is 1 + 1024 x 0.5 ms = 1.512 s of dumping, then
// (4 MiB + 4 KiB) at the live 2 MiB/s = 2.001953125 s; the final round has no
// pages: 3.1 s of dumping, 100 KiB at 4 MiB/s = 0.0244140625 s; restore 3 s:
// downtime 6.1244140625 s, total 9.638367188 s.
func TestFrozenAndLiveCosts(t *testing.T) {
	cases := []struct {
		tech                string
		downtime, total     float64
		bytes, finalBytes   int64
		finalDump, liveDump float64
	}{
		{models.Cold, 11.2204140625, 11.2204140625, 4<<20 + 100<<10, 4<<20 + 100<<10, 7.196, 0},
		{models.PreCopy, 6.1244140625, 1.512 + 2.001953125 + 6.1244140625, 4<<20 + 4096 + 100<<10, 100 << 10, 3.1, 1.512},
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if d := got - want; d > 2e-9 || d < -2e-9 {
			t.Errorf("%s = %.10f, want %.10f", what, got, want)
		}
	}
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := costScenario(model)
		for _, c := range cases {
			name := c.tech + " " + model
			rec, err := Run(context.Background(), s, c.tech, 0)
			if err != nil {
				t.Fatal(err)
			}
			ana, ok, err := AnalyticRecord(s, c.tech, 0)
			if !ok || err != nil {
				t.Fatalf("%s: analytic ok %v, err %v", name, ok, err)
			}
			for _, r := range []models.Record{rec, ana} {
				what := name + " " + string(r.Backend)
				near(what+" downtime", r.Metrics.DowntimeS, c.downtime)
				near(what+" total", r.Metrics.TotalTimeS, c.total)
				if r.Metrics.BytesSent != c.bytes {
					t.Errorf("%s bytes = %d, want %d", what, r.Metrics.BytesSent, c.bytes)
				}
				final := r.Rounds[len(r.Rounds)-1]
				near(what+" final dump", final.DumpS, c.finalDump)
				if final.Bytes != c.finalBytes {
					t.Errorf("%s final bytes = %d, want %d", what, final.Bytes, c.finalBytes)
				}
				if c.liveDump > 0 {
					near(what+" live dump", r.Rounds[0].DumpS, c.liveDump)
					near(what+" live transfer", r.Rounds[0].TransferS, 2.001953125)
				}
			}
		}
	}
	// Zero new parameters mean the old model: the frozen dump at DumpPerPage,
	// every transfer at Bandwidth, no overheads.
	s := costScenario(models.ModelPages)
	s.Costs.FinalDumpPerPage, s.Costs.RoundOverhead, s.Costs.FinalOverhead, s.Network.LiveBandwidth = 0, 0, 0, 0
	rec, err := Run(context.Background(), s, models.Cold, 0)
	if err != nil {
		t.Fatal(err)
	}
	near("old-model cold downtime", rec.Metrics.DowntimeS, 3.1+0.512+1.0+3.0)
}

// TestLiveTransferOnSharedLink: a live transfer gets its fair share scaled
// by LiveBandwidth / Bandwidth, a frozen one its whole share.
func TestLiveTransferOnSharedLink(t *testing.T) {
	e := NewEngine()
	l := NewLink(e, models.Network{Bandwidth: 100e6, LiveBandwidth: 25e6}, 0)
	var liveEnd, frozenEnd time.Duration
	e.Go(func(p *Process) error { l.TransferLive(p, 25e6); liveEnd = e.Now(); return nil })
	e.Go(func(p *Process) error { l.Transfer(p, 50e6); frozenEnd = e.Now(); return nil })
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// Shares of 50 MB/s each: the live 25 MB (100 MB of capacity) has sent
	// 12.5 MB when the frozen 50 MB ends at 1 s, then 12.5 MB alone at 25 MB/s.
	if frozenEnd != time.Second || liveEnd != 1500*time.Millisecond {
		t.Errorf("frozen ended at %v (want 1s), live at %v (want 1.5s)", frozenEnd, liveEnd)
	}
}

// TestRestorePerFinalPage pins the restore's import cost: RestorePerFinalPage
// for each page of the final round, beside RestorePerPage for every page.
// Cold: 1024 final pages x 2 ms = 2.048 s more than TestFrozenAndLiveCosts'
// 11.2204140625 s; pre-copy's final round has no pages: unchanged. With
// RestorePerPage 1 ms over all 1024 pages (RestoreAllPages) both add 1.024 s.
func TestRestorePerFinalPage(t *testing.T) {
	ms := func(x float64) models.Duration { return models.Duration(models.Seconds(x / 1000)) }
	cases := []struct {
		all              bool
		cold, precopy    float64
		perPage, perLast models.Duration
	}{
		{false, 11.2204140625 + 2.048, 6.1244140625, 0, ms(2)},
		{true, 11.2204140625 + 2.048 + 1.024, 6.1244140625 + 1.024, ms(1), ms(2)},
	}
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		for _, c := range cases {
			s := costScenario(model)
			s.Costs.RestorePerPage, s.Costs.RestorePerFinalPage, s.Costs.RestoreAllPages = c.perPage, c.perLast, c.all
			for tech, want := range map[string]float64{models.Cold: c.cold, models.PreCopy: c.precopy} {
				checkDowntime(t, s, tech, want, fmt.Sprintf("%s all=%v", model, c.all))
			}
		}
	}
}

// TestChainedFixedCosts: ChainedFinalSetup and ChainedRestoreBase replace
// FinalSetup and RestoreBase only when the final round follows live rounds
// (pre-copy, MiGrror), never on a cold migration, in both memory models and
// the closed form. Pre-copy's final round here: 3.1 s of dumping becomes
// 3.1 - 2 + 3.5 = 4.6 s, its restore 3 s becomes 4.25 s: downtime +2.75 s.
func TestChainedFixedCosts(t *testing.T) {
	ms := func(x float64) models.Duration { return models.Duration(models.Seconds(x / 1000)) }
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		s := costScenario(model)
		s.Costs.ChainedFinalSetup, s.Costs.ChainedRestoreBase = ms(3500), ms(4250)
		for tech, want := range map[string]float64{models.Cold: 11.2204140625, models.PreCopy: 6.1244140625 + 2.75} {
			checkDowntime(t, s, tech, want, model)
		}
	}
}

// checkDowntime runs s with technique tech in the simulator and the closed
// form and checks both downtimes against want (within 2 ns).
func checkDowntime(t *testing.T, s models.Scenario, tech string, want float64, label string) {
	t.Helper()
	rec, err := Run(context.Background(), s, tech, 0)
	if err != nil {
		t.Fatal(err)
	}
	ana, _, err := AnalyticRecord(s, tech, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []models.Record{rec, ana} {
		if d := r.Metrics.DowntimeS - want; d > 2e-9 || d < -2e-9 {
			t.Errorf("%s %s %s: downtime %.10f, want %.10f", label, tech, r.Backend, r.Metrics.DowntimeS, want)
		}
	}
}
