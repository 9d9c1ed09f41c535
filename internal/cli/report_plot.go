package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports/plot"
	"github.com/urfave/cli/v2"
)

// plotFlags are report's flags for figures (docs/reports.md).
func plotFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "plot", Usage: "write the records' figures into `DIR` (created if missing) instead of a table; " +
			"plots without data are named on stderr"},
		&cli.StringFlag{Name: "plot-format", Value: "svg", Usage: "figure formats, comma-separated: svg, png, pdf, eps, tex"},
		&cli.StringFlag{Name: "plot-size", Value: "7x5in", Usage: "figure size WIDTHxHEIGHT in in, cm, mm or pt " +
			"(3.5x2.5in: one column of a paper); text stays 8 pt and up at that size"},
		&cli.IntFlag{Name: "plot-dpi", Value: plot.DefaultDPI, Usage: "resolution of PNG figures in dots per inch"},
		&cli.BoolFlag{Name: "no-title", Usage: "figures without their titles and notes (a paper's caption says them); the notes go to stderr"},
		&cli.StringFlag{Name: "series-by", Usage: "split the figures' series by this scenario `PARAMETER` " +
			"(network.bandwidth, memory.size, workload.dirty_rate, ...) instead of pooling its values"},
	}
}

// plotRequest is what report's plot flags ask for; the parameter to split
// series by is found in the records once they are read.
type plotRequest struct {
	dir      string
	opts     plot.Options
	seriesBy string
}

// plotRequestOf reads and checks the plot flags before any file is read: a
// bad format or size is a usage error (exit 2) naming what works, and so is
// a plot flag without --plot. ok is false without --plot.
func plotRequestOf(c *cli.Context) (req plotRequest, ok bool, err error) {
	if !c.IsSet("plot") {
		for _, name := range []string{"plot-format", "plot-size", "plot-dpi", "no-title", "series-by"} {
			if c.IsSet(name) {
				return req, false, usagef("report: --%s needs --plot DIR (the directory the figures go to)", name)
			}
		}
		return req, false, nil
	}
	req.dir = c.String("plot")
	if req.dir == "" {
		return req, false, usagef("report: --plot needs a directory")
	}
	if req.opts.Formats, err = plot.ParseFormats(c.String("plot-format")); err != nil {
		return req, false, plotUsage("--plot-format", err)
	}
	if req.opts.Width, req.opts.Height, err = plot.ParseSize(c.String("plot-size")); err != nil {
		return req, false, plotUsage("--plot-size", err)
	}
	if d := c.Int("plot-dpi"); d < 30 || d > 2400 {
		return req, false, usagef("report: --plot-dpi %d: want 30 to 2400 dots per inch (150 on screen, 300 or 600 in print)", d)
	}
	req.opts.DPI = c.Int("plot-dpi")
	req.opts.NoTitle = c.Bool("no-title")
	req.seriesBy = c.String("series-by")
	return req, true, nil
}

// plotUsage is a usage error of a plot flag, without the package's prefix.
func plotUsage(flag string, err error) error {
	return usagef("report: %s: %s", flag, strings.TrimPrefix(err.Error(), "plot: "))
}

// writePlots writes the records' figures: the paths on stdout, one a line,
// and the plots left out for lack of data, with the reason, on stderr.
func writePlots(c *cli.Context, recs []models.Record, req plotRequest) error {
	by, err := plot.ParseBy(recs, req.seriesBy)
	if err != nil {
		return plotUsage("--series-by", err)
	}
	req.opts.By = by
	req.opts.Notes = prefixWriter{c.App.ErrWriter, "note: "}
	paths, err := plot.WriteAllWith(req.dir, recs, req.opts)
	for _, p := range paths {
		fmt.Fprintln(c.App.Writer, p)
	}
	var sk *plot.SkippedError
	if errors.As(err, &sk) {
		for _, s := range sk.Skipped {
			fmt.Fprintf(c.App.ErrWriter, "note: no %s plot: %s\n", s.Name, strings.TrimPrefix(s.Reason.Error(), "plot: "))
		}
		err = nil
	}
	if err == nil && len(paths) == 0 {
		return fmt.Errorf("report: no figure could be drawn from these records")
	}
	return err
}

// prefixWriter writes each Write (one line) to w after prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}
