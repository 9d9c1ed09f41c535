package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/models"
)

// writeTestCalibration writes testCalibration, with the default plan's
// scenario names, to dir and returns its path.
func writeTestCalibration(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "calibration.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	c := testCalibration()
	c.Scenarios = []string{"calibration-8MiB", "calibration-12MiB", "calibration-24MiB"}
	if err := models.WriteCalibration(f, c); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// TestCompareSearchDryRun: --search 4 --dry-run ranks 40 candidates without
// a testbed, prints the top 4 in rank order (CSV: one row per technique)
// and exits 0; it writes their scenario files, which compare reads back,
// and every candidate's score; the same seed prints the same.
func TestCompareSearchDryRun(t *testing.T) {
	dir := t.TempDir()
	cal := writeTestCalibration(t, dir)
	out := filepath.Join(dir, "cmp")
	args := []string{"compare", "--search", "4", "--candidates", "40", "--seed", "9", "--dry-run", "--calibration", cal, "-o", out, "-f", "csv"}
	stdout, stderr, err := runArgs(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1+4*3 || !strings.HasPrefix(lines[0], "rank,scenario,score,technique") {
		t.Fatalf("want a header and 4 candidates x 3 techniques, got %d lines:\n%s", len(lines), stdout)
	}
	var names []string
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		if i%3 == 0 {
			if f[0] != []string{"1", "2", "3", "4"}[i/3] || !strings.HasPrefix(f[1], "search-9-") {
				t.Errorf("row %d: rank %q, scenario %q", i, f[0], f[1])
			}
			names = append(names, f[1])
		}
	}
	if !strings.Contains(stderr, "search: 40 candidates (seed 9), memory 8.00MiB to 24.00MiB") || !strings.Contains(stderr, "migrlab compare --testbed NAME") {
		t.Errorf("stderr:\n%s", stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "candidates", "search-9-*.yaml"))
	ss, err := loadScenarioFiles(files, "", 0)
	if err != nil || len(ss) != 4 {
		t.Fatalf("%d scenario files: %v", len(ss), err)
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(out, "candidates", name+".yaml")); err != nil {
			t.Errorf("the printed candidate %s has no file: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "candidates", fidelity.CandidatesFile)); err != nil {
		t.Error(err)
	}
	again, _, err := runArgs(t, args...)
	if err != nil || again != stdout {
		t.Errorf("the same seed printed otherwise (%v):\n%s\nthen\n%s", err, stdout, again)
	}
}

// TestCompareSearchUsage: every misuse of --search is a usage error (exit
// 2) naming the fix, and nothing runs.
func TestCompareSearchUsage(t *testing.T) {
	dir := t.TempDir()
	cal := writeTestCalibration(t, dir)
	o := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--search", "0", "--dry-run", "--calibration", cal, "-o", o}, "at least 1"},
		{[]string{"compare", "--search", "-2", "--dry-run", "--calibration", cal, "-o", o}, "at least 1"},
		{[]string{"compare", "--search", "3", "--dry-run", "-o", o}, "give --calibration FILE"},
		{[]string{"compare", "--search", "3", "--dry-run", "--calibration", cal, "-o", o, "../../examples/compare-small.yaml"}, "drop the scenario files"},
		{[]string{"compare", "--search", "3", "--calibration", cal, "-o", o}, "--testbed NAME"},
		{[]string{"compare", "--search", "3", "--dry-run", "--replay", "r.jsonl", "--calibration", cal, "-o", o}, "exclude each other"},
		{[]string{"compare", "--search", "30", "--candidates", "10", "--dry-run", "--calibration", cal, "-o", o}, "want 30 (the --search count)"},
		{[]string{"compare", "--search", "3", "--dry-run", "-t", "postcopy", "--calibration", cal, "-o", o}, "does not run on Podman hosts"},
		{[]string{"compare", "--dry-run", "--calibration", cal, "../../examples/compare-small.yaml"}, "--dry-run goes with --search N"},
		{[]string{"compare", "--seed", "3", "--testbed", "x", "--calibration", cal, "../../examples/compare-small.yaml"}, "--seed goes with --search N"},
	} {
		_, _, err := runArgs(t, tc.args...)
		if code := ExitCode(err); code != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d (%v), want %d and %q", tc.args[1:], code, err, ExitUsage, tc.want)
		}
	}
	if _, err := os.Stat(o); !os.IsNotExist(err) {
		t.Errorf("a refused search wrote %s (%v)", o, err)
	}
}

// TestCompareSearchChecksRealTime: the top candidates' real time goes
// through the same limit as compare's scenarios before a testbed is
// opened: 100 candidates of three techniques are refused without --force;
// three pass it and the run then fails on the missing testbed (exit 1).
func TestCompareSearchChecksRealTime(t *testing.T) {
	dir := t.TempDir()
	cal := writeTestCalibration(t, dir)
	state := filepath.Join(dir, "state")
	base := []string{"compare", "--testbed", "none", "--state-dir", state, "--calibration", cal, "-o", filepath.Join(dir, "cmp")}
	_, stderr, err := runArgs(t, append(base, "--search", "100", "--candidates", "100")...)
	if ExitCode(err) != ExitUsage || !strings.Contains(stderr, "estimate: 300 real migrations") || !strings.Contains(err.Error(), "--force to run anyway") {
		t.Errorf("100 candidates: exit %d (%v)\n%s", ExitCode(err), err, stderr)
	}
	_, stderr, err = runArgs(t, append(base, "--search", "3", "--candidates", "20")...)
	if ExitCode(err) != ExitFailure || !strings.Contains(stderr, "estimate: 9 real migrations") || !strings.Contains(stderr, "search: 1. search-1-") {
		t.Errorf("3 candidates: exit %d (%v), want %d after the estimate\n%s", ExitCode(err), err, ExitFailure, stderr)
	}
}
