package fidelity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/examples"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/sim"
)

// simAsReal "migrates" by simulating under a calibration and labelling the
// record real; it logs every run and fails the runs named in fail.
type simAsReal struct {
	c    models.Calibration
	runs []string
	fail map[string]bool
}

func (f *simAsReal) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	name := fmt.Sprintf("%s/%s/%d", s.Name, technique, rep)
	f.runs = append(f.runs, name)
	if f.fail[name] {
		return models.Record{}, errors.New("CRIU died")
	}
	rec, err := sim.Run(ctx, f.c.Apply(s), technique, rep)
	if err != nil {
		return rec, err
	}
	rec.Backend, rec.Params, rec.Seed = models.BackendReal, s.WithDefaults(), models.DeriveSeed(s.WithDefaults(), rep)
	pages := float64(f.c.Apply(s).Memory.Pages())
	rec.Metrics.Extra = map[string]float64{"restore_s": f.c.Costs.RestoreBase.Seconds() + f.c.Costs.RestorePerPage.Seconds()*pages,
		"restore_pages_restored": pages, "final_freezing_s": f.c.Costs.Freeze.Seconds()}
	return rec, nil
}

func TestInterleavedSpreadsScenariosOverRepetitions(t *testing.T) {
	sc := func(names ...string) (out []models.Scenario) {
		for _, n := range names {
			// "a2": scenario a, two repetitions.
			s := models.Scenario{Name: n[:1]}
			if len(n) > 1 {
				s.Repetitions = int(n[1] - '0')
			}
			out = append(out, s)
		}
		return out
	}
	names := func(ch [][]validationUnit) (out []string) {
		for _, c := range ch {
			var ns []string
			for _, u := range c {
				ns = append(ns, fmt.Sprintf("%s%d", u.scenario.Name, u.rep))
			}
			out = append(out, strings.Join(ns, "+"))
		}
		return out
	}
	for _, c := range []struct {
		scenarios []string
		reps      int
		want      []string
	}{
		{[]string{"a", "b", "c"}, 3, []string{"a0", "b0", "c0"}},
		{[]string{"a", "b", "c"}, 2, []string{"a0+b0", "c0"}},
		{[]string{"a", "b", "c"}, 1, []string{"a0+b0+c0"}},
		{[]string{"a", "b", "c"}, 0, []string{"a0+b0+c0"}},
		{[]string{"a", "b", "c"}, 4, []string{"a0", "b0", "c0", ""}},
		// Repetition k of every scenario before repetition k+1 of any.
		{[]string{"a3", "b3", "c3"}, 3, []string{"a0+b0+c0", "a1+b1+c1", "a2+b2+c2"}},
		{[]string{"a2", "b1", "c2"}, 3, []string{"a0+b0", "c0+a1", "c1"}},
	} {
		if got := names(NewInterleaved(nil, sc(c.scenarios...), c.reps, nil).chunks); !slices.Equal(got, c.want) {
			t.Errorf("%v over %d repetitions: %v, want %v", c.scenarios, c.reps, got, c.want)
		}
	}
}

