// Package plot renders migrlab records as figures: predicted against measured
// metrics, and downtime against the workload's dirty rate.
//
// A plot is first built as a neutral [Figure] (axes with their ticks, series of
// points or lines, a legend, notes). [Figure.Write] lays that description out
// once, in points at the figure's size in inches, with our own ticks
// (ticks.go), palette and layout, and draws the same primitives onto a
// gonum.org/v1/plot vg.Canvas, so SVG, PNG, PDF, EPS and TeX (PGF) files of a
// figure match. Text is Liberation Sans, 8 pt and up at the stated size.
package plot

import (
	"fmt"
	"image/color"
	"slices"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"gonum.org/v1/plot/vg"
)

// The smallest figure the layout fits axes, ticks and a legend into.
const (
	MinWidth  = 2 * vg.Inch
	MinHeight = 1.5 * vg.Inch
)

// Default figure size (7 x 5 in) and PNG resolution.
const (
	DefaultWidth  = 7 * vg.Inch
	DefaultHeight = 5 * vg.Inch
	DefaultDPI    = 150
)

// Figure is a plot independent of its output format. Its fields can be
// adjusted (size, title, axis labels, colours) before writing it.
type Figure struct {
	// Width and Height are the figure's size (zero means the default); fonts
	// keep their size in points, so a smaller figure holds less, not smaller
	// text.
	Width, Height vg.Length
	// DPI is the resolution of raster output (PNG) in dots per inch (zero
	// means DefaultDPI).
	DPI int
	// Title is drawn above the plot area.
	Title string
	// X and Y are the axes.
	X, Y Axis
	// Square makes the plot area square (for predicted-vs-measured plots).
	Square bool
	// Series are drawn in order, later ones on top.
	Series []Series
	// Legend is drawn outside the plot area, on the right.
	Legend []LegendItem
	// Notes are short remarks drawn under the legend (what was left out, and why).
	Notes []string
}

// Axis is one axis: its label, unit, scale and ticks.
type Axis struct {
	// Label names the quantity; tick labels carry the unit.
	Label string
	// Unit chooses how tick labels are written ("10 ms", "256 MiB", "5 MB/s").
	Unit reports.Unit
	// Log makes the axis logarithmic (Min must be positive).
	Log bool
	// Min and Max are the axis range in base units.
	Min, Max float64
	// Ticks are the labelled ticks, with grid lines.
	Ticks []Tick
	// Minor are unlabelled ticks (log axes).
	Minor []float64
}

// Tick is a labelled position on an axis, in base units.
type Tick struct {
	Value float64
	Label string
}

// SeriesKind says how a series is drawn.
type SeriesKind int

// Series kinds.
const (
	// KindPoints draws a marker at every point.
	KindPoints SeriesKind = iota
	// KindLine joins the points in order, with a small marker at each.
	KindLine
	// KindReference joins the points with a thin dashed grey line and no
	// markers (the y = x line).
	KindReference
	// KindStep draws a distribution function: from (first X, 0) a step up
	// to each point and across to the next; markers only at points with
	// Mark set.
	KindStep
)

// Shape is a marker's shape.
type Shape int

// Marker shapes.
const (
	ShapeCircle Shape = iota
	ShapeTriangle
	ShapeSquare
	ShapeDiamond
	// ShapeNone draws no marker (legend items for lines only).
	ShapeNone
)

// Series is a set of points drawn alike.
type Series struct {
	// Name identifies the series (for tests and SVG ids); the legend says what
	// it means to a reader.
	Name   string
	Kind   SeriesKind
	Color  color.RGBA
	Shape  Shape
	Dashed bool
	// Dotted draws the line dotted (when not Dashed).
	Dotted bool
	Points []Point
}

// Point is one data point in base units.
type Point struct {
	X, Y float64
	// Hollow draws the marker as an outline (calibration scenarios).
	Hollow bool
	// Mark puts a marker on a KindStep series' point.
	Mark bool
}

// LegendItem is one line of the legend.
type LegendItem struct {
	Label string
	// Header makes the item a bold group heading without a sample.
	Header bool
	// Color, Shape and Hollow describe the marker sample; Line draws a line
	// sample (dashed if Dashed) behind it.
	Color  color.RGBA
	Shape  Shape
	Hollow bool
	Line   bool
	Dashed bool
	Dotted bool
}

// Okabe-Ito colours, safe for the common forms of colour blindness.
var (
	ColorBlack     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	ColorOrange    = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	ColorSkyBlue   = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	ColorGreen     = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	ColorBlue      = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	ColorVermilion = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	ColorPurple    = color.RGBA{0xcc, 0x79, 0xa7, 0xff}
)

// techniqueColors gives every known technique a fixed colour, so a technique
// looks the same in every figure.
var techniqueColors = map[string]color.RGBA{
	models.Cold:     ColorBlue,
	models.PreCopy:  ColorVermilion,
	models.MiGrror:  ColorGreen,
	models.PostCopy: ColorPurple,
}

// spareColors are given, in order, to techniques not in techniqueColors.
var spareColors = []color.RGBA{ColorOrange, ColorSkyBlue, ColorBlack}

// sortTechniques returns the distinct names in
// models.TechniqueNames order, unknown ones after, alphabetically.
func sortTechniques(names []string) []string {
	out := slices.Clone(names)
	slices.Sort(out)
	out = slices.Compact(out)
	slices.SortStableFunc(out, func(a, b string) int {
		return rank(a) - rank(b)
	})
	return out
}

// rank is a technique's position in models.TechniqueNames, or after it.
func rank(t string) int {
	if i := slices.Index(models.TechniqueNames, t); i >= 0 {
		return i
	}
	return len(models.TechniqueNames)
}

// colors assigns colours to sorted techniques: known ones their own, the
// others spare colours in order.
func colors(techniques []string) map[string]color.RGBA {
	m := map[string]color.RGBA{}
	unknown := 0
	for _, t := range techniques {
		c, ok := techniqueColors[t]
		if !ok {
			c = spareColors[unknown%len(spareColors)]
			unknown++
		}
		m[t] = c
	}
	return m
}

// size returns the figure's size in points, defaults applied.
func (f *Figure) size() (w, h float64) {
	w, h = f.Width.Points(), f.Height.Points()
	if w <= 0 {
		w = DefaultWidth.Points()
	}
	if h <= 0 {
		h = DefaultHeight.Points()
	}
	return w, h
}

// dpi returns the raster resolution, the default applied.
func (f *Figure) dpi() int {
	if f.DPI <= 0 {
		return DefaultDPI
	}
	return f.DPI
}

// validate reports a figure that cannot be drawn.
func (f *Figure) validate() error {
	for _, a := range []struct {
		name string
		ax   Axis
	}{{"x", f.X}, {"y", f.Y}} {
		if !(a.ax.Max > a.ax.Min) {
			return fmt.Errorf("plot: %s axis range [%g, %g] is empty", a.name, a.ax.Min, a.ax.Max)
		}
		if a.ax.Log && a.ax.Min <= 0 {
			return fmt.Errorf("plot: %s axis is logarithmic but starts at %g", a.name, a.ax.Min)
		}
	}
	if w, h := f.size(); w < MinWidth.Points() || h < MinHeight.Points() {
		return fmt.Errorf("plot: figure %.3gx%.3g in is too small (at least %gx%g in)", w/72, h/72, MinWidth/vg.Inch, MinHeight/vg.Inch)
	}
	if d := f.dpi(); d > 2400 {
		return fmt.Errorf("plot: %d dpi is too fine (at most 2400)", d)
	}
	return nil
}
