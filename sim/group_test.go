package sim

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestGroupDowntime: two 100 MiB-ish containers (25000 pages, 1 s alone on the
// link each), 100 ms to resume. Group downtime is first freeze to last resume.
func TestGroupDowntime(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		tech       string
		mode       models.GroupMode
		group      time.Duration // first freeze to last resume
		end        time.Duration
		maxMember  time.Duration
		bytesTotal int64
	}{
		// Sequential cold: c0 [0, 1.1 s], c1 [1.1 s, 2.2 s].
		{models.Cold, models.GroupSequential, 2200 * ms, 2200 * ms, 1100 * ms, 2 * 25000 * page},
		// Parallel cold: both frozen at 0, sharing the link until 2 s.
		{models.Cold, models.GroupParallel, 2100 * ms, 2100 * ms, 2100 * ms, 2 * 25000 * page},
		// Sequential pre-copy, nothing dirtied: c0 copies [0, 1 s], freezes at 1 s,
		// resumes at 1.1 s; c1 copies [1.1, 2.1 s], resumes at 2.2 s.
		{models.PreCopy, models.GroupSequential, 1200 * ms, 2200 * ms, 100 * ms, 2 * 25000 * page},
		// Parallel pre-copy: both copy in [0, 2 s] at half the link, freeze at 2 s.
		{models.PreCopy, models.GroupParallel, 100 * ms, 2100 * ms, 100 * ms, 2 * 25000 * page},
	}
	for _, c := range cases {
		s := scenario(25000*page, 0, 0, 25000*page)
		s.Costs.Resume = models.Duration(100 * ms)
		s.Group = models.Group{Containers: 2, Mode: c.mode}
		rec := mustRun(t, s, c.tech)
		m := rec.Metrics
		name := c.tech + "/" + string(c.mode)
		if got := models.Seconds(m.GroupDowntimeS); got != c.group {
			t.Errorf("%s: group downtime %v, want %v", name, got, c.group)
		}
		if got := models.Seconds(m.TotalTimeS); got != c.end {
			t.Errorf("%s: end %v, want %v", name, got, c.end)
		}
		if got := models.Seconds(m.DowntimeS); got != c.maxMember {
			t.Errorf("%s: longest member downtime %v, want %v", name, got, c.maxMember)
		}
		if m.BytesSent != c.bytesTotal || m.Extra["members"] != 2 {
			t.Errorf("%s: %d bytes, extra %v", name, m.BytesSent, m.Extra)
		}
	}
}

// TestDeterminism: the same scenario and repetition give identical records, in
// the pages and the exhaustive model; techniques of one repetition share its
// seed; repetitions differ.
func TestDeterminism(t *testing.T) {
	f, err := os.Open("../examples/edge-1g.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.ParseScenario(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.Memory.Size = 64 << 20 // keep the exhaustive model quick
	s.Workload.WWS = 16 << 20
	for _, sm := range []Simulator{{}, {Exhaustive: true}} {
		seeds := map[uint64]bool{}
		for rep := range 2 {
			for _, tech := range s.Techniques {
				a, err1 := sm.Run(context.Background(), s, tech, rep)
				b, err2 := sm.Run(context.Background(), s, tech, rep)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				if string(ja) != string(jb) {
					t.Errorf("exhaustive=%v %s rep %d: records differ", sm.Exhaustive, tech, rep)
				}
				if a.Seed != models.DeriveSeed(s, rep) {
					t.Errorf("%s rep %d: seed %d, want the derived seed", tech, rep, a.Seed)
				}
				seeds[a.Seed] = true
			}
		}
		if len(seeds) != 2 {
			t.Errorf("exhaustive=%v: %d distinct seeds over 2 repetitions x %d techniques, want 2", sm.Exhaustive, len(seeds), len(s.Techniques))
		}
	}
	// The exhaustive model draws from the seed: repetitions see different pages.
	a, _ := Simulator{Exhaustive: true}.Run(context.Background(), s, models.PreCopy, 0)
	b, _ := Simulator{Exhaustive: true}.Run(context.Background(), s, models.PreCopy, 1)
	if reflect.DeepEqual(a.Rounds, b.Rounds) {
		t.Error("exhaustive: repetitions 0 and 1 dirtied exactly the same pages")
	}
}
