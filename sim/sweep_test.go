package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// edge returns the built-in example scenario (1 GiB, 4 KiB pages, pages model).
func edge(tb testing.TB) models.Scenario {
	tb.Helper()
	f, err := os.Open("../examples/edge-1g.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	s, err := models.ParseScenario(f)
	if err != nil {
		tb.Fatal(err)
	}
	s.Techniques = []string{models.Cold, models.PreCopy, models.MiGrror}
	s.Repetitions = 1
	return s
}

// grid returns n scenarios around edge-1g: dirty rate 1-200 MB/s, bandwidth
// 50 MB/s-1.25 GB/s, WWS 64 MiB-1 GiB and hot/cold splits, all combinations in
// turn (4 axes of 10 values: 10,000 distinct scenarios).
func grid(tb testing.TB, n int) []models.Scenario {
	base := edge(tb)
	logspace := func(a, b float64, i int) float64 { return a * math.Pow(b/a, float64(i)/9) }
	hot := [][2]float64{{0, 0}, {0.05, 0.5}, {0.05, 0.9}, {0.1, 0.5}, {0.1, 0.8}, {0.1, 0.95}, {0.2, 0.6}, {0.2, 0.9}, {0.3, 0.7}, {0.5, 0.9}}
	out := make([]models.Scenario, n)
	for i := range out {
		s := base
		k := i
		s.Workload.DirtyRate = models.Rate(logspace(1e6, 200e6, k%10))
		k /= 10
		s.Network.Bandwidth = models.Rate(logspace(50e6, 1.25e9, k%10))
		k /= 10
		s.Workload.WWS = models.ByteSize(int64(logspace(64<<20, 1<<30, k%10)) / 4096 * 4096)
		k /= 10
		s.Workload.HotFraction, s.Workload.HotShare = hot[k%10][0], hot[k%10][1]
		s.Name = fmt.Sprintf("grid/%d", i)
		out[i] = s
	}
	return out
}

// TestSweepOrderAndDeterminism: records come in (scenario, technique,
// repetition) order, identical whatever the number of workers, with progress
// counters that add up and no goroutine left behind.
func TestSweepOrderAndDeterminism(t *testing.T) {
	before := runtime.NumGoroutine()
	scens := grid(t, 60)
	for i := range scens {
		scens[i].Repetitions = 2
	}
	scens[7].Network.Bandwidth = -1 // invalid: error records, the sweep goes on
	var runs [][]byte
	for _, workers := range []int{1, 2, 7} {
		var prog Progress
		var recs []models.Record
		err := Sweep(context.Background(), scens, SweepOptions{Workers: workers, Progress: &prog, Analytic: true},
			func(r models.Record) error { recs = append(recs, r); return nil })
		if err != nil {
			t.Fatal(err)
		}
		// Per scenario: 3 techniques x (2 sim + 1 analytic), except the invalid one (no analytic).
		if len(recs) != 59*9+6 || prog.Records.Load() != int64(len(recs)) || prog.Scenarios.Load() != 60 || prog.Failed.Load() != 6 {
			t.Fatalf("workers=%d: %d records, progress %d records %d scenarios %d failed", workers, len(recs),
				prog.Records.Load(), prog.Scenarios.Load(), prog.Failed.Load())
		}
		if prog.Events.Load() <= 0 {
			t.Error("no events counted")
		}
		i := 0
		for si, s := range scens {
			for _, tech := range []string{models.Cold, models.PreCopy, models.MiGrror} {
				for rep := range 2 {
					r := recs[i]
					if r.Scenario != s.Name || r.Technique != tech || r.Repetition != rep || r.Backend != models.BackendSim {
						t.Fatalf("record %d is %s/%s/%s/%d, want %s/%s/sim/%d", i, r.Scenario, r.Technique, r.Backend, r.Repetition, s.Name, tech, rep)
					}
					i++
				}
				if si != 7 {
					if recs[i].Backend != models.BackendAnalytic || recs[i].Technique != tech {
						t.Fatalf("record %d: %s/%s, want the analytic record of %s", i, recs[i].Technique, recs[i].Backend, tech)
					}
					i++
				}
			}
		}
		b, _ := json.Marshal(recs)
		runs = append(runs, b)
	}
	for i := 1; i < len(runs); i++ {
		if string(runs[i]) != string(runs[0]) {
			t.Errorf("records differ between worker counts (run %d)", i)
		}
	}
	goroutinesSettle(t, before)
}

func TestSweepStopsOnEmitErrorAndCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	scens := grid(t, 200)
	stop := errors.New("disk full")
	n := 0
	err := Sweep(context.Background(), scens, SweepOptions{Workers: 3}, func(models.Record) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("err %v after %d records, want %v after 10", err, n, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = Sweep(ctx, scens, SweepOptions{Workers: 3}, func(models.Record) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	goroutinesSettle(t, before)
}

// BenchmarkPreCopyMigration: one pre-copy migration of edge-1g (1 GiB), its
// record included.
func BenchmarkPreCopyMigration(b *testing.B) {
	s := edge(b)
	t, _ := models.NewTechnique(models.PreCopy, s)
	sm := Simulator{}
	cpu0 := cpuTime()
	for b.Loop() {
		out, err := sm.simulate(context.Background(), &s, t, 0, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = RecordOf(s, models.PreCopy, 0, out)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// sweep10k expands examples/sweep-10k.yaml, the recorded performance figure:
// 100 dirty rates x 100 bandwidths, 1 GiB, 4 KiB pages, pages model, cold,
// precopy and migrror.
func sweep10k(tb testing.TB) []models.Scenario {
	f, err := os.Open("../examples/sweep-10k.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sw, err := models.ParseSweep(f)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]models.Scenario, sw.Size())
	for i := range out {
		if out[i], err = sw.Scenario(i); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// BenchmarkSweep10k: examples/sweep-10k.yaml (10,000 scenarios x 3 techniques,
// 1 GiB, 4 KiB pages, pages model) on every core; records (with and without
// their rounds) are discarded.
func BenchmarkSweep10k(b *testing.B) {
	scens := sweep10k(b)
	b.Run("rounds", func(b *testing.B) { benchSweep(b, scens, false) })
	b.Run("metrics-only", func(b *testing.B) { benchSweep(b, scens, true) })
}

// BenchmarkSweepGrid10k: 10,000 scenarios of this package's grid (dirty rate,
// bandwidth, WWS and hot/cold split all vary).
func BenchmarkSweepGrid10k(b *testing.B) {
	benchSweep(b, grid(b, 10000), false)
}

func benchSweep(b *testing.B, scens []models.Scenario, omitRounds bool) {
	var prog Progress
	cpu0 := cpuTime()
	for b.Loop() {
		prog = Progress{}
		opts := SweepOptions{Progress: &prog, OmitRounds: omitRounds}
		if err := Sweep(context.Background(), scens, opts, func(models.Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(scens)), "ns/scenario")
	b.ReportMetric(float64(prog.Events.Load()), "events/sweep")
	// CPU time is what the machine spent, whatever else runs on it: on an idle
	// machine the wall time is about cpu-s/op divided by the cores.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkMigration: one migration of edge-1g per technique (MiGrror: about
// 100 sync rounds).
func BenchmarkMigration(b *testing.B) {
	s := edge(b)
	for _, name := range []string{models.Cold, models.PreCopy, models.MiGrror, models.PostCopy} {
		b.Run(name, func(b *testing.B) {
			t, _ := models.NewTechnique(name, s)
			sm := Simulator{}
			cpu0 := cpuTime()
			for b.Loop() {
				out, err := sm.simulate(context.Background(), &s, t, 0, 1, nil)
				if err != nil {
					b.Fatal(err)
				}
				_ = RecordOf(s, name, 0, out)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestSweepOmitRounds: metrics-only records carry the same metrics.
func TestSweepOmitRounds(t *testing.T) {
	scens := grid(t, 12)
	var full, lean []models.Record
	if err := Sweep(context.Background(), scens, SweepOptions{}, func(r models.Record) error { full = append(full, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := Sweep(context.Background(), scens, SweepOptions{OmitRounds: true, Analytic: true}, func(r models.Record) error {
		if r.Backend == models.BackendSim {
			lean = append(lean, r)
		}
		if len(r.Rounds) != 0 {
			t.Errorf("%s/%s/%s: %d rounds", r.Scenario, r.Technique, r.Backend, len(r.Rounds))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range full {
		a, _ := json.Marshal(full[i].Metrics)
		b, _ := json.Marshal(lean[i].Metrics)
		if len(full[i].Rounds) == 0 || string(a) != string(b) {
			t.Fatalf("record %d: metrics %s vs %s", i, a, b)
		}
	}
}

// TestRunCancelled: a cancelled context ends a run at once.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec, err := Run(ctx, edge(t), models.MiGrror, 0)
	if !errors.Is(err, context.Canceled) || rec.Error == "" {
		t.Fatalf("err %v, record error %q", err, rec.Error)
	}
}
