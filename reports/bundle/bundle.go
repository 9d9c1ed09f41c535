// Package bundle writes a report directory: everything a sim-vs-real
// comparison produced, re-renderable from its records alone.
package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/reports/plot"
)

// Input is what goes into a report directory.
type Input struct {
	// Title heads report.md.
	Title string
	// Records are all records of the run (real, sim, analytic).
	Records []models.Record
	// Calibration used by the simulator, if any.
	Calibration *models.Calibration
	// Command is the exact command line that produced the run.
	Command []string
	// Versions are tool and host versions (migrlab, go, kernel, podman, criu...).
	Versions map[string]string
}

// Files written into a report directory.
const (
	RecordsFile     = "records.jsonl"
	CalibrationFile = "calibration.json"
	ReportFile      = "report.md"
	CommandFile     = "command.txt"
	VersionsFile    = "versions.json"
	PhasesFile      = "phases.md"
	PlotsDir        = "plots"
)

// Write creates dir and writes records.jsonl, calibration.json, report.md,
// phases.md, plots/*.svg|png, command.txt and versions.json. It returns the paths written.
// Plots without data are skipped and noted in report.md, not an error.
func Write(dir string, in Input) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	var written []string
	put := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		written = append(written, p)
		return nil
	}
	var recs bytes.Buffer
	w := models.NewRecordWriter(&recs)
	for _, r := range in.Records {
		if err := w.Write(r); err != nil {
			return written, err
		}
	}
	if err := put(RecordsFile, recs.Bytes()); err != nil {
		return written, err
	}
	if in.Calibration != nil {
		var b bytes.Buffer
		if err := models.WriteCalibration(&b, *in.Calibration); err != nil {
			return written, err
		}
		if err := put(CalibrationFile, b.Bytes()); err != nil {
			return written, err
		}
	}
	if err := put(CommandFile, []byte(shellJoin(in.Command)+"\n")); err != nil {
		return written, err
	}
	v, _ := json.MarshalIndent(in.Versions, "", "  ")
	if err := put(VersionsFile, append(v, '\n')); err != nil {
		return written, err
	}
	plots, perr := plot.WriteAll(filepath.Join(dir, PlotsDir), in.Records)
	var skipped *plot.SkippedError
	if perr != nil && !errors.As(perr, &skipped) {
		return written, fmt.Errorf("plots: %w", perr)
	}
	written = append(written, plots...)
	md, err := Markdown(in, dir, plots, skipped)
	if err != nil {
		return written, err
	}
	if err := put(ReportFile, md); err != nil {
		return written, err
	}
	ph, err := PhasesMarkdown(in.Records)
	if err != nil {
		return written, err
	}
	return written, put(PhasesFile, ph)
}

