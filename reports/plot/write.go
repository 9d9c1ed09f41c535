package plot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// Skip is a plot [WriteAll] did not write, and why.
type Skip struct {
	// Name is the plot's file name without extension.
	Name   string
	Reason error
}

// SkippedError lists the plots [WriteAll] skipped for lack of data. It is a
// warning: the other plots were written.
type SkippedError struct{ Skipped []Skip }

// Error lists the skipped plots and their reasons.
func (e *SkippedError) Error() string {
	parts := make([]string, len(e.Skipped))
	for i, s := range e.Skipped {
		parts[i] = s.Name + ": " + s.Reason.Error()
	}
	return "plot: skipped " + strings.Join(parts, "; ")
}

// Unwrap returns the reasons, so errors.Is(err, ErrNoData) holds.
func (e *SkippedError) Unwrap() []error {
	out := make([]error, len(e.Skipped))
	for i, s := range e.Skipped {
		out[i] = s.Reason
	}
	return out
}

// Standard plots, in the order WriteAll writes them.
var standard = []struct {
	name  string
	build func([]models.Record) (*Figure, error)
}{
	{"downtime_pred_vs_meas", func(r []models.Record) (*Figure, error) { return PredictedVsMeasured(r, "downtime") }},
	{"total_time_pred_vs_meas", func(r []models.Record) (*Figure, error) { return PredictedVsMeasured(r, "total_time") }},
	{"bytes_pred_vs_meas", func(r []models.Record) (*Figure, error) { return PredictedVsMeasured(r, "bytes") }},
	{"downtime_vs_dirty_rate", DowntimeVsDirtyRate},
}

// WriteAll writes the standard plots of recs into dir (created if missing),
// each as NAME.svg and NAME.png: downtime_pred_vs_meas,
// total_time_pred_vs_meas, bytes_pred_vs_meas and downtime_vs_dirty_rate,
// and for records on shaped links LinkRatePlots' figures. It returns the
// paths written. Plots without data are skipped: then the error
// is a *[SkippedError] naming them and why, and the other files are written.
// Any other error stops it.
func WriteAll(dir string, recs []models.Record) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	var written []string
	var skipped []Skip
	for _, p := range standard {
		fig, err := p.build(recs)
		if errors.Is(err, ErrNoData) {
			skipped = append(skipped, Skip{Name: p.name, Reason: err})
			continue
		}
		if err != nil {
			return written, err
		}
		paths, err := writeFigure(dir, p.name, fig)
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	links, err := LinkRatePlots(recs)
	if err != nil {
		skipped = append(skipped, Skip{Name: "vs_link_rate", Reason: err})
	}
	for _, n := range links {
		paths, err := writeFigure(dir, n.Name, n.Figure)
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	if len(skipped) > 0 {
		return written, &SkippedError{Skipped: skipped}
	}
	return written, nil
}

// writeFigure writes fig as dir/name.svg and dir/name.png.
func writeFigure(dir, name string, fig *Figure) ([]string, error) {
	var written []string
	for _, out := range []struct {
		ext   string
		write func(io.Writer) error
	}{{"svg", fig.WriteSVG}, {"png", fig.WritePNG}} {
		path := filepath.Join(dir, name+"."+out.ext)
		if err := writeFile(path, out.write); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// writeFile writes path through write, reporting close errors.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
