package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/urfave/cli/v2"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	app := App()
	app.Writer, app.ErrWriter = &out, &errb
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := Run(context.Background(), app, append([]string{"migrlab"}, args...))
	return out.String(), errb.String(), ExitCode(err)
}

func TestSimLiuExampleValues(t *testing.T) {
	dir := t.TempDir()
	recs := filepath.Join(dir, "r.jsonl")
	out, _, code := run(t, "sim", "-s", "../../examples/liu-worked-example.yaml", "-o", recs, "-f", "csv")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, out)
	}
	f, _ := os.Open(recs)
	defer f.Close()
	rs, err := models.ReadRecords(f)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, r := range rs {
		if r.Technique != models.PreCopy {
			continue
		}
		found++
		if r.Metrics.BytesSent != 1249920000 {
			t.Errorf("%s bytes %d, want 1249920000", r.Backend, r.Metrics.BytesSent)
		}
		if d := r.Metrics.TotalTimeS - 12.4992; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s total %g s, want 12.4992", r.Backend, r.Metrics.TotalTimeS)
		}
		if r.Provenance.Tool != "migrlab" || r.Seed == 0 {
			t.Errorf("provenance %+v seed %d", r.Provenance, r.Seed)
		}
	}
	if found != 2 {
		t.Fatalf("want a sim and an analytic pre-copy record, got %d", found)
	}
	if !strings.Contains(out, "precopy") {
		t.Errorf("csv output lacks the precopy row:\n%s", out)
	}
	// The records re-render without re-running.
	md, _, code := run(t, "report", "-f", "markdown", recs)
	if code != ExitOK || !strings.Contains(md, "| liu-worked-example |") {
		t.Fatalf("report exit %d:\n%s", code, md)
	}
}

func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nmemory: {size: -1}\nnetwork: {bandwidth: 1MB/s}\n"), 0o644)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"sim", "-s", bad}, ExitUsage},
		{[]string{"sim", "--set", "network.bandwidth=0"}, ExitUsage},
		{[]string{"sim", "--set", "nonsense"}, ExitUsage},
		{[]string{"sim", "-t", "teleport"}, ExitUsage},
		{[]string{"sim", "-f", "pdf"}, ExitUsage},
		{[]string{"report"}, ExitUsage},
		{[]string{"sweep", "--nope"}, ExitUsage},
		{[]string{"sim", "-t", "cold", "-f", "json"}, ExitOK},
	}
	for _, c := range cases {
		_, errOut, code := run(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, errOut)
		}
	}
}

func TestSimJSONIsParseable(t *testing.T) {
	out, _, code := run(t, "sim", "-t", "cold,migrror", "--reps", "2", "-f", "json", "--no-analytic")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("json output: %v\n%s", err, out)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (cold, migrror)", len(rows))
	}
}

// TestSimTakesAPositionalScenario: `migrlab sim FILE` simulates FILE, not the
// built-in scenario; two files, or a file given both ways, are usage errors.
func TestSimTakesAPositionalScenario(t *testing.T) {
	f := filepath.Join("..", "..", "examples", "nonconvergent.yaml")
	out, errOut, code := run(t, "sim", "-f", "csv", "--no-analytic", f)
	if code != ExitOK || !strings.Contains(out, "nonconvergent") || strings.Contains(out, "edge-1g") {
		t.Errorf("sim FILE: exit %d, stdout:\n%s\n%s", code, out, errOut)
	}
	for _, args := range [][]string{{"sim", f, f}, {"sim", "-s", f, f}} {
		if _, _, code := run(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

// TestReportWarnsOnDuplicateRecords: the same records file given twice is
// counted once, with a warning, not doubled.
func TestReportWarnsOnDuplicateRecords(t *testing.T) {
	recs := filepath.Join(t.TempDir(), "r.jsonl")
	if _, errOut, code := run(t, "sim", "-t", "cold", "--reps", "2", "--no-analytic", "-o", recs); code != ExitOK {
		t.Fatalf("sim: exit %d: %s", code, errOut)
	}
	once, _, _ := run(t, "report", "-f", "csv", recs)
	twice, errOut, code := run(t, "report", "-f", "csv", recs, recs)
	if code != ExitOK || once != twice || !strings.Contains(errOut, "2 duplicate record(s) left out") {
		t.Errorf("twice: exit %d, stderr %q; stdout differs from once: %v\n%s\n%s", code, errOut, once != twice, once, twice)
	}
}
