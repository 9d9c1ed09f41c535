package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/reports/bundle"
	"github.com/migrlab/migrlab/sim"
	"github.com/urfave/cli/v2"
)

// runArgs runs the app in-process like run, with the command line recorded
// for command.txt, and returns the error too.
func runArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	app := App()
	app.Writer, app.ErrWriter = &out, &errb
	app.ExitErrHandler = func(*cli.Context, error) {}
	app.Metadata = map[string]any{"command": append([]string{"migrlab"}, args...)}
	err = app.RunContext(context.Background(), append([]string{"migrlab"}, args...))
	return out.String(), errb.String(), err
}

// testCalibration is a plausible calibration of a slow testbed.
func testCalibration() models.Calibration {
	s := func(x float64) models.Duration { return models.Duration(models.Seconds(x)) }
	return models.Calibration{Schema: models.CalibrationSchema, Testbed: "t",
		Network: models.Network{Bandwidth: 2e6, Latency: s(0.01)},
		Costs: models.Costs{RoundSetup: s(8), DumpPerPage: s(0.003), FinalSetup: s(15), Freeze: s(0.2),
			RestoreBase: s(30), RestorePerPage: s(0.0004), Resume: s(2), RestoreAllPages: true},
		BaseMemory: 1 << 20, RuntimeHot: 200 << 10, RuntimeDirtyRate: 40000, RuntimeFresh: true}
}

// fakeRealRecords "measures" the plan's migrations (and compare-small's) by
// simulating them under c and labelling them real, with the extra
// measurements a real record carries.
func fakeRealRecords(t *testing.T, c models.Calibration, steps []fidelity.Step) []models.Record {
	t.Helper()
	var out []models.Record
	for _, st := range steps {
		rec, err := sim.Run(context.Background(), c.Apply(st.Scenario), st.Technique, 0)
		if err != nil {
			t.Fatal(err)
		}
		rec.Backend, rec.Params = models.BackendReal, st.Scenario.WithDefaults()
		if st.Check {
			rec.Role = models.RoleCheck
		}
		pages := float64(c.Apply(st.Scenario).Memory.Pages())
		rec.Metrics.Extra = map[string]float64{"restore_s": c.Costs.RestoreBase.Seconds() + c.Costs.RestorePerPage.Seconds()*pages,
			"restore_pages_restored": pages, "final_freezing_s": c.Costs.Freeze.Seconds()}
		rec.Provenance = models.Provenance{Tool: "migrlab", Version: "test", Host: map[string]string{"testbed": "t", "kernel": "6.1"}}
		out = append(out, rec)
	}
	return out
}

