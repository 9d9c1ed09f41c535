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

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/migrlab/migrlab/reports/bundle"
)

// Comparison is one sim-vs-real comparison and its report directory: every
// scenario migrated by Runner (for real, or replayed) and predicted under
// Calibration (Compare), the records streamed to Dir/records.jsonl as they
// come, then the report directory written (reports/bundle) and the brief
// (reports.Brief: the error per technique beside the testbed's noise)
// rendered to Stdout.
type Comparison struct {
	Runner      Runner
	Calibration models.Calibration
	Scenarios   []models.Scenario
	// Extra records (for example the calibration's own) go into the report
	// before the comparison's.
	Extra []models.Record
	// Dir is the report directory.
	Dir string
	// Title heads report.md; Command and Versions are recorded in it.
	Title    string
	Command  []string
	Versions map[string]string
	// Analytic adds the closed-form model's predictions.
	Analytic bool
	// Progress gets a line per step (nil: none); Stdout the tables in Format.
	Progress io.Writer
	Stdout   io.Writer
	Format   reports.Format
}

// Run runs the comparison and writes the report directory, also after a
// failed migration or an interrupt (with what was measured). It returns
// every record of the report; the error joins the comparison's and the
// report's.
func (c Comparison) Run(ctx context.Context) ([]models.Record, error) {
	progress, stdout := orDiscard(c.Progress), orDiscard(c.Stdout)
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(c.Dir, bundle.RecordsFile))
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	defer f.Close()
	w := models.NewRecordWriter(f)
	for _, x := range c.Extra {
		if err := w.Write(x); err != nil {
			return nil, err
		}
	}
	recs, cerr := Compare(ctx, c.Runner, c.Scenarios, CompareOptions{
		Calibration: c.Calibration, Predictor: SimPredictor{NoAnalytic: !c.Analytic},
		Provenance: buildinfo.Provenance(), Progress: progress, Emit: w.Write,
	})
	f.Close()
	all := append(slices.Clone(c.Extra), recs...)
	calib := c.Calibration
	if _, err := bundle.Write(c.Dir, bundle.Input{Title: c.Title, Records: all, Calibration: &calib,
		Command: c.Command, Versions: c.Versions}); err != nil {
		return all, errors.Join(cerr, fmt.Errorf("report directory: %w", err))
	}
	if err := writeSummary(stdout, c.Format, all, &calib, c.Dir); err != nil {
		return all, err
	}
	fmt.Fprintf(progress, "report: %s (every pair, the error per scenario and phase, plots: %s, %s, %s, %s/)\n",
		c.Dir, bundle.ReportFile, bundle.PhasesFile, bundle.RecordsFile, bundle.PlotsDir)
	return all, cerr
}

// terminalLines is about how many lines a comparison prints when it ends:
// the brief, and the per-scenario scores when they fit beside it.
const terminalLines = 40

// writeSummary renders the brief (reports.Brief) to w, then the scores per
// validation scenario (reports.ScenarioScoresTable) when both fit in
// terminalLines with the line that names the report directory; else one
// line says where they are. CSV and JSON get the brief alone: one table
// that a program reads.
func writeSummary(w io.Writer, f reports.Format, recs []models.Record, calib *models.Calibration, dir string) error {
	var brief, scores bytes.Buffer
	if err := reports.Render(&brief, f, reports.Brief(recs, calib)); err != nil {
		return err
	}
	if f == reports.FormatCSV || f == reports.FormatJSON {
		_, err := w.Write(brief.Bytes())
		return err
	}
	t := reports.ScenarioScoresTable(recs)
	if len(t.Rows) == 0 {
		_, err := w.Write(brief.Bytes())
		return err
	}
	if err := reports.Render(&scores, f, t); err != nil {
		return err
	}
	if lines := bytes.Count(brief.Bytes(), []byte("\n")) + 1 + bytes.Count(scores.Bytes(), []byte("\n")) + 1; lines <= terminalLines {
		_, err := fmt.Fprintf(w, "%s\n%s", brief.Bytes(), scores.Bytes())
		return err
	}
	_, err := fmt.Fprintf(w, "%s\nPer validation scenario and technique (%d rows): %s\n", brief.Bytes(), len(t.Rows),
		filepath.Join(dir, bundle.ReportFile))
	return err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
