package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// plotSweep runs a sweep over two dirty rates and two bandwidths and
// returns its records file.
func plotSweep(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sw := filepath.Join(dir, "sweep.yaml")
	err := os.WriteFile(sw, []byte(`name: plots
base:
  name: plots
  techniques: [cold, precopy]
  memory: {size: 64MiB, page_size: 4KiB}
  workload: {dirty_rate: 10MB/s}
  network: {bandwidth: 100MB/s, latency: 1ms}
  repetitions: 1
grid:
  workload.dirty_rate: [1MB/s, 5MB/s]
  network.bandwidth: [100MB/s, 1Gbit/s]
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	recs := filepath.Join(dir, "r.jsonl")
	if _, errOut, code := run(t, "sweep", "-q", sw, "-o", recs); code != ExitOK {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	return recs
}

// TestReportPlotSweep: a sweep's records (no measurements) make figures in
// every format asked, series split by bandwidth; the plots that need
// measured records are named on stderr, not an error.
func TestReportPlotSweep(t *testing.T) {
	recs := plotSweep(t)
	dir := filepath.Join(t.TempDir(), "figs")
	out, errOut, code := run(t, "report", recs, "--plot", dir, "--plot-format", "svg,pdf,png,eps",
		"--plot-size", "3.5x2.5in", "--plot-dpi", "200", "--no-title", "--series-by", "network.bandwidth")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	lines := strings.Fields(out)
	for _, name := range []string{"downtime_vs_dirty_rate", "downtime_cdf", "downtime_vs_link_rate_latency_1ms", "total_time_vs_link_rate_latency_1ms"} {
		for _, ext := range []string{"svg", "pdf", "png", "eps"} {
			if p := filepath.Join(dir, name+"."+ext); !slices.Contains(lines, p) {
				t.Errorf("stdout does not list %s:\n%s", p, out)
			}
		}
	}
	if !strings.Contains(errOut, "note: no downtime_pred_vs_meas plot:") || strings.Contains(errOut, "downtime_vs_memory") {
		t.Errorf("stderr should name the predicted-vs-measured plots (no measurements) and not the memory plot (one size):\n%s", errOut)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "downtime_cdf.pdf"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("/MediaBox [0 0 252.00 180.00]")) {
		t.Errorf("downtime_cdf.pdf: %v, starts %q, want a 252x180 pt PDF", err, pdf[:min(len(pdf), 8)])
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "downtime_vs_dirty_rate.svg"))
	for _, w := range []string{">network.bandwidth<", ">100 MB/s<", ">125 MB/s<"} {
		if !bytes.Contains(svg, []byte(w)) {
			t.Errorf("split figure lacks %q", w)
		}
	}
	if bytes.Contains(svg, []byte("Downtime vs dirty rate")) {
		t.Error("--no-title figure has its title")
	}
}

// TestReportPlotUsage: bad plot flags are usage errors (exit 2) that say
// which spellings work, before any file is read.
func TestReportPlotUsage(t *testing.T) {
	recs := plotSweep(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--plot", dir, "--plot-size", "3.5x2.5"}, []string{"--plot-size", "no unit", "3.5x2.5in", "9x6cm"}},
		{[]string{"--plot", dir, "--plot-size", "big"}, []string{"WIDTHxHEIGHT", "3.5x2.5in"}},
		{[]string{"--plot", dir, "--plot-size", "1x1in"}, []string{"too small", "2x1.5 in"}},
		{[]string{"--plot", dir, "--plot-format", "svg,jpg"}, []string{`unknown format "jpg"`, "svg, png, pdf, eps, tex"}},
		{[]string{"--plot", dir, "--plot-dpi", "5"}, []string{"30 to 2400"}},
		{[]string{"--plot-format", "pdf"}, []string{"--plot-format needs --plot DIR"}},
		{[]string{"--no-title"}, []string{"--no-title needs --plot DIR"}},
		{[]string{"--plot", dir, "--series-by", "network.bw"}, []string{`no scenario parameter "network.bw"`, "network.bandwidth, workload.dirty_rate"}},
	} {
		args := append([]string{"report", recs}, c.args...)
		_, errOut, code := run(t, args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		msg := reportErr(t, args)
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: error %q (stderr %q) lacks %q", c.args, msg, errOut, w)
			}
		}
	}
}

// reportErr runs migrlab and returns its error's message.
func reportErr(t *testing.T, args []string) string {
	t.Helper()
	app := App()
	app.Writer, app.ErrWriter = &strings.Builder{}, &strings.Builder{}
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := Run(t.Context(), app, append([]string{"migrlab"}, args...))
	if err == nil {
		return ""
	}
	return err.Error()
}
