package sim

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenTraces pins the simulated timestamps of small runs. After an
// intended change of the model: go test ./sim -run Golden -update, and review
// the diff.
func TestGoldenTraces(t *testing.T) {
	small := func() models.Scenario {
		s := scenario(16<<20, 4<<20, 20e6, 100e6)
		s.Workload.HotFraction, s.Workload.HotShare = 0.1, 0.8
		s.Network.Latency = models.Duration(time.Millisecond)
		s.Costs = models.Costs{Freeze: models.Duration(2 * time.Millisecond), RoundSetup: models.Duration(5 * time.Millisecond),
			DumpPerPage: models.Duration(time.Microsecond), TransferSetup: models.Duration(time.Millisecond),
			RestoreBase: models.Duration(10 * time.Millisecond), RestorePerPage: models.Duration(500), Resume: models.Duration(time.Millisecond)}
		s.PreCopy.Stop = models.StopRules{Threshold: 64 * page, MaxRounds: 8}
		s.MiGrror = models.MiGrrorParams{SyncThreshold: 256 * page, MinInterval: models.Duration(20 * time.Millisecond), Trigger: models.Duration(time.Second)}
		return s
	}
	group := small()
	group.Group = models.Group{Containers: 2, Mode: models.GroupParallel}
	cases := []struct {
		file string
		s    models.Scenario
		tech string
	}{
		{"precopy_small.golden", small(), models.PreCopy},
		{"migrror_parallel_group.golden", group, models.MiGrror},
	}
	for _, c := range cases {
		var lines []string
		sm := Simulator{Trace: func(l string) { lines = append(lines, l) }}
		if _, err := sm.Run(context.Background(), c.s, c.tech, 0); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		got := strings.Join(lines, "\n") + "\n"
		path := filepath.Join("testdata", c.file)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%s: line %d differs:\n got %s\nwant %s", c.file, i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("%s: %d lines, want %d", c.file, len(gl), len(wl))
		}
	}
}
