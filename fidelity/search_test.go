package fidelity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// searchCalibration is the synthetic testbed's calibration with the
// default plan's scenarios (8, 12 and 24 MiB) and a spread of six
// deviations, every phase 10 % faster to 10 % slower.
func searchCalibration() models.Calibration {
	c := synthCalibration()
	c.Scenarios = []string{"calibration-8MiB", "calibration-12MiB", "calibration-24MiB"}
	for _, f := range []float64{0.9, 0.95, 0.98, 1.02, 1.05, 1.1} {
		c.Spread = append(c.Spread, models.Deviation{FinalDump: f, FinalTransfer: f, Restore: f, LiveRounds: f, Bytes: 1})
	}
	return c
}

// TestSearchIsDeterministic: the same seed gives the same candidates,
// scores and ranking; another seed other candidates. The ranking is by
// score, descending, ranks count from 1, and every score is the largest of
// its techniques', each the larger of its disagreement and its flips plus
// its interval's width.
func TestSearchIsDeterministic(t *testing.T) {
	ctx := context.Background()
	c := searchCalibration()
	a, err := Search(ctx, c, SearchOptions{Seed: 7, Candidates: 60})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Search(ctx, c, SearchOptions{Seed: 7, Candidates: 60})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 60 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two searches with seed 7 differ (%d and %d candidates)", len(a), len(b))
	}
	other, err := Search(ctx, c, SearchOptions{Seed: 8, Candidates: 60})
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := range other {
		if Parameters(other[i].Scenario) == Parameters(a[i].Scenario) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 share %d of 60 candidates' parameters", same)
	}
	for i, cand := range a {
		if cand.Rank != i+1 || i > 0 && cand.Score > a[i-1].Score {
			t.Fatalf("candidate %d: rank %d, score %v after %v", i, cand.Rank, cand.Score, a[i-1].Score)
		}
		top := 0.0
		for _, ts := range cand.Techniques {
			if want := math.Max(ts.Disagreement, ts.Flips+ts.Width); ts.Score != want {
				t.Errorf("%s %s: score %v, want max(%v, %v+%v)", cand.Scenario.Name, ts.Technique, ts.Score, ts.Disagreement, ts.Flips, ts.Width)
			}
			top = math.Max(top, ts.Score)
		}
		if cand.Score != top || len(cand.Techniques) != 3 {
			t.Errorf("%s: score %v, want its techniques' largest %v (of %d)", cand.Scenario.Name, cand.Score, top, len(cand.Techniques))
		}
	}
	if a[0].Score <= a[len(a)-1].Score {
		t.Errorf("every score is %v: nothing ranked", a[0].Score)
	}
}

// TestSearchStaysInItsSpace: every candidate validates, is affordable for
// real, is named search-<seed>-<k>, runs cold, pre-copy and MiGrror once,
// and lies inside the space: memory between the plan's smallest and
// largest sizes (8-32 MiB for a calibration that names none).
func TestSearchStaysInItsSpace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plan   []string
		lo, hi models.ByteSize
	}{
		{"default plan", []string{"calibration-8MiB", "calibration-12MiB", "calibration-24MiB"}, 8 << 20, 24 << 20},
		{"calibrate --sizes 16MiB,48MiB", []string{"calibration-16MiB", "calibration-24MiB", "calibration-48MiB", "v1"}, 16 << 20, 48 << 20},
		{"no plan names", nil, 8 << 20, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := searchCalibration()
			c.Scenarios = tc.plan
			sp := SpaceFor(c)
			if sp.Memory != [2]models.ByteSize{tc.lo, tc.hi} {
				t.Fatalf("memory range %v, want %v-%v", sp.Memory, tc.lo, tc.hi)
			}
			cands, err := Search(context.Background(), c, SearchOptions{Seed: 3, Candidates: 200})
			if err != nil {
				t.Fatal(err)
			}
			hot := 0
			for _, cand := range cands {
				s := cand.Scenario
				w, st, m := s.Workload, s.PreCopy.Stop, s.MiGrror
				inside := func(what string, x, lo, hi float64) {
					if x < lo || x > hi {
						t.Errorf("%s: %s %v outside %v-%v", s.Name, what, x, lo, hi)
					}
				}
				if err := s.Validate(); err != nil {
					t.Errorf("%s: %v", s.Name, err)
				}
				if est := models.EstimateRealTime(s, 0); est > DefaultCandidateRealTime {
					t.Errorf("%s: estimated %s for real", s.Name, est)
				}
				var k int
				if _, err := fmt.Sscanf(s.Name, "search-3-%d", &k); err != nil || k < 1 || k > 200 {
					t.Errorf("name %q", s.Name)
				}
				if strings.Join(s.Techniques, ",") != "cold,precopy,migrror" || s.Repetitions != 1 {
					t.Errorf("%s: techniques %v, %d repetitions", s.Name, s.Techniques, s.Repetitions)
				}
				inside("memory", float64(s.Memory.Size), float64(tc.lo), float64(tc.hi))
				inside("wws fraction", float64(w.WWS)/float64(s.Memory.Size), 0.1-1e-3, 1)
				inside("dirty rate", float64(w.DirtyRate), 63<<10, 4<<20)
				inside("threshold", float64(st.Threshold), 4<<10, 1<<20)
				inside("max rounds", float64(st.MaxRounds), 1, 6)
				inside("sync threshold", float64(m.SyncThreshold), 64<<10-4096, 2<<20)
				inside("trigger", m.Trigger.Duration().Seconds(), 10, 40)
				if w.HotFraction > 0 {
					hot++
					inside("hot fraction", w.HotFraction, 0.05, 0.3)
					inside("hot share", w.HotShare, 0.6, 0.95)
				}
			}
			if hot < 60 || hot > 140 {
				t.Errorf("%d of 200 candidates have a hot split, want about half", hot)
			}
		})
	}
}

