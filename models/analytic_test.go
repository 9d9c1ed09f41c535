package models

import (
	"errors"
	"math"
	"testing"
	"time"
)

const mb = 1e6

func TestLiuWorkedExample(t *testing.T) {
	r, err := LiuPreCopy(1000*mb, 100*mb, 20*mb, 1*mb, 30, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 5 {
		t.Fatalf("n = %d, want 5", r.N)
	}
	want := []float64{1000, 200, 40, 8, 1.6, 0.32}
	for i, w := range want {
		if math.Abs(r.Volumes[i]/mb-w) > 1e-9 {
			t.Errorf("V_%d = %g MB, want %g", i, r.Volumes[i]/mb, w)
		}
	}
	if math.Abs(r.Total/mb-1249.92) > 1e-6 {
		t.Errorf("total = %g MB, want 1249.92", r.Total/mb)
	}
	if got := r.Time.Seconds(); math.Abs(got-12.4992) > 1e-9 {
		t.Errorf("time = %g s, want 12.4992", got)
	}
	if got := r.Downtime.Seconds(); math.Abs(got-0.0032) > 1e-9 {
		t.Errorf("downtime = %g s, want 0.0032", got)
	}
}

func TestLiuMaxRoundsCaps(t *testing.T) {
	r, _ := LiuPreCopy(1000*mb, 100*mb, 20*mb, 1*mb, 3, 0)
	if r.N != 3 || math.Abs(r.Volumes[3]/mb-8) > 1e-9 {
		t.Fatalf("n = %d, V_n = %g MB; want 3 and 8", r.N, r.Volumes[r.N]/mb)
	}
}

// liuScenario is a scenario whose analytic model is exactly Liu et al.'s.
func liuScenario(m, r, d, vthd float64, nmax int, resume time.Duration) Scenario {
	s := Scenario{Name: "liu"}
	s.Memory = Memory{Size: ByteSize(m), PageSize: 1}
	s.Workload.DirtyRate = Rate(d)
	s.Network.Bandwidth = Rate(r)
	s.Costs.Resume = Duration(resume)
	s.PreCopy.Stop = StopRules{Threshold: ByteSize(vthd), MaxRounds: nmax}
	s.Model = ModelAnalytic
	return s.WithDefaults()
}

func TestAnalyticMigrationReducesToLiuOverAGrid(t *testing.T) {
	for _, m := range []float64{256 * mb, 1000 * mb, 4000 * mb} {
		for _, r := range []float64{50 * mb, 125 * mb, 1000 * mb} {
			for _, frac := range []float64{0.05, 0.2, 0.5, 0.9} {
				for _, vthd := range []float64{0.5 * mb, 4 * mb} {
					for _, nmax := range []int{3, 30} {
						d := r * frac
						s := liuScenario(m, r, d, vthd, nmax, 5*time.Millisecond)
						liu, _ := LiuPreCopy(m, r, d, vthd, nmax, 5*time.Millisecond)
						got, err := AnalyticMigration(s, PreCopy)
						if err != nil {
							t.Fatal(err)
						}
						if got.LiveRounds() != liu.N {
							t.Fatalf("m=%g r=%g d=%g: live rounds %d, liu n %d", m, r, d, got.LiveRounds(), liu.N)
						}
						relErr := func(a, b float64) float64 { return math.Abs(a-b) / b }
						if e := relErr(float64(got.BytesSent()), liu.Total); e > 1e-6 {
							t.Errorf("m=%g r=%g d=%g: bytes %d vs %g", m, r, d, got.BytesSent(), liu.Total)
						}
						if e := relErr(got.Downtime().Seconds(), liu.Downtime.Seconds()); e > 1e-6 {
							t.Errorf("m=%g r=%g d=%g: downtime %v vs %v", m, r, d, got.Downtime(), liu.Downtime)
						}
						if e := relErr(got.TotalTime().Seconds(), liu.Time.Seconds()); e > 1e-6 {
							t.Errorf("m=%g r=%g d=%g: time %v vs %v", m, r, d, got.TotalTime(), liu.Time)
						}
					}
				}
			}
		}
	}
}

func TestAnalyticNonConvergentStopsByRule(t *testing.T) {
	s := liuScenario(1000*mb, 100*mb, 150*mb, 1*mb, 0, 0)
	s.PreCopy.Stop = StopRules{Threshold: ByteSize(mb), TrafficCap: 3}
	got, err := AnalyticMigration(s, PreCopy)
	if err != nil {
		t.Fatal(err)
	}
	if got.StopReason != StopTrafficCap || got.StopReason.Converged() {
		t.Fatalf("stop = %q, want traffic_cap and not converged", got.StopReason)
	}
	// The WWS (whole memory) caps every delta round at 1000 MB.
	for _, r := range got.Rounds {
		if r.Bytes > 1000*mb {
			t.Errorf("round %d sent %d bytes, more than the WWS", r.Index, r.Bytes)
		}
	}
}

func TestAnalyticColdAndMiGrror(t *testing.T) {
	s := liuScenario(1000*mb, 100*mb, 20*mb, 1*mb, 30, 0)
	cold, _ := AnalyticMigration(s, Cold)
	if cold.Downtime() != 10*time.Second || cold.BytesSent() != int64(1000*mb) {
		t.Fatalf("cold downtime %v bytes %d", cold.Downtime(), cold.BytesSent())
	}
	s.MiGrror = MiGrrorParams{SyncThreshold: ByteSize(4 * mb), MinInterval: Duration(100 * time.Millisecond), Trigger: Duration(30 * time.Second)}
	mg, err := AnalyticMigration(s, MiGrror)
	if err != nil {
		t.Fatal(err)
	}
	// Full copy takes 10 s, dirtying 200 MB (capped by nothing); the next sync
	// starts right away. Steady state: a sync every 0.2 s (4 MB at 20 MB/s) that
	// takes 0.04 s to send, so the final delta is at most 4 MB.
	if mg.FreezeAt != 30*time.Second {
		t.Errorf("freeze at %v, want the trigger at 30s", mg.FreezeAt)
	}
	final := mg.Rounds[len(mg.Rounds)-1]
	if final.Bytes > int64(4*mb) || mg.Downtime() > 40*time.Millisecond {
		t.Errorf("final delta %d bytes, downtime %v; want <= 4 MB and <= 40ms", final.Bytes, mg.Downtime())
	}
	if mg.LiveRounds() < 50 {
		t.Errorf("only %d sync rounds in 20 s of mirroring", mg.LiveRounds())
	}
}

func TestAnalyticRefusesTraces(t *testing.T) {
	s := liuScenario(1000*mb, 100*mb, 20*mb, 1*mb, 30, 0)
	s.Workload.RateTrace = Trace{Points: []TracePoint{{0, 1}, {Duration(time.Second), 2}}}
	if _, err := AnalyticMigration(s, PreCopy); !errors.Is(err, ErrNotApplicable) {
		t.Fatalf("err = %v, want ErrNotApplicable", err)
	}
}
