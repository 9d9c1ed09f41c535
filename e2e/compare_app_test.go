//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports/bundle"
)

// compareApp compares Redis (examples/app-redis.yaml) migrated cold under
// calibration calib: compare profiles it (one pass), migrates it cold once
// as a warm-up (role warmup), probes its own costs (a cold and a two-round
// pre-copy migration of its container, twice each (--probe-reps 2: the
// default four would add two minutes), each after the same migration of
// the synthetic reference, role probe) and
// predicts it with the calibration scaled by them. The probes are in
// the records, predicted and never scored; the report's calibration holds
// the app's factors, each within what an app's dump, transfer and restore
// can cost against the synthetic workload's (0.5 to 3 times); the one
// validation migration kept its dataset.
func compareApp(t *testing.T, ctx context.Context, calib string) {
	archive := requireAppArchive(t, "redis")
	src, err := os.ReadFile("../examples/app-redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(strings.Replace(string(src), "archive: out/redis.tar", "archive: "+archive, 1), "name: app-redis", "name: app-e2e", 1)
	dir := t.TempDir()
	scen := filepath.Join(dir, "app-e2e.yaml")
	if err := os.WriteFile(scen, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report")
	start := time.Now()
	out := migrlab(t, ctx, "compare", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir,
		"--calibration", calib, "-o", report, "-t", "cold", "--profile-passes", "1", "--probe-reps", "2", "--warmup", "2s", "--step-timeout", "8m", scen)
	t.Logf("app comparison took %s:\n%s", time.Since(start).Round(time.Second), out)
	recs := readRecords(t, filepath.Join(report, bundle.RecordsFile))
	var probes, refs, warmups, val []models.Record
	for _, r := range recs {
		switch {
		case r.Backend != models.BackendReal:
		case r.Role == models.RoleProbe && r.Scenario == "app-e2e"+fidelity.ReferenceSuffix:
			refs = append(refs, r)
		case r.Role == models.RoleProbe:
			probes = append(probes, r)
		case r.Role == models.RoleWarmup:
			warmups = append(warmups, r)
		case r.Role == models.RoleValidation:
			val = append(val, r)
		}
	}
	if len(warmups) != 1 || warmups[0].Scenario != fidelity.WarmupScenarioPrefix+"app-e2e" || warmups[0].Technique != models.Cold || warmups[0].Error != "" {
		t.Fatalf("warm-ups %+v: want one cold migration of app-e2e, before its probes", warmups)
	}
	if len(probes) != 4 || len(refs) != 4 {
		t.Fatalf("%d probe and %d reference records: want a cold and a pre-copy of each, twice", len(probes), len(refs))
	}
	for _, r := range refs {
		if r.Params.App.Enabled() || r.Error != "" {
			t.Fatalf("reference %s %s rep %d: app %q, error %q: want the synthetic workload, migrated", r.Scenario, r.Technique, r.Repetition, r.Params.App.Image, r.Error)
		}
	}
	for _, p := range probes {
		live := map[string]int{models.Cold: 0, models.PreCopy: fidelity.ProbeRounds}
		if want, ok := live[p.Technique]; !ok || p.Scenario != "app-e2e"+fidelity.ProbeSuffix || p.Error != "" || p.Metrics.LiveRounds != want {
			t.Fatalf("probe %s %s rep %d: error %q, %d live rounds", p.Scenario, p.Technique, p.Repetition, p.Error, p.Metrics.LiveRounds)
		}
		if p.Metrics.Extra["app_check_passed"] != 1 {
			t.Errorf("the %s probe (rep %d) did not keep Redis's dataset: %v", p.Technique, p.Repetition, p.Metrics.Extra)
		}
	}
	if len(val) != 1 || val[0].Error != "" || val[0].Metrics.Extra["app_check_passed"] != 1 {
		t.Fatalf("validation records %+v: want one cold migration with its dataset kept", val)
	}
	f, err := os.Open(filepath.Join(report, bundle.CalibrationFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.ReadCalibration(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Apps["app-e2e"]
	if !ok {
		t.Fatalf("the report's calibration has no factors for app-e2e: %v", c.Apps)
	}
	for _, x := range []float64{d.FinalDump, d.FinalTransfer, d.Restore, d.LiveRounds} {
		if x < 0.5 || x > 3 {
			t.Errorf("app-e2e's factors %+v: want each between 0.5 and 3", d)
			break
		}
	}
	// Profiled at the migration's age (compare's --warmup): the passes
	// measured the growth, and the predicted cold dump starts from what
	// the container held then, within 25 % of what CRIU dumped.
	pf, err := os.ReadFile(filepath.Join(report, "profiles", "app-e2e.profile.json"))
	if err != nil {
		t.Fatal(err)
	}
	var prof models.DirtyingProfile
	if err := json.Unmarshal(pf, &prof); err != nil {
		t.Fatal(err)
	}
	if prof.Warmup.Duration() != 2*time.Second || prof.ResidentStart <= 0 || len(prof.Passes) != 1 || len(prof.Passes[0].Grown) != len(prof.Passes[0].WindowsS) {
		t.Errorf("profile: warmup %s, resident after it %s, passes %+v: want the run's 2s, measured, with the growth of each window",
			prof.Warmup, prof.ResidentStart, prof.Passes)
	}
	for _, r := range recs {
		if r.Role == models.RoleValidation && r.Backend == models.BackendSim && len(r.Rounds) > 0 && len(val[0].Rounds) > 0 {
			pred, meas := float64(r.Rounds[0].Bytes), float64(val[0].Rounds[0].Bytes)
			t.Logf("app-e2e cold dump: predicted %s, measured %s (profile: %s after the warmup, %s at the end, growth %d points)",
				models.ByteSize(pred), models.ByteSize(meas), prof.ResidentStart, prof.Resident, len(prof.Growth))
			if pred < 0.75*meas || pred > 1.25*meas {
				t.Errorf("predicted cold dump %s, measured %s: want within 25 %%", models.ByteSize(pred), models.ByteSize(meas))
			}
		}
	}
	if !strings.Contains(out, "on 1 validation pairs") {
		t.Errorf("the brief scores more than the one validation migration (probes are never scored):\n%s", out)
	}
	t.Logf("app-e2e: factors %+v; cold downtime measured %.1fs", d, val[0].Metrics.DowntimeS)
}