// boundaryThreshold is the smallest pre-copy threshold (in pages) at which
// s stops after two live rounds under c: the threshold equal to the
// pending dirty memory after the second round, on the boundary between two
// rounds and three.
func boundaryThreshold(t *testing.T, c models.Calibration, s models.Scenario) models.ByteSize {
	t.Helper()
	rounds := func(pages int64) (int, string) {
		x := s
		x.PreCopy.Stop = models.StopRules{Threshold: models.ByteSize(pages * 4096), MaxRounds: 6}
		r, err := sim.Run(context.Background(), c.Apply(x), models.PreCopy, 0)
		if err != nil {
			t.Fatal(err)
		}
		return r.Metrics.LiveRounds, r.Metrics.StopReason
	}
	lo, hi := int64(1), s.Memory.Pages() // rounds(lo) > 2, rounds(hi) <= 2
	if n, _ := rounds(lo); n <= 2 {
		t.Fatalf("a threshold of one page stops after %d rounds", n)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if n, _ := rounds(mid); n <= 2 {
			hi = mid
		} else {
			lo = mid
		}
	}
	if n, why := rounds(hi); n != 2 || why != string(models.StopThreshold) {
		t.Fatalf("the boundary threshold stops after %d rounds (%s), want 2 (threshold)", n, why)
	}
	return models.ByteSize(hi * 4096)
}

// TestRankPutsRegimeBoundaryFirst: a pre-copy whose threshold equals its
// predicted pending memory after two rounds (a slightly slower testbed
// sends a third) ranks above the same pre-copy stopped by two max rounds,
// far from any boundary, listed first; its flips come from the
// calibration's slower deviations (three of six), the other's are none.
func TestRankPutsRegimeBoundaryFirst(t *testing.T) {
	c := searchCalibration()
	far := scenarioNamed("far", models.PreCopy)
	far.Memory.Size, far.Workload = 12<<20, models.Workload{DirtyRate: 512 << 10, WWS: 4 << 20}
	far.PreCopy.Stop = models.StopRules{Threshold: 4096, MaxRounds: 2}
	edge := far
	edge.Name = "edge"
	edge.PreCopy.Stop = models.StopRules{Threshold: boundaryThreshold(t, c, far), MaxRounds: 6}

	cands, err := Rank(context.Background(), c, []models.Scenario{far, edge})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]TechniqueScore{}
	for _, cand := range cands {
		got[cand.Scenario.Name] = cand.Techniques[0]
	}
	for _, tc := range []struct {
		name      string
		rank      int
		flips     float64
		rounds    int
		stop      models.StopReason
		reasonHas string
	}{
		{"edge", 1, 0.5, 2, models.StopThreshold, "50 % of 6 noise draws"},
		{"far", 2, 0, 2, models.StopMaxRounds, "0 % of 6 noise draws"},
	} {
		ts := got[tc.name]
		rank := 0
		for _, cand := range cands {
			if cand.Scenario.Name == tc.name {
				rank = cand.Rank
				if !strings.Contains(cand.Reason(), tc.reasonHas) && ts.Disagreement < ts.Flips+ts.Width {
					t.Errorf("%s: reason %q, want %q", tc.name, cand.Reason(), tc.reasonHas)
				}
			}
		}
		if rank != tc.rank || ts.Flips != tc.flips || ts.Draws != 6 || ts.Predicted.LiveRounds != tc.rounds || ts.Predicted.StopReason != string(tc.stop) {
			t.Errorf("%s: rank %d, flips %v of %d, %d rounds (%s); want rank %d, flips %v, %d rounds (%s)", tc.name, rank, ts.Flips, ts.Draws,
				ts.Predicted.LiveRounds, ts.Predicted.StopReason, tc.rank, tc.flips, tc.rounds, tc.stop)
		}
	}
}

