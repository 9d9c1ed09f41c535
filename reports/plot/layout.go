package plot

import (
	"image/color"
	"math"
)

// Layout constants in points (1/72 inch), for fonts of 8 to 10 pt.
const (
	pad            = 9.0 // figure edge to content
	tickLen        = 3.5
	minorLen       = 2.0
	tickGap        = 2.5  // tick mark to its label
	labelGap       = 6.0  // tick labels to the axis label
	legendGap      = 14.0 // plot area to a legend on its right
	legendGapBelow = 6.0  // x axis label to a legend under it
	legendRow      = 11.5
	legendSamp     = 18.0 // width of a legend sample
	markerR        = 3.2  // radius of a point marker
	vertexR        = 2.1  // radius of a line-vertex marker
	lineW          = 1.3
	outlineW       = 1.0 // hollow markers
	hairW          = 0.6 // grid, ticks and frame
	refW           = 0.9 // the y = x line
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

// pt is a point in points from the top-left corner, y down.
type pt struct{ X, Y float64 }

// prim is one drawing primitive, what the layout hands the renderer.
type prim struct {
	kind  primKind
	class string // what it is, for tests: "frame", "ref", "marker", ...
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

// rect is an area in points.
type rect struct{ X0, Y0, X1, Y1 float64 }

// scene is a figure laid out in points.
type scene struct {
	w, h  float64
	plot  rect
	x, y  Axis
	prims []prim
}

// px maps an x value in base units to a horizontal position.
func (s *scene) px(v float64) float64 {
	return s.plot.X0 + frac(s.x, v)*(s.plot.X1-s.plot.X0)
}

// py maps a y value in base units to a vertical position (values grow upwards).
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

// layout places everything in points. It chooses ticks for axes without
// them, as many as fit without their labels overlapping, and puts the legend
// right of the plot area, or under it when the figure is too narrow for that.
func (f *Figure) layout() (*scene, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	w, h := f.size()
	s := &scene{w: w, h: h, x: f.X, y: f.Y}
	top := pad + 5
	if f.Title != "" {
		top = pad + sizeTitle + 10
	}
	legW := f.legendWidth()
	below := legW+legendGap > 0.38*w // the plot area would get under 62% of the width
	if below && f.Square {
		below = f.squareBelow(w, h, top, legW)
	}
	var leg legendBlock
	bottom := h - pad - xAxisHeight
	right := w - pad - legW - legendGap
	if below {
		leg = f.legendBelow(w - pad - yLabelColumn)
		right = w - pad
		if leg.h > 0 {
			bottom -= leg.h + legendGapBelow
		}
	} else {
		leg = f.legendRight(legW)
	}
	same := f.X.Min == f.Y.Min && f.X.Max == f.Y.Max && f.X.Log == f.Y.Log && f.X.Unit == f.Y.Unit &&
		f.X.Ticks == nil && f.Y.Ticks == nil // one scale: one set of ticks
	s.y = fitTicks(f.Y, bottom-top, false)
	leftOf := func(y Axis) float64 { return pad + sizeLabel + labelGap + maxLabelWidth(y) + tickLen + tickGap }
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
	s.draw(f)
	if below {
		x := s.plot.X0
		if x+leg.w > w-pad {
			x = math.Max(yLabelColumn, w-pad-leg.w)
		}
		s.place(leg, x, s.plot.Y1+xAxisHeight+legendGapBelow)
	} else {
		s.place(leg, s.plot.X1+legendGap, s.plot.Y0)
	}
	return s, nil
}

// squareBelow reports whether a square plot area is larger with the legend
// under it than with the legend on its right (a square leaves room beside
// it that a narrow figure's legend may fit into). The y tick labels are
// taken to be 30 pt wide.
func (f *Figure) squareBelow(w, h, top, legW float64) bool {
	left := yLabelColumn + labelGap + 30 + tickLen + tickGap
	high := h - pad - xAxisHeight - top
	if f.legendRight(legW).h > h-pad-top {
		return true
	}
	leg := f.legendBelow(w - pad - yLabelColumn)
	right := math.Min(w-pad-legW-legendGap-left, high)
	under := math.Min(w-pad-left, high-leg.h-legendGapBelow)
	return under > right
}

// yLabelColumn is where the y axis label's column ends: the x label, the
// title and a legend under the plot keep right of it.
const yLabelColumn = pad + sizeLabel + 2

// xAxisHeight is the room under the plot area for the x ticks, their labels
// and the axis label.
const xAxisHeight = tickLen + tickGap + sizeTick + labelGap + sizeLabel

// draw emits the primitives but the legend, back to front.
func (s *scene) draw(f *Figure) {
	p := s.plot
	add := func(q prim) { s.prims = append(s.prims, q) }
	add(prim{kind: primRect, class: "background", fill: colorWhite, pts: []pt{{0, 0}, {s.w, s.h}}})
	for _, t := range s.x.Ticks {
		x := s.px(t.Value)
		add(prim{kind: primLine, class: "grid", color: colorGrid, width: hairW, pts: []pt{{x, p.Y0}, {x, p.Y1}}})
	}
	for _, t := range s.y.Ticks {
		y := s.py(t.Value)
		add(prim{kind: primLine, class: "grid", color: colorGrid, width: hairW, pts: []pt{{p.X0, y}, {p.X1, y}}})
	}
	s.drawAxes()
	for _, sr := range f.Series {
		s.drawSeries(sr)
	}
	add(prim{kind: primRect, class: "frame", color: colorFrame, width: hairW, pts: []pt{{p.X0, p.Y0}, {p.X1, p.Y1}}})
	if f.Title != "" {
		add(prim{kind: primText, class: "title", color: colorText, text: f.Title, size: sizeTitle, bold: true,
			anchor: anchorMiddle, pts: []pt{{within((p.X0+p.X1)/2, textWidth(f.Title, sizeTitle, true), yLabelColumn, s.w-pad), pad + sizeTitle}}})
	}
}