// PhasesMarkdown renders phases.md: where the simulator's prediction error
// comes from, phase by phase (reports.PhaseTables), summary then detail.
func PhasesMarkdown(recs []models.Record) ([]byte, error) {
	detail, summary := reports.PhaseTables(recs)
	var b bytes.Buffer
	b.WriteString("# Where the prediction error comes from\n\n")
	if err := reports.Render(&b, reports.FormatMarkdown, summary); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	if err := reports.Render(&b, reports.FormatMarkdown, detail); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Markdown renders report.md: command, versions, the comparison and its error
// summary, the per-technique summary, plots, and which scenarios calibrated.
func Markdown(in Input, dir string, plots []string, skipped *plot.SkippedError) ([]byte, error) {
	var b bytes.Buffer
	title := in.Title
	if title == "" {
		title = "migrlab report"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	fmt.Fprintf(&b, "Produced by:\n\n```\n%s\n```\n\n", shellJoin(in.Command))
	if len(in.Versions) > 0 {
		keys := make([]string, 0, len(in.Versions))
		for k := range in.Versions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("| Version | |\n| :--- | :--- |\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "| %s | %s |\n", k, in.Versions[k])
		}
		b.WriteString("\n")
	}
	roles := rolesOf(in.Records)
	if len(roles["calibration"]) > 0 || len(roles["validation"]) > 0 {
		fmt.Fprintf(&b, "Calibration scenarios (not judged): %s.  \nValidation scenarios (judged): %s.\n\n",
			listOr(roles["calibration"]), listOr(roles["validation"]))
	}
	pairs, scores := reports.ComparisonTables(in.Records)
	b.WriteString("## Prediction error\n\n")
	if err := reports.Render(&b, reports.FormatMarkdown, reports.Brief(in.Records, in.Calibration)); err != nil {
		return nil, err
	}
	if t := reports.ScenarioScoresTable(in.Records); len(t.Rows) > 0 {
		b.WriteString("\n")
		if err := reports.Render(&b, reports.FormatMarkdown, t); err != nil {
			return nil, err
		}
	}
	if floor := reports.NoiseFloor(in.Records); len(floor) > 0 {
		b.WriteString("\n")
		t := reports.RepeatabilityTable(floor)
		t.Title = "The testbed's noise floor: the same scenario and technique migrated again (calibration and validation migrations)"
		if err := reports.Render(&b, reports.FormatMarkdown, t); err != nil {
			return nil, err
		}
	}
	for _, t := range scores {
		b.WriteString("\n")
		if err := reports.Render(&b, reports.FormatMarkdown, t); err != nil {
			return nil, err
		}
	}
	b.WriteString("\n## Predicted vs measured, per scenario\n\n")
	if err := reports.Render(&b, reports.FormatMarkdown, pairs); err != nil {
		return nil, err
	}
	b.WriteString("\n## Summary per scenario, technique and backend\n\n")
	if err := reports.Render(&b, reports.FormatMarkdown, reports.Summarize(in.Records)); err != nil {
		return nil, err
	}
	b.WriteString("\n## Plots\n\n")
	for _, p := range plots {
		if strings.HasSuffix(p, ".png") {
			rel, _ := filepath.Rel(dir, p)
			fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(filepath.Base(p), ".png"), rel)
		}
	}
	if skipped != nil {
		for _, s := range skipped.Skipped {
			fmt.Fprintf(&b, "- %s not drawn: %v\n", s.Name, s.Reason)
		}
	}
	if c := in.Calibration; c != nil {
		b.WriteString("\n## Calibration\n\n")
		live := ""
		if c.Network.LiveBandwidth > 0 {
			live = fmt.Sprintf(" (live rounds %s)", c.Network.LiveBandwidth)
		}
		fmt.Fprintf(&b, "Testbed %q, %s. Link %s%s, latency %s; base memory %s, of which the runtime dirties %s in every round "+
			"and %s (the workload writes at its configured rate).\n\n",
			c.Testbed, c.Created, c.Network.Bandwidth, live, c.Network.Latency, c.BaseMemory, c.RuntimeHot, c.RuntimeWrites())
		b.WriteString("| Fit | y | x | intercept | slope | R² | n |\n| :--- | :--- | :--- | ---: | ---: | ---: | ---: |\n")
		for _, f := range c.Fits {
			fmt.Fprintf(&b, "| %s | %s | %s | %.4g | %.4g | %.3f | %d |\n", f.Name, f.Y, f.X, f.Intercept, f.Slope, f.R2, f.N)
		}
	}
	b.WriteString("\nRe-render any table with `migrlab report records.jsonl` (add `--compare`, `-f latex`).\n")
	return b.Bytes(), nil
}

func rolesOf(recs []models.Record) map[string][]string {
	seen := map[string]bool{}
	out := map[string][]string{}
	for _, r := range recs {
		role := string(r.Role)
		if role == "" || seen[role+"\x00"+r.Scenario] {
			continue
		}
		seen[role+"\x00"+r.Scenario] = true
		out[role] = append(out[role], r.Scenario)
	}
	return out
}

func listOr(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// shellJoin quotes args so the command can be pasted into a shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"$`\\|&;<>()*?[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
