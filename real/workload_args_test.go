package real

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/workload"
)

// TestWorkloadArgsPinned pins the arguments the workload containers get, as
// they were before WorkloadArgs went through workload.Config.Args, and checks
// that the workload parses them back to the scenario's memory and workload.
func TestWorkloadArgsPinned(t *testing.T) {
	const seed, port = 0xdeadbeefcafe, 7001
	tests := []struct {
		name, yaml, want string
	}{
		{"wws, hot split and trace",
			"memory: {size: 64MiB}\nworkload: {dirty_rate: 1MiB/s, wws: 8MiB, hot_fraction: 0.25, hot_share: 0.9, rate_trace: {points: [{at: 0s, factor: 1}, {at: 30s, factor: 2}]}}",
			"--mem 67108864 --rate 1048576 --seed 244837814094590 --port 7001 --wws 8388608 --hot-fraction 0.25 --hot-share 0.9 --rate-trace 0s=1,30s=2"},
		{"fractional rate",
			"memory: {size: 1GiB}\nworkload: {dirty_rate: 17555555.56}",
			"--mem 1073741824 --rate 17555555.56 --seed 244837814094590 --port 7001"},
		{"fractional trace times, until",
			"memory: {size: 256MiB, page_size: 4KiB}\nworkload: {dirty_rate: 40MB/s, hot_fraction: 0.05, hot_share: 0.8, rate_trace: {points: [{at: 0s, factor: 1}, {at: 12.5s, factor: 0.25}, {at: 1m30.125s, factor: 3.5}], until: 5m}}",
			"--mem 268435456 --rate 40000000 --seed 244837814094590 --port 7001 --hot-fraction 0.05 --hot-share 0.8 --rate-trace 0s=1,12.5s=0.25,90.125s=3.5"},
		{"rate below one byte per second, one-page wws",
			"memory: {size: 100000000}\nworkload: {dirty_rate: 0.5, wws: 4096}",
			"--mem 100000000 --rate 0.5 --seed 244837814094590 --port 7001 --wws 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := models.ParseScenario(strings.NewReader("name: x\n" + tt.yaml + "\nnetwork: {bandwidth: 1Gbit/s}\n"))
			if err != nil {
				t.Fatal(err)
			}
			args := WorkloadArgs(s, seed, port)
			if got := strings.Join(args, " "); got != tt.want {
				t.Errorf("WorkloadArgs =\n%s\nwant\n%s", got, tt.want)
			}
			cfg, err := workload.ParseArgs(args, nil, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			w := s.Workload
			w.RateTrace.Until = 0 // the workload does not read it
			if cfg.Memory.Size != s.Memory.Size || !reflect.DeepEqual(cfg.Workload, w) || cfg.Seed != seed || cfg.Listen != "0.0.0.0:7001" {
				t.Errorf("ParseArgs(WorkloadArgs) = %+v, want memory %v, workload %+v, seed %d", cfg, s.Memory.Size, w, uint64(seed))
			}
		})
	}
}
