//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/internal/cli"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/reports/bundle"
	ucli "github.com/urfave/cli/v2"
)

// migrlab runs the migrlab CLI in-process against the shared testbed's state.
func migrlab(t *testing.T, ctx context.Context, args ...string) (stdout string) {
	t.Helper()
	var out bytes.Buffer
	app := cli.App()
	app.Writer, app.ErrWriter = &out, logWriter{t}
	app.ExitErrHandler = func(*ucli.Context, error) {}
	app.Metadata = map[string]any{"command": append([]string{"migrlab"}, args...)}
	t.Logf("migrlab %s", strings.Join(args, " "))
	if err := app.RunContext(ctx, append([]string{"migrlab"}, args...)); err != nil {
		t.Fatalf("migrlab %s: exit %d: %v\n%s", args[0], cli.ExitCode(err), err, out.String())
	}
	return out.String()
}

// TestCalibrateAndCompare calibrates the shared testbed with the smallest
// plan (pre-copies of an 8 MiB and a 12 MiB container, cold migrations of the 8 MiB and a 16 MiB one) and compares one small
// validation scenario (examples/compare-small.yaml) migrated cold: the
// calibration must hold every fit, and the report directory every file,
// with the real record paired with its sim and analytic predictions. Then
// Redis is compared under the same calibration, with its own costs probed
// (compareApp).
func TestCalibrateAndCompare(t *testing.T) {
	requireAgents(t)
	ctx, cancel := context.WithTimeout(testCtx, 30*time.Minute)
	defer cancel()
	dir := t.TempDir()
	calib := filepath.Join(dir, "calibration.json")
	start := time.Now()
	migrlab(t, ctx, "calibrate", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir,
		"--sizes", "8MiB,16MiB", "--warmup", "2s", "--step-timeout", "8m", "-o", calib,
		"--records", filepath.Join(dir, "calibration-records.jsonl"))
	t.Logf("calibration took %s", time.Since(start).Round(time.Second))
	f, err := os.Open(calib)
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.ReadCalibration(f)
	f.Close()
	if err != nil {
		t.Fatalf("calibration file: %v", err)
	}
	if c.Testbed != testbedName || len(c.Scenarios) != 3 || len(c.Spread) != 4 || len(c.Hosts) != 2 || c.BaseMemory <= 0 || c.Network.Latency <= 0 {
		t.Errorf("calibration: testbed %q, scenarios %v, spread %d, hosts %d, base %s, latency %s", c.Testbed, c.Scenarios, len(c.Spread), len(c.Hosts), c.BaseMemory, c.Network.Latency)
	}
	if c.Costs.FinalSetup+c.Costs.RoundSetup <= 0 || c.Costs.RestoreBase <= 0 || !c.Costs.RestoreAllPages ||
		c.Costs.ChainedFinalSetup <= 0 || c.Costs.ChainedRestoreBase <= 0 {
		t.Errorf("calibration costs: %+v", c.Costs)
	}
	fits := map[string]models.Fit{}
	for _, fit := range c.Fits {
		fits[fit.Name] = fit
		if fit.N < 2 {
			t.Errorf("fit %s from %d samples", fit.Name, fit.N)
		}
	}
	// The four check migrations (never fitted) measured the model's error
	// on scenarios it was not fitted to: every technique has one, and on
	// this testbed the simulator is not off by half.
	for _, tech := range []string{models.Cold, models.PreCopy, models.MiGrror} {
		e, ok := c.ModelErrors[tech]
		if !ok || e.DowntimeS > 0.5 || e.TotalTimeS > 0.5 || e.Bytes > 0.5 {
			t.Errorf("model error of %s: %+v (present %v); want one from the check migrations, below 0.5", tech, e, ok)
		}
	}
	// The restore splits into CRIU's part and podman's import of the final
	// archive (CRIU's restore statistics are in every real record); the cold
	// dumps at two sizes carry the final dump's and the import's lines, the
	// chained final round (pre-copy) gets fixed costs of its own.
	for _, name := range []string{"link", "transfer", "final dump (cold)", "live round", "restore (CRIU)", "restore (import, cold)", "runtime dirtying"} {
		if _, ok := fits[name]; !ok {
			t.Errorf("no %q fit among %v", name, c.Fits)
		}
	}
	// The workload process's own runtime (Go, the probe server) dirties pages
	// beside its buffer in every round: 70-80 hot ones on the TCG testbed.
	if c.RuntimeHot <= 0 && c.RuntimeDirtyRate <= 0 || c.RuntimeHot > c.BaseMemory {
		t.Errorf("runtime dirtying: %s hot, %s, of base memory %s", c.RuntimeHot, c.RuntimeDirtyRate, c.BaseMemory)
	}
	// The pre-copies measured their dirty memory after every live round: the
	// agent's scan takes milliseconds at least, and the runner pauses 100 ms
	// between two measurements of a waiting mirror.
	if c.Costs.DirtyScan.Duration() < time.Millisecond || c.Costs.DirtyScan.Duration() > 30*time.Second ||
		c.Costs.DirtyPollInterval.Duration() != real.DefaultPollInterval {
		t.Errorf("dirty scan %s, poll interval %s: want a measured scan and %s", c.Costs.DirtyScan, c.Costs.DirtyPollInterval, real.DefaultPollInterval)
	}
	// runc and CRIU start and seize the tree before CRIU freezes it and takes
	// the round's dirty set: 0.35-0.65 s into a round under TCG (a live
	// round takes 0.5-1.3 s to dump), never at once.
	if c.Costs.Snapshot.Duration() < 20*time.Millisecond || c.Costs.Snapshot.Duration() > 3*time.Second {
		t.Errorf("snapshot %s: want between 20ms and 3s", c.Costs.Snapshot)
	}
	// One warm-up migration ran first: in the records, never a calibration
	// scenario; the four check migrations last, with their role.
	crecs := readRecords(t, filepath.Join(dir, "calibration-records.jsonl"))
	switch {
	case len(crecs) != 9:
		t.Errorf("calibration records: %d, want the warm-up, four calibration and four check migrations", len(crecs))
	case crecs[5].Role != models.RoleCheck || crecs[6].Role != models.RoleCheck || crecs[6].Technique != models.Cold ||
		crecs[8].Role != models.RoleCheck || crecs[8].Technique != models.MiGrror || slices.Contains(c.Scenarios, crecs[5].Scenario):
		t.Errorf("records 6-9: %s %s (role %q), %s %s (role %q) ... %s %s (role %q): want the check migrations (two cold, MiGrror last), never calibration scenarios",
			crecs[5].Scenario, crecs[5].Technique, crecs[5].Role, crecs[6].Scenario, crecs[6].Technique, crecs[6].Role,
			crecs[8].Scenario, crecs[8].Technique, crecs[8].Role)
	case crecs[0].Role != "warmup" || crecs[0].Scenario != "warmup-8MiB" || slices.Contains(c.Scenarios, crecs[0].Scenario):
		t.Errorf("first calibration record %s (role %q), calibration scenarios %v: want the warm-up, not fitted",
			crecs[0].Scenario, crecs[0].Role, c.Scenarios)
	}
	// Both hosts timed their pace right before every migration and right
	// after every successful one (under TCG tens to hundreds of
	// milliseconds).
	for _, r := range crecs {
		x := r.Metrics.Extra
		for _, k := range []string{models.ExtraSourcePace, models.ExtraTargetPace, models.ExtraSourcePaceAfter, models.ExtraTargetPaceAfter} {
			if v := x[k]; r.Error == "" && (v <= 0 || v > 10) {
				t.Errorf("%s %s rep %d: %s %g s, want a pace measured (0-10 s)", r.Scenario, r.Technique, r.Repetition, k, v)
			}
		}
	}
	t.Logf("calibration: %+v", c)

	report := filepath.Join(dir, "report")
	start = time.Now()
	out := migrlab(t, ctx, "compare", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir,
		"--calibration", calib, "-o", report, "-t", "cold", "--warmup", "2s", "--step-timeout", "8m",
		"../examples/compare-small.yaml")
	t.Logf("comparison took %s:\n%s", time.Since(start).Round(time.Second), out)
	for _, name := range []string{bundle.RecordsFile, bundle.CalibrationFile, bundle.ReportFile, bundle.CommandFile, bundle.VersionsFile} {
		if st, err := os.Stat(filepath.Join(report, name)); err != nil || st.Size() == 0 {
			t.Errorf("report directory: %s: %v", name, err)
		}
	}
	if plots, _ := filepath.Glob(filepath.Join(report, bundle.PlotsDir, "*")); len(plots) == 0 {
		t.Errorf("report directory: no plots")
	}
	recs := readRecords(t, filepath.Join(report, bundle.RecordsFile))
	ct, summary := reports.Compare(recs)
	if len(ct.Pairs) != 2 || len(ct.Failed) != 0 {
		t.Fatalf("pairs %d (want sim and analytic with the real record), failed %d, unpaired %d", len(ct.Pairs), len(ct.Failed), len(ct.Unpaired))
	}
	for _, p := range ct.Pairs {
		if p.Measured.Backend != models.BackendReal || p.Measured.Scenario != "compare-small" || p.Measured.Technique != models.Cold ||
			p.Role() != models.RoleValidation || p.Predicted.Params.Memory.Size <= p.Measured.Params.Memory.Size {
			t.Errorf("pair: %s %s %s %s role %q; predicted memory %s (calibrated), measured %s", p.Predicted.Backend,
				p.Measured.Backend, p.Measured.Scenario, p.Measured.Technique, p.Role(), p.Predicted.Params.Memory.Size, p.Measured.Params.Memory.Size)
		}
		// The calibration's four migrations give the spread a prediction's
		// interval is drawn from; the simulator's prediction lies inside it.
		if iv := p.Predicted.Interval; p.Predicted.Backend == models.BackendSim &&
			(iv == nil || iv.Draws != len(c.Spread) || p.Predicted.Metrics.DowntimeS < iv.DowntimeS[0] || p.Predicted.Metrics.DowntimeS > iv.DowntimeS[1]) {
			t.Errorf("sim prediction's interval %+v (downtime %.1fs; %d deviations in the calibration)", iv, p.Predicted.Metrics.DowntimeS, len(c.Spread))
		}
		_, rel, _ := p.Error(reports.MetricBytes)
		t.Logf("%s: downtime predicted %.1fs, measured %.1fs; bytes error %+.1f%%", p.Predicted.Backend,
			p.Predicted.Metrics.DowntimeS, p.Measured.Metrics.DowntimeS, rel*100)
	}
	if summary.Scope != reports.ScopeValidation || summary.Pairs != 2 {
		t.Errorf("summary scope %s over %d pairs", summary.Scope, summary.Pairs)
	}
	cmd, _ := os.ReadFile(filepath.Join(report, bundle.CommandFile))
	md, _ := os.ReadFile(filepath.Join(report, bundle.ReportFile))
	if !strings.Contains(string(cmd), "compare") || !strings.Contains(string(md), "compare-small") || !strings.Contains(out, "Prediction error") {
		t.Errorf("command.txt %q, report.md without the scenario, or no summary on stdout", cmd)
	}
	t.Run("app", func(t *testing.T) { compareApp(t, ctx, calib) })
}

// readRecords reads a JSON Lines records file or fails the test.
func readRecords(t *testing.T, path string) []models.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := models.ReadRecords(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}
