package sim

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// postcopyScenario: 1000 pages pushed in 1 s, 1000 page writes per second over
// the whole memory, a 10-page handover.
func postcopyScenario(model string, latency time.Duration) models.Scenario {
	s := models.Scenario{Name: "pc", Model: model, Techniques: []string{models.PostCopy}}
	s.Memory = models.Memory{Size: 1000 * page, PageSize: page}
	s.Workload.DirtyRate = 1000 * page
	s.Network = models.Network{Bandwidth: 1000 * page, Latency: models.Duration(latency)}
	s.Costs = models.Costs{Freeze: models.Duration(2 * time.Millisecond), RestoreBase: models.Duration(5 * time.Millisecond),
		RestorePerPage: models.Duration(100 * time.Microsecond), RestoreAllPages: true, Resume: models.Duration(time.Millisecond)}
	s.PostCopy.Handover = 10 * page
	return s.WithDefaults()
}

// faultOracle integrates the expected faults numerically (midpoint rule): the
// push starts at the resume and pages arrive latency later, linearly over
// push seconds; n WWS pages (0: no dedup, the analytic model) written w per second.
func faultOracle(n, w, latency, push float64) float64 {
	const steps = 200000
	end := latency + push
	h := end / steps
	sum := 0.0
	for i := range steps {
		tau := (float64(i) + 0.5) * h
		arrived := math.Min(math.Max((tau-latency)/push, 0), 1)
		survive := 1.0
		if n > 0 {
			survive = math.Pow(1-1/n, w*tau)
		}
		sum += w * (1 - arrived) * survive * h
	}
	return sum
}

func TestPostCopy(t *testing.T) {
	cases := []struct {
		name    string
		model   string
		latency time.Duration
		faults  float64 // expected, from the oracle or by hand
	}{
		// No dedup, no latency: w * push/2 = 1000 * 0.5 s.
		{"analytic", models.ModelAnalytic, 0, 500},
		{"analytic with latency", models.ModelAnalytic, 5 * time.Millisecond, 505},
		{"pages", models.ModelPages, 0, faultOracle(1000, 1000, 0, 1)},
		{"pages with latency", models.ModelPages, 5 * time.Millisecond, faultOracle(1000, 1000, 0.005, 1)},
	}
	for _, c := range cases {
		s := postcopyScenario(c.model, c.latency)
		tech, _ := models.NewTechnique(models.PostCopy, s)
		out, err := Simulator{}.Simulate(context.Background(), s, tech, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		r := out.Group.Members[0]
		lat := c.latency
		// Downtime = freeze + handover transfer (10 pages: 10 ms, plus latency)
		// + restore (base + 10 handover pages, not all memory) + resume.
		wantDown := 2*time.Millisecond + 10*time.Millisecond + lat + 5*time.Millisecond + time.Millisecond + time.Millisecond
		if r.Rounds[0].DumpTime != 2*time.Millisecond { // no dump costs: the freeze only
			t.Errorf("%s: handover dump %v", c.name, r.Rounds[0].DumpTime)
		}
		if r.Downtime() != wantDown || r.Resume.Pages != 10 {
			t.Errorf("%s: downtime %v (restored %d pages), want %v (10 pages)", c.name, r.Downtime(), r.Resume.Pages, wantDown)
		}
		pc := r.PostCopy
		if pc == nil {
			t.Fatalf("%s: no post-copy stats", c.name)
		}
		if want := time.Second + lat; pc.Degraded != want || pc.End != r.Resume.End+want {
			t.Errorf("%s: degraded %v until %v, want %v", c.name, pc.Degraded, pc.End, want)
		}
		if pc.Pages != 1000 || pc.Bytes != 1000*page {
			t.Errorf("%s: pushed %d pages %d bytes", c.name, pc.Pages, pc.Bytes)
		}
		if math.Abs(float64(pc.Faults)-c.faults) > 1 {
			t.Errorf("%s: %d faults, want %.2f", c.name, pc.Faults, c.faults)
		}
		rtt := 2*lat.Seconds() + 1e-3 // a page takes 1 ms on the link
		if got := pc.StallTime.Seconds(); math.Abs(got-c.faults*rtt) > 2e-3*rtt*c.faults {
			t.Errorf("%s: stall %v, want %.6fs", c.name, pc.StallTime, c.faults*rtt)
		}
		m := RecordOf(s, models.PostCopy, 0, out).Metrics
		if m.Extra["postcopy_faults"] != float64(pc.Faults) || m.DegradedS != pc.Degraded.Seconds() {
			t.Errorf("%s: record %+v", c.name, m)
		}
	}
	// Sanity of the oracle against the closed form of the no-latency case:
	// ∫_0^1 w(1-u)q^{wu} du with q = 1-1/n.
	a := 1000 * math.Log1p(-1.0/1000)
	closed := 1000 * ((math.Expm1(a))/a - (a*math.Exp(a)-math.Expm1(a))/(a*a))
	if math.Abs(closed-faultOracle(1000, 1000, 0, 1)) > 1e-3 {
		t.Fatalf("oracle %.4f, closed form %.4f", faultOracle(1000, 1000, 0, 1), closed)
	}
}

// TestPostCopySharedPush: two containers in parallel push over one link, each
// at half the bandwidth (the general path of the link, with progress logging):
// the push takes 2 s and, without dedup, w * 2 s / 2 = 1000 writes fault.
func TestPostCopySharedPush(t *testing.T) {
	s := postcopyScenario(models.ModelAnalytic, 0)
	s.Group = models.Group{Containers: 2, Mode: models.GroupParallel}
	tech, _ := models.NewTechnique(models.PostCopy, s)
	out, err := Simulator{}.Simulate(context.Background(), s, tech, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out.Group.Members {
		pc := r.PostCopy
		if pc.Degraded != 2*time.Second || pc.Faults != 1000 {
			t.Errorf("member %d: degraded %v, %d faults; want 2s and 1000", i, pc.Degraded, pc.Faults)
		}
	}
	// The handovers shared the link too: 2 x 10 pages at 1000 pages/s.
	if d := out.Group.Downtime(); d != 2*time.Millisecond+20*time.Millisecond+7*time.Millisecond {
		t.Errorf("group downtime %v, want 29ms", d)
	}
}
