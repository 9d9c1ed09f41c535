package plot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrlab/migrlab/models"
	"gonum.org/v1/plot/vg"
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

// Standard plots, in the order WriteAll writes them. An optional plot whose
// records hold one value of its x parameter is not that kind of study: it is
// left out without a word.
var standard = []struct {
	name     string
	optional bool
	build    func([]models.Record, By) (*Figure, error)
}{
	{"downtime_pred_vs_meas", false, func(r []models.Record, _ By) (*Figure, error) { return PredictedVsMeasured(r, "downtime") }},
	{"total_time_pred_vs_meas", false, func(r []models.Record, _ By) (*Figure, error) { return PredictedVsMeasured(r, "total_time") }},
	{"bytes_pred_vs_meas", false, func(r []models.Record, _ By) (*Figure, error) { return PredictedVsMeasured(r, "bytes") }},
	{"downtime_vs_dirty_rate", false, DowntimeVsDirtyRate},
	{"downtime_vs_memory", true, DowntimeVsMemory},
	{"downtime_cdf", false, DowntimeCDF},
}

// Options say how [WriteAllWith] writes figures. The zero Options write SVG
// and PNG at the default size, with titles, series not split.
type Options struct {
	// Formats are the files written per figure (nil: SVG and PNG).
	Formats []Format
	// Width, Height and DPI set every figure's (zero: the defaults).
	Width, Height vg.Length
	DPI           int
	// NoTitle leaves the titles and the notes out (a paper's caption says
	// them); the notes go to Notes, "NAME: note" a line, if it is not nil.
	NoTitle bool
	Notes   io.Writer
	// By splits the series of the plots against a parameter and of the
	// CDF by a scenario parameter ([ParseBy]).
	By By
}

// WriteAll writes the standard plots of recs into dir (created if missing),
// each as NAME.svg and NAME.png, at the default size: downtime_pred_vs_meas,
// total_time_pred_vs_meas, bytes_pred_vs_meas, downtime_vs_dirty_rate,
// downtime_vs_memory (with two memory sizes or more), downtime_cdf, and for
// records across link rates LinkRatePlots' figures. It returns the paths
// written. Plots without data are skipped: then the error is a
// *[SkippedError] naming them and why, and the other files are written.
// Any other error stops it.
func WriteAll(dir string, recs []models.Record) ([]string, error) {
	return WriteAllWith(dir, recs, Options{})
}

// WriteAllWith is [WriteAll] with options: formats, size, titles, series.
func WriteAllWith(dir string, recs []models.Record, o Options) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	var written []string
	var skipped []Skip
	for _, p := range standard {
		fig, err := p.build(recs, o.By)
		if errors.Is(err, ErrNoData) {
			if !p.optional || !errors.Is(err, errOneX) {
				skipped = append(skipped, Skip{Name: p.name, Reason: err})
			}
			continue
		}
		if err != nil {
			return written, err
		}
		paths, err := writeFigure(dir, p.name, fig, o)
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	links, err := LinkRatePlots(recs, o.By)
	if err != nil {
		skipped = append(skipped, Skip{Name: "vs_link_rate", Reason: err})
	}
	for _, n := range links {
		paths, err := writeFigure(dir, n.Name, n.Figure, o)
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

// apply sets the figure's size, resolution and, with NoTitle, takes its
// title and notes away (the notes to o.Notes).
func (o Options) apply(name string, fig *Figure) {
	fig.Width, fig.Height, fig.DPI = o.Width, o.Height, o.DPI
	if o.NoTitle {
		fig.Title = ""
		for _, n := range fig.Notes {
			if o.Notes != nil {
				fmt.Fprintf(o.Notes, "%s: %s\n", name, n)
			}
		}
		fig.Notes = nil
	}
}

// writeFigure writes fig as dir/name.FORMAT for each of o's formats.
func writeFigure(dir, name string, fig *Figure, o Options) ([]string, error) {
	o.apply(name, fig)
	formats := o.Formats
	if formats == nil {
		formats = []Format{FormatSVG, FormatPNG}
	}
	var written []string
	for _, f := range formats {
		path := filepath.Join(dir, name+"."+string(f))
		if err := writeFile(path, func(w io.Writer) error { return fig.Write(w, f) }); err != nil {
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
