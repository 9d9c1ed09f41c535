package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// comparisonRecords writes records that pair sim and analytic predictions
// with "measured" ones (the sim records again, 10 % slower, as real
// validation records, two repetitions each), and returns the file.
func comparisonRecords(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	simRecs := filepath.Join(dir, "sim.jsonl")
	if _, errOut, code := run(t, "sim", "-s", "../../examples/liu-worked-example.yaml", "--reps", "2", "-o", simRecs); code != ExitOK {
		t.Fatalf("sim: exit %d: %s", code, errOut)
	}
	recs := readRecords(t, simRecs)
	var all []models.Record
	for _, r := range recs {
		r.Role = models.RoleValidation
		all = append(all, r)
		if r.Backend == models.BackendSim {
			m := r
			m.Backend = models.BackendReal
			m.Metrics.DowntimeS *= 1.1
			m.Metrics.TotalTimeS *= 1.1
			all = append(all, m)
		}
	}
	p := filepath.Join(dir, "cmp.jsonl")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := models.NewRecordWriter(f)
	for _, r := range all {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinySweep writes a sweep of four small scenarios and returns its file.
func tinySweep(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	err := os.WriteFile(p, []byte(`name: tiny
base:
  name: tiny
  techniques: [cold, precopy]
  memory: {size: 64MiB, page_size: 4KiB}
  workload: {dirty_rate: 10MB/s}
  network: {bandwidth: 100MB/s, latency: 1ms}
  repetitions: 1
grid:
  workload.dirty_rate: [1MB/s, 5MB/s]
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readRecords(t *testing.T, path string) []models.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := models.ReadRecords(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// oneJSONDocument fails unless s is exactly one JSON value.
func oneJSONDocument(t *testing.T, what, s string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var rows []map[string]any
	if err := dec.Decode(&rows); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, s)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: more after the first JSON document (%v):\n%s", what, err, s)
	}
	return rows
}

// oneCSVTable fails unless s is one CSV table: every record as wide as the
// header, and the header once.
func oneCSVTable(t *testing.T, what, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll() // fails on a record of another width
	if err != nil {
		t.Fatalf("%s: not one CSV table: %v\n%s", what, err, s)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: empty", what)
	}
	for i, r := range rows[1:] {
		if strings.Join(r, ",") == strings.Join(rows[0], ",") {
			t.Fatalf("%s: the header again on line %d", what, i+2)
		}
	}
	return rows
}

// oneTabular fails unless s is one LaTeX tabular.
func oneTabular(t *testing.T, what, s string) {
	t.Helper()
	if n := strings.Count(s, `\begin{tabular}`); n != 1 || strings.Count(s, `\end{tabular}`) != 1 {
		t.Fatalf("%s: %d tabulars, want 1:\n%s", what, n, s)
	}
}

// TestOneDocumentPerOutput: every command that prints a table, in every
// machine format, prints exactly one document on stdout; what would be
// several is refused with a usage error that names --table.
func TestOneDocumentPerOutput(t *testing.T) {
	cmp := comparisonRecords(t)
	sweepDir := t.TempDir()
	sweepRecs := filepath.Join(sweepDir, "sweep.jsonl")
	cases := [][]string{
		{"sim"},
		{"sim", "--rounds", "--table", "rounds"},
		{"sim", "--table", "records"},
		{"report", cmp},
		{"report", cmp, "--rounds"},
		{"report", cmp, "--compare", "--table", "pairs"},
		{"report", cmp, "--compare", "--table", "errors"},
		{"report", cmp, "--table", "cells"},
		{"report", cmp, "--table", "repeatability"},
		{"report", cmp, "--table", "scores"},
		{"report", cmp, "--table", "brief"},
		{"report", cmp, "--table", "phases"},
		{"report", cmp, "--table", "phase-pairs"},
		{"report", cmp, "--table", "records"},
		{"sweep", "-q", tinySweep(t), "-o", sweepRecs, "--summary"},
	}
	for _, args := range cases {
		for _, f := range []string{"json", "csv", "latex"} {
			args := append(append([]string{}, args...), "-f", f)
			name := strings.Join(args, " ")
			out, errOut, code := run(t, args...)
			if code != ExitOK {
				t.Fatalf("%s: exit %d: %s", name, code, errOut)
			}
			switch f {
			case "json":
				if rows := oneJSONDocument(t, name, out); len(rows) == 0 && !strings.Contains(name, "repeatability") && !strings.Contains(name, "cells") {
					t.Errorf("%s: no rows", name)
				}
			case "csv":
				oneCSVTable(t, name, out)
			case "latex":
				oneTabular(t, name, out)
			}
		}
	}
	refused := [][]string{
		{"report", cmp, "--compare", "-f", "json"},
		{"report", cmp, "--compare", "-f", "csv"},
		{"report", cmp, "--compare", "-f", "latex"},
		{"sim", "--rounds", "-f", "json"},
		{"sim", "-o", "-", "-f", "csv"},
		{"sweep", "-q", tinySweep(t), "--summary", "-f", "csv"},
	}
	for _, args := range refused {
		out, errOut, code := run(t, args...)
		_ = errOut
		if code != ExitUsage {
			t.Errorf("%s: exit %d, want %d (refused)\n%s", strings.Join(args, " "), code, ExitUsage, out)
		}
	}
}

// TestRefusalNamesTheWayOut: the refusal says what to do instead.
func TestRefusalNamesTheWayOut(t *testing.T) {
	err := App().Run([]string{"migrlab", "sim", "--rounds", "-f", "json", "--reps", "1"})
	if err == nil || !strings.Contains(err.Error(), "--table") || !strings.Contains(err.Error(), "--out-dir") {
		t.Fatalf("err = %v, want one naming --table and --out-dir", err)
	}
}

// TestOutDir writes each of report --compare's tables to its own file, each
// one document.
func TestOutDir(t *testing.T) {
	cmp := comparisonRecords(t)
	dir := filepath.Join(t.TempDir(), "tables")
	out, errOut, code := run(t, "report", cmp, "--compare", "-f", "csv", "--out-dir", dir)
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
	}
	for _, name := range []string{"pairs", "errors", "cells", "repeatability"} {
		p := filepath.Join(dir, name+".csv")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		oneCSVTable(t, p, string(b))
		if !strings.Contains(errOut, "wrote "+p) {
			t.Errorf("stderr does not name %s:\n%s", p, errOut)
		}
	}
}

// TestSimRecordsOnStdout: with -o - stdout is the records alone (JSON
// Lines), and the human table goes to stderr.
func TestSimRecordsOnStdout(t *testing.T) {
	out, errOut, code := run(t, "sim", "-o", "-", "-t", "cold", "--reps", "1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := models.ReadRecords(strings.NewReader(out))
	if err != nil || len(recs) != 2 {
		t.Fatalf("stdout: %d records, %v:\n%s", len(recs), err, out)
	}
	if !strings.Contains(errOut, "cold") {
		t.Errorf("stderr lacks the summary:\n%s", errOut)
	}
}

// TestSweepSummaryOnStdout: with the records in a file, the summary is
// stdout's one document; progress and the tally stay on stderr (none of it
// under -q).
func TestSweepSummaryOnStdout(t *testing.T) {
	recs := filepath.Join(t.TempDir(), "r.jsonl")
	out, errOut, code := run(t, "sweep", tinySweep(t), "-o", recs, "--summary", "-f", "csv", "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := oneCSVTable(t, "sweep --summary", out)
	if rows[0][0] != "scenario" || len(rows) < 2 {
		t.Fatalf("summary:\n%s", out)
	}
	if strings.Contains(errOut, "scenario,technique") || strings.Contains(errOut, "sweep:") {
		t.Errorf("stderr under -q holds more than warnings:\n%s", errOut)
	}
	if _, errOut, _ = run(t, "sweep", tinySweep(t), "-o", recs, "--summary", "-f", "csv"); !strings.Contains(errOut, "sweep:") {
		t.Errorf("stderr without -q lacks the tally:\n%s", errOut)
	}
}

// TestTidyLoadsBack: report --tidy is one CSV row per record, the swept
// parameters as columns in base units, the metrics beside them, and the
// values are the records'.
func TestTidyLoadsBack(t *testing.T) {
	dir := t.TempDir()
	sw := filepath.Join(dir, "sweep.yaml")
	os.WriteFile(sw, []byte(`name: tidy
base:
  name: tidy
  techniques: [cold, precopy]
  memory: {size: 64MiB, page_size: 4KiB}
  workload: {dirty_rate: 10MB/s}
  network: {bandwidth: 100MB/s, latency: 1ms}
  repetitions: 2
grid:
  workload.dirty_rate: [1MB/s, 5MB/s, 20MB/s]
  network.bandwidth: [100Mbit/s, 1Gbit/s]
`), 0o644)
	recFile := filepath.Join(dir, "r.jsonl")
	if _, errOut, code := run(t, "sweep", "-q", sw, "-o", recFile); code != ExitOK {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	recs := readRecords(t, recFile)
	out, errOut, code := run(t, "report", recFile, "--tidy")
	if code != ExitOK {
		t.Fatalf("report --tidy: exit %d: %s", code, errOut)
	}
	rows := oneCSVTable(t, "tidy", out)
	if len(rows)-1 != len(recs) {
		t.Fatalf("%d rows for %d records", len(rows)-1, len(recs))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, want := range []string{"scenario", "technique", "backend", "repetition", "seed", "sweep.index",
		"params.workload.dirty_rate_bytes_per_s", "params.network.bandwidth_bytes_per_s", "downtime_s", "bytes_sent", "stop_reason"} {
		if _, ok := col[want]; !ok {
			t.Errorf("no column %q in %q", want, rows[0])
		}
	}
	// Only what varies: the memory size is the same everywhere.
	if _, ok := col["params.memory.size_bytes"]; ok {
		t.Errorf("params.memory.size_bytes is the same in every record, yet a column")
	}
	num := func(row []string, k string) float64 {
		v, err := strconv.ParseFloat(row[col[k]], 64)
		if err != nil {
			t.Fatalf("%s = %q: %v", k, row[col[k]], err)
		}
		return v
	}
	rates := map[float64]bool{}
	for i, r := range recs {
		row := rows[i+1]
		if row[col["scenario"]] != r.Scenario || row[col["technique"]] != r.Technique || row[col["seed"]] != strconv.FormatUint(r.Seed, 10) {
			t.Fatalf("row %d %q is not record %d (%s/%s)", i+1, row, i, r.Scenario, r.Technique)
		}
		if got := num(row, "params.network.bandwidth_bytes_per_s"); got != float64(r.Params.Network.Bandwidth) {
			t.Errorf("row %d bandwidth %g, record %g", i+1, got, float64(r.Params.Network.Bandwidth))
		}
		if got := num(row, "downtime_s"); got != r.Metrics.DowntimeS {
			t.Errorf("row %d downtime %g, record %g", i+1, got, r.Metrics.DowntimeS)
		}
		if got := num(row, "bytes_sent"); got != float64(r.Metrics.BytesSent) {
			t.Errorf("row %d bytes %g, record %d", i+1, got, r.Metrics.BytesSent)
		}
		rates[num(row, "params.network.bandwidth_bytes_per_s")] = true
	}
	// 100 Mbit/s is 12.5 MB/s in bytes per second; 1 Gbit/s 125 MB/s.
	if !rates[12.5e6] || !rates[125e6] || len(rates) != 2 {
		t.Errorf("bandwidths %v, want 12500000 and 125000000 bytes/s", rates)
	}
	// --all-params: every parameter.
	out, _, _ = run(t, "report", recFile, "--tidy", "--all-params")
	if all := oneCSVTable(t, "tidy all", out); !strings.Contains(strings.Join(all[0], ","), "params.memory.size_bytes") {
		t.Errorf("--all-params lacks params.memory.size_bytes: %q", all[0])
	}
	// And JSON, one document.
	out, _, _ = run(t, "report", recFile, "--tidy", "-f", "json")
	if js := oneJSONDocument(t, "tidy json", out); len(js) != len(recs) || js[0]["params.workload.dirty_rate_bytes_per_s"] != 1e6 {
		t.Errorf("tidy JSON: %d rows, first %v", len(js), js[0])
	}
}

// TestColumns: --columns narrows a table to the named columns, in order;
// an unknown one is a usage error that lists the table's columns.
func TestColumns(t *testing.T) {
	out, errOut, code := run(t, "sim", "-t", "cold,precopy", "--reps", "1", "-f", "csv", "--columns", "technique,backend,downtime_s")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := oneCSVTable(t, "--columns", out)
	if got := strings.Join(rows[0], ","); got != "technique,backend,downtime_s,downtime_lo_s,downtime_hi_s" {
		t.Errorf("header %q", got)
	}
	err := App().Run([]string{"migrlab", "sim", "--reps", "1", "--columns", "technique,downtime"})
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "downtime_s") {
		t.Errorf("unknown column: %v", err)
	}
}
