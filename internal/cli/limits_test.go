package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
	"github.com/urfave/cli/v2"
)

// hugeSweep is a grid of 1,100 x 1,000 = 1.1 million tiny scenarios: over
// models.MaxSweepScenarios whatever max_scenarios says.
const hugeSweep = `name: huge
base: {name: h, techniques: [cold], memory: {size: 1MiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}}
grid:
  workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 1100}
  network.bandwidth: {from: 1MB/s, to: 2MB/s, steps: 1000}
`

// costlySweep is two scenarios whose MiGrror syncs every 4 KiB for a day at
// 1 TB/s of dirtying: each migration would hit the simulator's event limit.
const costlySweep = `name: costly
base:
  name: c
  techniques: [migrror]
  repetitions: 150
  memory: {size: 1GiB}
  workload: {dirty_rate: 1TB/s}
  network: {bandwidth: 1e15}
  migrror: {sync_threshold: 4KiB, min_interval: 0s, trigger: 24h}
grid:
  network.latency: [0s, 1ms]
`

// runErr is run that also returns the error's text (what main prints).
func runErr(t *testing.T, args ...string) (stderr string, code int) {
	t.Helper()
	var errb strings.Builder
	app := App()
	app.Writer, app.ErrWriter = &errb, &errb
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.RunContext(context.Background(), append([]string{"migrlab"}, args...))
	if err != nil {
		errb.WriteString("error: " + err.Error() + "\n")
	}
	return errb.String(), ExitCode(err)
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSweepRefusesAbsurdSweeps(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"scenario count", hugeSweep, "1100000 scenarios"},
		{"estimated events", costlySweep, "simulator events"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "sweep.yaml", c.text)
			stderr, code := runErr(t, "sweep", "-q", "-o", "", p)
			if code != ExitUsage || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "--force to run anyway") {
				t.Fatalf("exit %d, want %d with %q and --force:\n%s", code, ExitUsage, c.want, stderr)
			}
		})
	}
}

func TestSweepForceRunsLargeGrid(t *testing.T) {
	// 11 scenarios over a max_scenarios of 10: refused, then run with --force.
	p := writeFile(t, "sweep.yaml", `name: small
max_scenarios: 10
base: {name: b, techniques: [cold], memory: {size: 1MiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}}
grid:
  workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 11}
`)
	if stderr, code := runErr(t, "sweep", "-q", "-o", "", p); code != ExitUsage || !strings.Contains(stderr, "max_scenarios (10)") {
		t.Fatalf("without --force: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "r.jsonl")
	if stderr, code := runErr(t, "sweep", "-q", "--force", "-o", out, p); code != ExitOK {
		t.Fatalf("with --force: exit %d\n%s", code, stderr)
	}
	f, _ := os.Open(out)
	defer f.Close()
	if recs, err := models.ReadRecords(f); err != nil || len(recs) != 11 {
		t.Fatalf("%d records, %v; want 11", len(recs), err)
	}
}

func TestSweepForcePassesCostCheck(t *testing.T) {
	// The estimate is refused; --force lets it through (the run itself is
	// cancelled at once: it is the check that is under test).
	p := writeFile(t, "sweep.yaml", costlySweep)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	app := App()
	var errb strings.Builder
	app.Writer, app.ErrWriter = &errb, &errb
	err := app.RunContext(ctx, []string{"migrlab", "sweep", "-q", "--force", "-o", "", p})
	if ExitCode(err) == ExitUsage {
		t.Fatalf("--force still refused: %v", err)
	}
}

func TestRealCommandsRefuseLongRuns(t *testing.T) {
	dir := t.TempDir()
	calib := filepath.Join(dir, "calibration.json")
	f, _ := os.Create(calib)
	models.WriteCalibration(f, testCalibration())
	f.Close()
	// 64 MiB, three techniques, 100 repetitions: about 300 x 2 minutes.
	long := writeFile(t, "long.yaml", `name: long
techniques: [cold, precopy, migrror]
memory: {size: 64MiB}
workload: {dirty_rate: 256KiB/s, wws: 4MiB}
network: {bandwidth: 1Gbit/s}
repetitions: 100
`)
	state := filepath.Join(dir, "state")
	for _, args := range [][]string{
		{"run", "--testbed", "none", "--state-dir", state, "-s", long},
		{"compare", "--testbed", "none", "--state-dir", state, "--calibration", calib, "-o", filepath.Join(dir, "cmp"), long},
	} {
		stderr, code := runErr(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, "300 real migrations") || !strings.Contains(stderr, "--force to run anyway") {
			t.Errorf("%s: exit %d, want %d and the estimate:\n%s", args[0], code, ExitUsage, stderr)
		}
		// --force passes the check; the run then fails on the missing testbed.
		stderr, code = runErr(t, append([]string{args[0], "--force"}, args[1:]...)...)
		if code == ExitUsage || !strings.Contains(stderr, "estimate: 300 real migrations") {
			t.Errorf("%s --force: exit %d, want the estimate and no usage error:\n%s", args[0], code, stderr)
		}
	}
}

func TestRealExamplesFitTheLimit(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	held, _ := filepath.Glob("../../examples/*/*.yaml")
	for _, p := range append(files, held...) {
		base := filepath.Base(p)
		if !strings.HasPrefix(base, "compare-") && !strings.HasPrefix(base, "real-") && !strings.HasPrefix(base, "holdout-") {
			continue
		}
		ss, err := loadScenarioFiles([]string{p}, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if est := models.EstimateRealTime(s, 0); est > models.MaxRealTime || est <= 0 {
				t.Errorf("%s: estimated %s", base, est)
			}
		}
	}
}

// TestEventEstimateErrsHigh runs every example scenario in the simulator and
// checks that the event estimate is never below the events processed, nor
// absurdly above them.
func TestEventEstimateErrsHigh(t *testing.T) {
	if models.MaxRunEvents != sim.DefaultMaxEvents {
		t.Fatalf("models.MaxRunEvents %d != sim.DefaultMaxEvents %d", models.MaxRunEvents, sim.DefaultMaxEvents)
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	n, sumEst, sumSim := 0, 0.0, 0.0
	for _, p := range files {
		data, _ := os.ReadFile(p)
		ss, err := parseScenarioOrSweep(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for i, s := range ss {
			if i%97 != 0 { // a sample of the large sweeps
				continue
			}
			for _, tech := range s.Techniques {
				tn, _ := models.NewTechnique(tech, s)
				out, err := sim.Simulator{}.Simulate(context.Background(), s, tn, 0)
				if err != nil {
					continue
				}
				est := models.EstimateEvents(s, tech)
				if est < float64(out.Events) {
					t.Errorf("%s %s: estimated %.0f events, simulated %d", s.Name, tech, est, out.Events)
				}
				sumEst += est
				sumSim += float64(out.Events)
				n++
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d simulations checked", n)
	}
	// Per migration the bound can be loose (MiGrror with a dirty rate above
	// the bandwidth syncs far less often than its threshold allows); over
	// the examples it stays within a small factor.
	if sumEst > 4*sumSim {
		t.Errorf("estimated %.0f events in all, simulated %.0f: more than 4 times over", sumEst, sumSim)
	}
	t.Logf("%d simulations: estimated %.0f events, simulated %.0f", n, sumEst, sumSim)
}
