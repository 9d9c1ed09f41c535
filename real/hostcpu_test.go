package real

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/cpustat"
)

// TestMigrationRecordsTheHostsCPU: the source's and the target's agents
// report their CPU times before and after the migration, and the record
// carries each host's busy and stolen shares over it (the run guard's load
// in the guests); a host whose agent does not report them is left out.
func TestMigrationRecordsTheHostsCPU(t *testing.T) {
	for _, targetReports := range []bool{true, false} {
		// Source: 1000 ticks, 300 idle, 100 stolen: 60 % busy, 10 % stolen;
		// its own groups used 450 ticks: 15 % other work.
		src := &fakeAgent{dirty: []uint64{5}, pages: 100, cpu: []cpustat.Times{
			{Total: 5000, Idle: 2000, Steal: 50, Own: 700}, {Total: 6000, Idle: 2300, Steal: 150, Own: 1150}}}
		dst := &fakeAgent{}
		if targetReports {
			// Target: 400 ticks, 300 idle, none stolen: 25 % busy.
			dst.cpu = []cpustat.Times{{Total: 100, Idle: 80}, {Total: 500, Idle: 380}}
		}
		h1, h2 := fakeHosts(t, src, dst)
		e, err := NewEnv(context.Background(), h1, h2, testContainer(), EnvOptions{Memory: 64 << 20, PollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := &runner{opt: Options{StepTimeout: time.Minute}, src: h1, dst: h2, envs: []*Env{e},
			out: &Outcome{Members: []Member{{Name: "c", ID: testID, SourceAddr: "10.10.0.1:9000", TargetAddr: "10.10.0.2:9000"}}}}
		if err := r.migrate(context.Background(), models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}, nil); err != nil {
			t.Fatal(err)
		}
		r.record()
		x := r.out.Record.Metrics.Extra
		for k, want := range map[string]float64{models.ExtraSourceBusy: 0.6, models.ExtraSourceSteal: 0.1, models.ExtraSourceOther: 0.15} {
			if got, ok := x[k]; !ok || math.Abs(got-want) > 1e-12 {
				t.Errorf("%s = %v (recorded %v), want %v", k, got, ok, want)
			}
		}
		busy, okB := x[models.ExtraTargetBusy]
		steal, okS := x[models.ExtraTargetSteal]
		switch {
		case targetReports && (!okB || !okS || math.Abs(busy-0.25) > 1e-12 || steal != 0):
			t.Errorf("target busy %v (%v), steal %v (%v): want 0.25 and 0", busy, okB, steal, okS)
		case !targetReports && (okB || okS):
			t.Errorf("a target that reports no CPU times: busy %v, steal %v recorded", busy, steal)
		}
		if o, ok := x[models.ExtraTargetOther]; ok {
			t.Errorf("a target without its own groups' time: other %v recorded", o)
		}
	}
}