// TestInterleavedCalibrationAndValidation: the validation's migrations run
// between the calibration's repetitions, a failed one is kept as a failed
// record, and the comparison predicts the measured records without running
// them again.
func TestInterleavedCalibrationAndValidation(t *testing.T) {
	r := &simAsReal{c: synthCalibration(), fail: map[string]bool{"demo-rate-512k/precopy/0": true}}
	scenarios, iv, res := calibrateInterleaved(t, r, 0)
	p := PlanScenarioPrefix
	want := []string{p + "8MiB/precopy/0", p + "8MiB/cold/0", p + "12MiB/precopy/0", p + "24MiB/cold/0", "check-16MiB/cold/0", "check-20MiB/cold/0", "check-8MiB/precopy/0", "check-12MiB/migrror/0", "demo-rate-128k/cold/0", "demo-rate-128k/precopy/0", "demo-rate-128k/migrror/0",
		p + "8MiB/precopy/1", p + "8MiB/cold/1", p + "12MiB/precopy/1", p + "24MiB/cold/1", "check-16MiB/cold/1", "check-20MiB/cold/1", "check-8MiB/precopy/1", "check-12MiB/migrror/1", "demo-rate-512k/cold/0", "demo-rate-512k/precopy/0", "demo-rate-512k/migrror/0"}
	if !slices.Equal(r.runs, want) {
		t.Fatalf("order %v\nwant  %v", r.runs, want)
	}
	if len(iv.Records()) != 6 || iv.Records()[4].Error == "" || iv.Records()[4].Scenario != "demo-rate-512k" {
		t.Fatalf("measured %d records; the failed one: %+v", len(iv.Records()), iv.Records()[4])
	}
	dir := t.TempDir()
	run := Comparison{Runner: iv.Replay(), Calibration: res.Calibration, Scenarios: scenarios, Dir: dir, Title: "t",
		Progress: io.Discard, Stdout: io.Discard, Format: reports.FormatMarkdown}
	all, err := run.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "CRIU died") {
		t.Errorf("comparison error %v, want the recorded failure", err)
	}
	if len(r.runs) != len(want) {
		t.Errorf("the comparison migrated again: %v", r.runs[len(want):])
	}
	real, predicted := 0, 0
	for _, rec := range all {
		if rec.Role != models.RoleValidation {
			t.Errorf("%s %s %s: role %q", rec.Scenario, rec.Technique, rec.Backend, rec.Role)
		}
		switch rec.Backend {
		case models.BackendReal:
			real++
		case models.BackendSim:
			predicted++
		}
	}
	if real != 6 || predicted != 6 { // a failed migration's prediction is kept, unpaired
		t.Errorf("%d real and %d sim records, want 6 and 6", real, predicted)
	}
	f, err := os.Open(filepath.Join(dir, "records.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := models.ReadRecords(f)
	f.Close()
	if err != nil || len(back) != len(all) {
		t.Errorf("records.jsonl: %d records, %v", len(back), err)
	}
}

// TestInterleavedRepetitions: with two repetitions per validation scenario,
// repetition 0 of both scenarios runs after the first calibration repetition
// and repetition 1 after the second, its techniques turned by one; the
// comparison then scores each scenario's median as well as every migration.
func TestInterleavedRepetitions(t *testing.T) {
	r := &simAsReal{c: synthCalibration()}
	scenarios, iv, res := calibrateInterleaved(t, r, 2)
	p := PlanScenarioPrefix
	want := []string{p + "8MiB/precopy/0", p + "8MiB/cold/0", p + "12MiB/precopy/0", p + "24MiB/cold/0",
		"check-16MiB/cold/0", "check-20MiB/cold/0", "check-8MiB/precopy/0", "check-12MiB/migrror/0",
		"demo-rate-128k/cold/0", "demo-rate-128k/precopy/0", "demo-rate-128k/migrror/0",
		"demo-rate-512k/cold/0", "demo-rate-512k/precopy/0", "demo-rate-512k/migrror/0",
		p + "8MiB/precopy/1", p + "8MiB/cold/1", p + "12MiB/precopy/1", p + "24MiB/cold/1",
		"check-16MiB/cold/1", "check-20MiB/cold/1", "check-8MiB/precopy/1", "check-12MiB/migrror/1",
		"demo-rate-128k/precopy/1", "demo-rate-128k/migrror/1", "demo-rate-128k/cold/1",
		"demo-rate-512k/precopy/1", "demo-rate-512k/migrror/1", "demo-rate-512k/cold/1"}
	if !slices.Equal(r.runs, want) {
		t.Fatalf("order %v\nwant  %v", r.runs, want)
	}
	var out strings.Builder
	dir := t.TempDir()
	run := Comparison{Runner: iv.Replay(), Calibration: res.Calibration, Scenarios: scenarios, Dir: dir, Title: "t",
		Progress: io.Discard, Stdout: &out, Format: reports.FormatMarkdown}
	all, err := run.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 24 {
		t.Errorf("%d records, want 12 real and 12 sim", len(all))
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	if !strings.Contains(string(md), "Prediction error of each validation scenario's median (6 scenario-technique cells, 2 migrations each") {
		t.Errorf("no cell-median table in report.md:\n%s", md)
	}
	// The terminal gets the brief: one row per technique and metric, the
	// testbed's noise beside (the calibration repeated its plan twice);
	// then, as they fit, the scores of the six scenario-technique cells.
	if n := strings.Count(out.String(), "\n| "); n != 2+9+2+6 || !strings.Contains(out.String(), "| cold | downtime | 4 |") ||
		!strings.Contains(out.String(), "| demo-rate-512k | migrror | 2 |") {
		t.Errorf("the terminal has %d table lines, want the brief's header, rule and 9 rows, then the scores' header, rule and 6 rows:\n%s", n, out.String())
	}
}

// calibrateInterleaved runs a two-repetition calibration on r with the 128k
// and 512k demo scenarios (reps repetitions each; 0: the files' own)
// measured between its repetitions.
func calibrateInterleaved(t *testing.T, r *simAsReal, reps int) ([]models.Scenario, *Interleaved, *CalibrateResult) {
	t.Helper()
	var scenarios []models.Scenario
	for _, name := range []string{"compare-rate-128k.yaml", "compare-rate-512k.yaml"} {
		b, err := examples.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := models.ParseScenario(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if reps != 0 {
			s.Repetitions = reps
		}
		scenarios = append(scenarios, s)
	}
	iv := NewInterleaved(r, scenarios, 2, io.Discard)
	res, err := Calibrate(context.Background(), r, nil, CalibrateOptions{Repeat: 2, AfterRepetition: iv.After})
	if err != nil {
		t.Fatal(err)
	}
	return scenarios, iv, res
}
