package plot

import (
	"image/color"
	"math"
	"slices"
	"strings"
)

// Layout constants in pixels.
const (
	pad        = 14.0 // figure edge to content
	tickLen    = 5.0
	minorLen   = 3.0
	tickGap    = 4.0 // tick mark to its label
	legendGap  = 28.0
	legendRow  = 20.0
	legendSamp = 28.0 // width of a legend sample
	markerR    = 5.0  // radius of a point marker
	vertexR    = 3.2  // radius of a line-vertex marker
	lineW      = 2.0
	outlineW   = 1.6 // hollow markers
)

// Colours of the frame and decorations.
var (
	colorWhite = color.RGBA{0xff, 0xff, 0xff, 0xff}
	colorText  = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	colorFrame = color.RGBA{0x40, 0x40, 0x40, 0xff}
	colorGrid  = color.RGBA{0xe3, 0xe3, 0xe3, 0xff}
	colorRef   = color.RGBA{0x70, 0x70, 0x70, 0xff}
	colorNote  = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

// anchor is where a text's reference point is.
type anchor int

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// primKind is a drawing primitive's kind.
type primKind int

const (
	primRect   primKind = iota // fill, stroke
	primLine                   // polyline
	primMarker                 // a data marker
	primText
)

// pt is a point in pixels, y down.
type pt struct{ X, Y float64 }

// prim is one drawing primitive in pixels, the common ground of SVG and PNG.
type prim struct {
	kind  primKind
	class string // what it is, for SVG and tests: "frame", "yx", "marker", ...
	color color.RGBA
	// rect: pts[0] top-left, pts[1] bottom-right; fill (alpha 0: none) and
	// stroke of width
	fill  color.RGBA
	pts   []pt
	width float64
	dash  []float64
	// marker at pts[0]
	shape  Shape
	radius float64
	hollow bool
	// text at pts[0] (baseline)
	text   string
	size   float64
	bold   bool
	anchor anchor
	rotate bool // -90 degrees, reading upwards
}

// rect is an area in pixels.
type rect struct{ X0, Y0, X1, Y1 float64 }

// scene is a figure laid out in pixels.
type scene struct {
	w, h  int
	plot  rect
	x, y  Axis
	prims []prim
}

// px maps an x value in base units to a pixel column.
func (s *scene) px(v float64) float64 {
	return s.plot.X0 + frac(s.x, v)*(s.plot.X1-s.plot.X0)
}

// py maps a y value in base units to a pixel row (y grows upwards).
func (s *scene) py(v float64) float64 {
	return s.plot.Y1 - frac(s.y, v)*(s.plot.Y1-s.plot.Y0)
}

// frac is v's position along a, 0 at Min and 1 at Max.
func frac(a Axis, v float64) float64 {
	if a.Log {
		return (math.Log10(v) - math.Log10(a.Min)) / (math.Log10(a.Max) - math.Log10(a.Min))
	}
	return (v - a.Min) / (a.Max - a.Min)
}

// layout places everything in pixels. It chooses ticks for axes without them,
// as many as fit without their labels overlapping.
func (f *Figure) layout() (*scene, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	w, h := f.size()
	s := &scene{w: w, h: h, x: f.X, y: f.Y}
	top := pad + 8
	if f.Title != "" {
		top = pad + sizeTitle + 18
	}
	bottom := float64(h) - pad - sizeLabel - 10 - sizeTick - tickLen - tickGap
	legW := f.legendWidth()
	right := float64(w) - pad - legW - legendGap
	same := f.X.Min == f.Y.Min && f.X.Max == f.Y.Max && f.X.Log == f.Y.Log && f.X.Unit == f.Y.Unit &&
		f.X.Ticks == nil && f.Y.Ticks == nil // one scale: one set of ticks
	s.y = fitTicks(f.Y, bottom-top, false)
	leftOf := func(y Axis) float64 { return pad + sizeLabel + 12 + maxLabelWidth(y) + tickLen + tickGap }
	left := leftOf(s.y)
	if f.Square {
		side := math.Min(right-left, bottom-top)
		right, bottom = left+side, top+side
	}
	s.x = fitTicks(f.X, right-left, true)
	switch {
	case same:
		s.y = f.Y
		s.y.Min, s.y.Max, s.y.Ticks, s.y.Minor = s.x.Min, s.x.Max, s.x.Ticks, s.x.Minor
	case f.Square:
		s.y = fitTicks(f.Y, bottom-top, false)
	}
	s.x, s.y = hoistUnit(s.x), hoistUnit(s.y)
	if l := leftOf(s.y); l < left { // shorter labels: give the room to the plot
		if f.Square {
			right -= left - l
		}
		left = l
	}
	s.plot = rect{math.Round(left), math.Round(top), math.Round(right), math.Round(bottom)}
	if f.Square { // exactly square, so y = x runs corner to corner at 45 degrees
		side := math.Round(bottom - top)
		s.plot.X1, s.plot.Y1 = s.plot.X0+side, s.plot.Y0+side
	}
	s.draw(f, legW)
	return s, nil
}

// fitTicks returns a with ticks chosen for length px (horizontal or not): the
// most that keep labels apart.
func fitTicks(a Axis, length float64, horizontal bool) Axis {
	if a.Ticks != nil {
		return a
	}
	per := 55.0
	if horizontal {
		per = 75
	}
	for n := min(10, max(2, int(length/per)+1)); n >= 2; n-- {
		b := a
		b.Ticks, b.Minor = nil, nil
		var vs []float64
		if a.Log {
			vs, b.Minor = LogTicks(a.Min, a.Max, n, a.Unit)
		} else {
			vs = LinearTicks(a.Min, a.Max, n, a.Unit)
		}
		for _, v := range vs {
			b.Ticks = append(b.Ticks, Tick{v, TickLabel(v, a.Unit)})
		}
		if (len(b.Ticks) >= 2 && labelsFit(b, length, horizontal)) || n == 2 {
			return b
		}
	}
	return a
}

// hoistUnit moves a unit that every tick label shares into the axis label:
// ticks "0", "5 s", "10 s" become "0", "5", "10" and the label gains " (s)".
// Axes whose ticks need several units ("100 ms", "1 s") keep them per tick.
func hoistUnit(a Axis) Axis {
	unit := ""
	for _, t := range a.Ticks {
		if t.Value == 0 {
			continue
		}
		i := strings.LastIndexByte(t.Label, ' ')
		if i < 0 || (unit != "" && t.Label[i+1:] != unit) {
			return a
		}
		unit = t.Label[i+1:]
	}
	if unit == "" {
		return a
	}
	a.Ticks = slices.Clone(a.Ticks)
	for i, t := range a.Ticks {
		a.Ticks[i].Label = strings.TrimSuffix(t.Label, " "+unit)
	}
	a.Label += " (" + unit + ")"
	return a
}

// labelsFit reports whether neighbouring tick labels keep apart.
func labelsFit(a Axis, length float64, horizontal bool) bool {
	for i := 1; i < len(a.Ticks); i++ {
		d := (frac(a, a.Ticks[i].Value) - frac(a, a.Ticks[i-1].Value)) * length
		need := sizeTick * 1.6
		if horizontal {
			need = (textWidth(a.Ticks[i].Label, sizeTick, false)+textWidth(a.Ticks[i-1].Label, sizeTick, false))/2 + 12
		}
		if d < need {
			return false
		}
	}
	return true
}

// maxLabelWidth is the widest tick label of a.
func maxLabelWidth(a Axis) float64 {
	w := 0.0
	for _, t := range a.Ticks {
		w = math.Max(w, textWidth(t.Label, sizeTick, false))
	}
	return w
}

// fontSlack is how much wider than the Go font a viewer's fallback font may
// set the legend (DejaVu Sans is about 13% wider) without it leaving the image.
const fontSlack = 1.15

// legendWidth is the width reserved for the legend column: its widest line
// in the Go font, with fontSlack to spare for SVG viewers without it.
func (f *Figure) legendWidth() float64 {
	w := 150.0
	for _, it := range f.Legend {
		tw := textWidth(it.Label, sizeLegend, it.Header)
		if !it.Header {
			tw += legendSamp + 8
		}
		w = math.Max(w, tw)
	}
	return math.Min(w, 260) * fontSlack
}

// draw emits the primitives, back to front.
func (s *scene) draw(f *Figure, legW float64) {
	p := s.plot
	add := func(q prim) { s.prims = append(s.prims, q) }
	add(prim{kind: primRect, class: "background", fill: colorWhite, pts: []pt{{0, 0}, {float64(s.w), float64(s.h)}}})
	for _, t := range s.x.Ticks {
		x := crisp(s.px(t.Value))
		add(prim{kind: primLine, class: "grid", color: colorGrid, width: 1, pts: []pt{{x, p.Y0}, {x, p.Y1}}})
	}
	for _, t := range s.y.Ticks {
		y := crisp(s.py(t.Value))
		add(prim{kind: primLine, class: "grid", color: colorGrid, width: 1, pts: []pt{{p.X0, y}, {p.X1, y}}})
	}
	s.drawAxes()
	for _, sr := range f.Series {
		s.drawSeries(sr)
	}
	add(prim{kind: primRect, class: "frame", color: colorFrame, width: 1, pts: []pt{{p.X0 + 0.5, p.Y0 + 0.5}, {p.X1 - 0.5, p.Y1 - 0.5}}})
	if f.Title != "" {
		add(prim{kind: primText, class: "title", color: colorText, text: f.Title, size: sizeTitle, bold: true,
			anchor: anchorMiddle, pts: []pt{{(p.X0 + p.X1) / 2, pad + sizeTitle}}})
	}
	s.drawLegend(f, p.X1+legendGap, p.Y0, legW)
}

// crisp puts a 1 px line on a pixel centre.
func crisp(v float64) float64 { return math.Floor(v) + 0.5 }