// TestRankBreaksTiesInInputOrder: equal scores keep the scenarios' order.
func TestRankBreaksTiesInInputOrder(t *testing.T) {
	a, b := scenarioNamed("a", models.PreCopy), scenarioNamed("b", models.PreCopy)
	for _, in := range [][]models.Scenario{{a, b}, {b, a}} {
		cands, err := Rank(context.Background(), searchCalibration(), in)
		if err != nil {
			t.Fatal(err)
		}
		if cands[0].Score != cands[1].Score || cands[0].Scenario.Name != in[0].Name || cands[1].Rank != 2 {
			t.Errorf("input %s, %s: ranked %s (%v), %s (%v)", in[0].Name, in[1].Name,
				cands[0].Scenario.Name, cands[0].Score, cands[1].Scenario.Name, cands[1].Score)
		}
	}
}

// TestSearchDeviations: a calibration's spread is the search's noise; a
// calibration without one gets each phase 10 % faster and slower in turn.
func TestSearchDeviations(t *testing.T) {
	for _, tc := range []struct {
		name       string
		spread     int
		want       int
		fromSpread bool
	}{{"spread of six", 6, 6, true}, {"spread of two", 2, 8, false}, {"no spread", 0, 8, false}} {
		c := searchCalibration()
		c.Spread = c.Spread[:tc.spread]
		ds, from := SearchDeviations(c)
		if len(ds) != tc.want || from != tc.fromSpread {
			t.Errorf("%s: %d deviations (from the spread %v), want %d (%v)", tc.name, len(ds), from, tc.want, tc.fromSpread)
		}
	}
}

// TestSearchRefusesBadOptions: a negative count, post-copy and a space
// with no affordable scenario are errors that say why.
func TestSearchRefusesBadOptions(t *testing.T) {
	huge := SpaceFor(searchCalibration())
	huge.Memory = [2]models.ByteSize{8 << 30, 16 << 30}
	for _, tc := range []struct {
		name string
		opt  SearchOptions
		want string
	}{
		{"negative", SearchOptions{Candidates: -1}, "between 1 and 100000"},
		{"post-copy", SearchOptions{Candidates: 5, Techniques: []string{models.PostCopy}}, "Podman"},
		{"too large", SearchOptions{Candidates: 5, Space: &huge, MaxRealTime: time.Hour}, "real time"},
	} {
		if _, err := Search(context.Background(), searchCalibration(), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestWriteCandidatesRoundTrip: the top candidates' scenario files parse
// back (models.ParseScenario, as compare reads them) to the same scenarios,
// and candidates.json holds every candidate with its score parts.
func TestWriteCandidatesRoundTrip(t *testing.T) {
	cands, err := Search(context.Background(), searchCalibration(), SearchOptions{Seed: 1, Candidates: 20})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := WriteCandidates(dir, cands, 3)
	if err != nil || len(paths) != 3 {
		t.Fatalf("%d files: %v", len(paths), err)
	}
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := models.ParseScenario(bytes.NewReader(data))
		if err != nil || !reflect.DeepEqual(s, cands[i].Scenario) || filepath.Base(p) != s.Name+".yaml" {
			t.Errorf("%s: %v\n%+v\nwant %+v", p, err, s, cands[i].Scenario)
		}
	}
	var back []Candidate
	data, _ := os.ReadFile(filepath.Join(dir, CandidatesFile))
	if err := json.Unmarshal(data, &back); err != nil || len(back) != 20 || back[0].Score != cands[0].Score || back[19].Rank != 20 {
		t.Fatalf("%s: %v (%d candidates)", CandidatesFile, err, len(back))
	}
}