func TestCalibrateFromRecordsAndReplay(t *testing.T) {
	dir := t.TempDir()
	want := testCalibration()
	recs := filepath.Join(dir, "calib.jsonl")
	if err := fidelity.WriteRecordsFile(recs, fakeRealRecords(t, want, fidelity.DefaultPlan())); err != nil {
		t.Fatal(err)
	}
	prev := filepath.Join(dir, "prev.json")
	f, _ := os.Create(prev)
	models.WriteCalibration(f, want)
	f.Close()
	out := filepath.Join(dir, "calibration.json")
	_, stderr, code := run(t, "calibrate", "--from-records", recs, "--previous", prev, "-o", out)
	if code != ExitOK {
		t.Fatalf("calibrate --from-records: exit %d\n%s", code, stderr)
	}
	got, err := readCalibrationFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Costs.RestoreBase.Seconds() - 30; d > 0.01 || d < -0.01 || got.Network.Latency != want.Network.Latency ||
		len(got.Scenarios) != 3 || got.Testbed != "t" {
		t.Errorf("refit: restore base %s, latency %s, scenarios %v, testbed %q", got.Costs.RestoreBase, got.Network.Latency, got.Scenarios, got.Testbed)
	}
	if !strings.Contains(stderr, "fit final dump") || !strings.Contains(stderr, "fit runtime dirtying") {
		t.Errorf("no fits on stderr:\n%s", stderr)
	}
	if d := float64(got.RuntimeHot-want.RuntimeHot) / float64(want.RuntimeHot); d > 0.05 || d < -0.05 {
		t.Errorf("refit runtime hot %s, want %s", got.RuntimeHot, want.RuntimeHot)
	}

	// A schema-1 calibration is refused where it would drive the simulator,
	// with the refit named; as --previous of that refit it is fine.
	old := filepath.Join(dir, "schema1.json")
	os.WriteFile(old, []byte(`{"schema": 1, "testbed": "t", "network": {"bandwidth_bytes_per_s": 2e6, "latency_s": 0.01},
  "costs": {}, "base_memory_bytes": 1048576, "dirty_rate_factor": 0.8, "base_dirty_rate_bytes_per_s": 4000}`), 0o644)
	if _, stderr, code := run(t, "calibrate", "--from-records", recs, "--previous", old, "-o", filepath.Join(dir, "refit.json")); code != ExitOK {
		t.Errorf("refit with a schema-1 --previous: exit %d\n%s", code, stderr)
	}
	if _, stderr, err := runArgs(t, "compare", "--replay", recs, "--calibration", old, "-o", filepath.Join(dir, "r1")); err == nil ||
		!strings.Contains(err.Error(), "calibration.schema: 1, this migrlab reads schema 2") || !strings.Contains(err.Error(), "--from-records") {
		t.Errorf("compare with a schema-1 calibration: %v\n%s", err, stderr)
	}

	// Replay: compare-small measured "for real", re-predicted with the refit.
	small, err := loadScenarioFiles([]string{"../../examples/compare-small.yaml"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var steps []fidelity.Step
	for _, tech := range small[0].Techniques {
		steps = append(steps, fidelity.Step{Scenario: small[0], Technique: tech})
	}
	measured := filepath.Join(dir, "measured.jsonl")
	if err := fidelity.WriteRecordsFile(measured, fakeRealRecords(t, want, steps)); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report")
	stdout, stderr, err := runArgs(t, "compare", "--replay", measured, "--calibration", out, "-o", report)
	if err != nil {
		t.Fatalf("compare --replay: %v\n%s", err, stderr)
	}
	for _, name := range []string{bundle.RecordsFile, bundle.CalibrationFile, bundle.ReportFile, bundle.CommandFile, bundle.VersionsFile, bundle.PhasesFile} {
		if _, err := os.Stat(filepath.Join(report, name)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	rs, err := readRecordsFile(filepath.Join(report, bundle.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	ct, sum := reports.Compare(rs)
	if len(ct.Pairs) != 4 || sum.Scope != reports.ScopeValidation {
		t.Fatalf("pairs %d, scope %s", len(ct.Pairs), sum.Scope)
	}
	for _, p := range ct.Pairs {
		if _, rel, _ := p.Error(reports.MetricDowntime); p.Predicted.Backend == models.BackendSim && (rel > 0.02 || rel < -0.02) {
			t.Errorf("%s %s: downtime error %+.1f%% on records made by the same model", p.Predicted.Backend, p.Measured.Technique, rel*100)
		}
	}
	md, _ := os.ReadFile(filepath.Join(report, bundle.ReportFile))
	if !strings.Contains(stdout, "Prediction error") || !strings.Contains(stdout, "│ compare-small │ cold ") ||
		strings.Contains(stdout, "per pair") || !strings.Contains(string(md), "Predicted vs measured, per pair") {
		t.Errorf("stdout (want the brief and the scenario's score, no per-pair table):\n%s\nreport.md (want every pair):\n%s", stdout, md)
	}
	cmd, _ := os.ReadFile(filepath.Join(report, bundle.CommandFile))
	if !strings.Contains(string(cmd), "--replay") {
		t.Errorf("command.txt: %q", cmd)
	}
}

func TestCalibrateCompareUsage(t *testing.T) {
	dir := t.TempDir()
	cal := filepath.Join(dir, "c.json")
	f, _ := os.Create(cal)
	models.WriteCalibration(f, testCalibration())
	f.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"calibrate"}, "--testbed"},
		{[]string{"calibrate", "--testbed", "x", "--sizes", "32MiB,8MiB"}, "larger"},
		{[]string{"calibrate", "--testbed", "x", "--sizes", "8MiB"}, "two sizes"},
		{[]string{"compare", "--calibration", cal}, "scenario"},
		{[]string{"compare", "--calibration", cal, "../../examples/compare-small.yaml"}, "--testbed"},
		{[]string{"compare", "--testbed", "x", "--calibration", filepath.Join(dir, "none.json"), "a.yaml"}, "calibration"},
		{[]string{"compare", "--testbed", "x", "--calibration", cal, filepath.Join(dir, "none.yaml")}, "scenario"},
		{[]string{"compare", "--testbed", "x", "--calibration", cal, "../../examples/compare-small.yaml", "../../examples/compare-small.yaml"}, "also in"},
		{[]string{"demo", "--accel", "xen"}, "accel"},
		{[]string{"demo", "--calibration-repeat", "0"}, "--calibration-repeat: want 1 to 10"},
		{[]string{"demo", "--warmup-migrations", "-1"}, "--warmup-migrations: want 0 to 10"},
		{[]string{"demo", "--reps", "-1"}, "--reps -1: want at least 1"},
		{[]string{"demo", "--probe-reps", "0"}, "--probe-reps 0: want at least 1"},
		{[]string{"compare", "--testbed", "x", "--calibration", cal, "--probe-reps", "0", "../../examples/compare-small.yaml"}, "--probe-reps 0: want at least 1"},
		{[]string{"demo", "--reps", "100001"}, "repetitions: must be between 1 and 100000"},
		{[]string{"calibrate", "--testbed", "x", "--repeat", "11"}, "--repeat: want 1 to 10"},
	} {
		_, _, err := runArgs(t, tc.args...)
		if code := ExitCode(err); code != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d (%v), want %d and %q", tc.args, code, err, ExitUsage, tc.want)
		}
	}
}

func TestLoadScenarioFilesExpandsSweeps(t *testing.T) {
	ss, err := loadScenarioFiles([]string{"../../examples/sweep-dirty-rate.yaml", "../../examples/compare-rate-2m.yaml"}, "cold", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 21 || ss[20].Name != "demo-rate-2m" || ss[0].Repetitions != 2 || strings.Join(ss[5].Techniques, ",") != "cold" {
		t.Fatalf("%d scenarios; last %q", len(ss), ss[len(ss)-1].Name)
	}
	demo, err := demoScenarios(nil, 0)
	if err != nil || len(demo) != 3 || demo[0].Workload.DirtyRate >= demo[1].Workload.DirtyRate || demo[1].Workload.DirtyRate >= demo[2].Workload.DirtyRate {
		t.Fatalf("demo scenarios: %v %+v", err, demo)
	}
	if demo, err := demoScenarios(nil, 3); err != nil || demo[0].Repetitions != 3 || demo[2].Repetitions != 3 {
		t.Fatalf("demo scenarios with --reps 3: %v %+v", err, demo)
	}
}

// TestDemoCalibratesThreeTimes: the demo fits its calibration over three
// repetitions of the plan by default (docs/fidelity.md: with one or two, the
// noise of a few migrations per kind set the fixed costs of a whole run).
func TestDemoCalibratesThreeTimes(t *testing.T) {
	for _, f := range DemoCommand().Flags {
		if f.Names()[0] == "calibration-repeat" {
			if v := f.(*cli.IntFlag).Value; v != 3 {
				t.Fatalf("demo --calibration-repeat defaults to %d, want 3", v)
			}
			return
		}
	}
	t.Fatal("demo has no --calibration-repeat flag")
}
