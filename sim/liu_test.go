package sim

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

const mb = 1e6

// liu is this test's own oracle for Liu et al.'s closed form (HPDC'11):
// V_i = M*lambda^i, lambda = D/R, n = min(ceil(log_lambda(Vthd/M)), nmax),
// downtime = V_n/R + T_resume, total sent = M(1-lambda^(n+1))/(1-lambda).
type liu struct {
	n                 int
	vn, total, time_s float64
	downtime          float64
}

func liuClosedForm(m, r, d, vthd float64, nmax int, resume float64) liu {
	lambda := d / r
	n := int(math.Ceil(math.Log(vthd/m) / math.Log(lambda)))
	n = min(n, nmax)
	total := m * (1 - math.Pow(lambda, float64(n+1))) / (1 - lambda)
	vn := m * math.Pow(lambda, float64(n))
	return liu{n: n, vn: vn, total: total, time_s: total/r + resume, downtime: vn/r + resume}
}

// liuScenario is a scenario on which the analytic memory model with zero costs
// except Resume is exactly Liu's model.
func liuScenario(m, r, d, vthd float64, nmax int, resume time.Duration) models.Scenario {
	s := models.Scenario{Name: "liu", Model: models.ModelAnalytic}
	s.Memory = models.Memory{Size: models.ByteSize(m), PageSize: 4096}
	s.Workload.DirtyRate = models.Rate(d)
	s.Network.Bandwidth = models.Rate(r)
	s.Costs.Resume = models.Duration(resume)
	s.PreCopy.Stop = models.StopRules{Threshold: models.ByteSize(vthd), MaxRounds: nmax}
	return s.WithDefaults()
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func TestLiuWorkedExample(t *testing.T) {
	s := liuScenario(1000*mb, 100*mb, 20*mb, 1*mb, 30, 0)
	rec, err := Run(context.Background(), s, models.PreCopy, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1000, 200, 40, 8, 1.6, 0.32}
	if len(rec.Rounds) != len(want) {
		t.Fatalf("%d rounds, want %d: %+v", len(rec.Rounds), len(want), rec.Rounds)
	}
	for i, w := range want {
		if got := float64(rec.Rounds[i].Bytes) / mb; math.Abs(got-w) > 1e-5 {
			t.Errorf("round %d sent %.6f MB, want %g", i, got, w)
		}
	}
	if got := float64(rec.Metrics.BytesSent) / mb; math.Abs(got-1249.92) > 1e-5 {
		t.Errorf("sent %.6f MB, want 1249.92", got)
	}
	if math.Abs(rec.Metrics.TotalTimeS-12.4992) > 1e-8 || math.Abs(rec.Metrics.DowntimeS-0.0032) > 1e-8 {
		t.Errorf("total %.9f s downtime %.9f s, want 12.4992 and 0.0032", rec.Metrics.TotalTimeS, rec.Metrics.DowntimeS)
	}
	if rec.Metrics.StopReason != string(models.StopThreshold) || !rec.Metrics.Converged || rec.Metrics.LiveRounds != 5 {
		t.Errorf("stop %q converged %v live %d", rec.Metrics.StopReason, rec.Metrics.Converged, rec.Metrics.LiveRounds)
	}
}

// TestLiuGrid: under the analytic model with zero costs except Resume the DES
// reproduces the closed form within 0.1% over a grid of (M, R, D, Vthd, nmax).
func TestLiuGrid(t *testing.T) {
	const resume = 7 * time.Millisecond
	n := 0
	for _, m := range []float64{64 * mb, 1000 * mb, 8000 * mb} {
		for _, r := range []float64{12.5 * mb, 125 * mb, 1250 * mb} {
			for _, lambda := range []float64{0.03, 0.2, 0.55, 0.85, 0.97} {
				for _, vthd := range []float64{0.3 * mb, 5 * mb} {
					for _, nmax := range []int{2, 5, 30} {
						d := lambda * r
						k := math.Log(vthd/m) / math.Log(lambda)
						if math.Abs(k-math.Round(k)) < 1e-6 {
							continue // a tie at the threshold: either side is right
						}
						want := liuClosedForm(m, r, d, vthd, nmax, resume.Seconds())
						s := liuScenario(m, r, d, vthd, nmax, resume)
						name := fmt.Sprintf("M=%g R=%g D=%g Vthd=%g nmax=%d", m, r, d, vthd, nmax)
						rec, err := Run(context.Background(), s, models.PreCopy, 0)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						got := rec.Metrics
						if got.LiveRounds != want.n {
							t.Errorf("%s: %d live rounds, want n = %d", name, got.LiveRounds, want.n)
							continue
						}
						for _, c := range []struct {
							what      string
							got, want float64
						}{
							{"bytes sent", float64(got.BytesSent), want.total},
							{"downtime", got.DowntimeS, want.downtime},
							{"total time", got.TotalTimeS, want.time_s},
							{"final round", float64(rec.Rounds[len(rec.Rounds)-1].Bytes), want.vn},
						} {
							if e := relErr(c.got, c.want); e > 1e-3 {
								t.Errorf("%s: %s %g, closed form %g (%.3g%% off)", name, c.what, c.got, c.want, 100*e)
							}
						}
						wantStop := models.StopThreshold
						if want.n == nmax && math.Pow(lambda, float64(nmax))*m > vthd {
							wantStop = models.StopMaxRounds
						}
						if got.StopReason != string(wantStop) {
							t.Errorf("%s: stop %q, want %q", name, got.StopReason, wantStop)
						}
						n++
					}
				}
			}
		}
	}
	t.Logf("%d grid points", n)
	if n < 200 {
		t.Fatalf("only %d grid points checked", n)
	}
}

// TestAgreesWithModelsAnalytic: with every cost set, the DES under the analytic
// memory model agrees with models.AnalyticMigration (the lead's fluid model)
// for cold, pre-copy, MiGrror and post-copy.
func TestAgreesWithModelsAnalytic(t *testing.T) {
	base := liuScenario(1000*mb, 100*mb, 20*mb, 1*mb, 30, 0)
	base.Costs = models.Costs{Freeze: models.Duration(2 * time.Millisecond), DumpPerPage: models.Duration(time.Microsecond),
		RoundSetup: models.Duration(20 * time.Millisecond), FinalSetup: models.Duration(150 * time.Millisecond), TransferSetup: models.Duration(time.Millisecond),
		RestoreBase: models.Duration(30 * time.Millisecond), RestorePerPage: models.Duration(500), Resume: models.Duration(time.Millisecond)}
	base.Network.Latency = models.Duration(time.Millisecond)
	base.MiGrror = models.MiGrrorParams{SyncThreshold: 4 << 20, MinInterval: models.Duration(50 * time.Millisecond), Trigger: models.Duration(30 * time.Second)}
	// split: the frozen dump's own per-page cost, a slower live bandwidth and
	// per-round byte overheads (zero in the first pass: the old model).
	for _, split := range []bool{false, true} {
		for _, d := range []float64{5 * mb, 20 * mb, 60 * mb} {
			for _, wws := range []models.ByteSize{0, 100e6} {
				for _, all := range []bool{false, true} {
					s := base
					s.Workload.DirtyRate, s.Workload.WWS, s.Costs.RestoreAllPages = models.Rate(d), wws, all
					if split && wws > 0 {
						// and the container's runtime, dirtying beside the WWS
						s.Workload.Runtime = models.RuntimeDirtying{Memory: 8 * mb, Hot: 1 * mb, Rate: 2 * mb}
					}
					if split {
						s.Costs.FinalDumpPerPage = models.Duration(5 * time.Microsecond)
						s.Costs.RoundOverhead, s.Costs.FinalOverhead = 5<<10, 100<<10
						s.Costs.RestorePerFinalPage = models.Duration(3 * time.Microsecond)
						s.Network.LiveBandwidth = 45 * mb
					}
					for _, tech := range models.TechniqueNames {
						name := fmt.Sprintf("%s D=%g wws=%d all=%v split=%v runtime=%v", tech, d, wws, all, split, !s.Workload.Runtime.Zero())
						rec, err := Run(context.Background(), s, tech, 0)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						ana, ok, err := AnalyticRecord(s, tech, 0)
						if !ok || err != nil {
							t.Fatalf("%s: analytic: ok %v err %v", name, ok, err)
						}
						g, w := rec.Metrics, ana.Metrics
						if g.LiveRounds != w.LiveRounds || g.StopReason != w.StopReason {
							t.Errorf("%s: %d rounds (%s), analytic %d (%s)", name, g.LiveRounds, g.StopReason, w.LiveRounds, w.StopReason)
							continue
						}
						for _, c := range []struct {
							what      string
							got, want float64
						}{{"bytes", float64(g.BytesSent), float64(w.BytesSent)}, {"downtime", g.DowntimeS, w.DowntimeS}, {"total", g.TotalTimeS, w.TotalTimeS}} {
							if relErr(c.got, c.want) > 1e-3 {
								t.Errorf("%s: %s %g, analytic %g", name, c.what, c.got, c.want)
							}
						}
					}
				}
			}
		}
	}
}
