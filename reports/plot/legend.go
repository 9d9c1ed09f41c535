package plot

import "math"

// legendBlock is the legend and notes laid out from (0, 0), the block's
// top-left corner: [scene.place] moves it where the layout puts it.
type legendBlock struct {
	prims []prim
	w, h  float64
}

// fontSlack is how much wider than Liberation Sans a viewer's fallback font
// may set the legend (DejaVu Sans is about 13% wider) without it leaving the
// image: SVG names its fonts but does not carry them.
const fontSlack = 1.12

// legendWidth is the width a legend right of the plot takes: its widest line
// in Liberation Sans, with fontSlack to spare; zero without legend or notes.
func (f *Figure) legendWidth() float64 {
	if len(f.Legend) == 0 && len(f.Notes) == 0 {
		return 0
	}
	w := 96.0
	for _, it := range f.Legend {
		w = math.Max(w, itemWidth(it))
	}
	return math.Min(w, 170) * fontSlack
}

// itemWidth is the width of a legend line: its sample and its label.
func itemWidth(it LegendItem) float64 {
	if it.Header {
		return textWidth(it.Label, sizeLegend, true)
	}
	return legendSamp + 5 + textWidth(it.Label, sizeLegend, false)
}

// legendRight lays the legend out in one column of width w, the notes under
// it: groups (items after a header) one after the other.
func (f *Figure) legendRight(w float64) legendBlock {
	var b legendBlock
	y := 0.0
	for i, it := range f.Legend {
		if it.Header && i > 0 && !f.Legend[i-1].Header {
			y += 5
		}
		b.prims = append(b.prims, itemPrims(it, 0, y)...)
		y += legendRow
	}
	y = b.notes(f.Notes, y, w/fontSlack)
	b.w, b.h = w, y
	return b
}

// legendBelow lays the legend out under the plot, within width w, as
// running text: items side by side, a wider gap before each group's header,
// a new line when the next item (a header with its first item) does not fit;
// the notes, wrapped to w, under them.
func (f *Figure) legendBelow(w float64) legendBlock {
	var b legendBlock
	x, y := 0.0, 0.0
	for i, it := range f.Legend {
		// Items keep 6 pt apart, so only a line's last one may spill over
		// in a wider fallback font: fontSlack applies to it alone.
		iw := itemWidth(it)
		need := iw
		if it.Header && i+1 < len(f.Legend) {
			need += 6 + itemWidth(f.Legend[i+1])
		}
		if x > 0 {
			x += 6
			if it.Header {
				x += 8
			}
			if x+need*fontSlack > w {
				x, y = 0, y+legendRow
			}
		}
		b.prims = append(b.prims, itemPrims(it, x, y)...)
		x += iw
		b.w = math.Max(b.w, x)
	}
	if len(f.Legend) > 0 {
		y += legendRow
	}
	b.h = b.notes(f.Notes, y, w/fontSlack)
	if len(f.Notes) > 0 {
		b.w = w
	}
	return b
}

// notes appends the notes, wrapped to width w, from y; it returns the y under
// them.
func (b *legendBlock) notes(notes []string, y, w float64) float64 {
	if len(notes) > 0 && y > 0 {
		y += 3
	}
	for _, n := range notes {
		for _, line := range wrap(n, sizeNote, w) {
			b.prims = append(b.prims, prim{kind: primText, class: "note", color: colorNote, text: line, size: sizeNote,
				pts: []pt{{0, y + sizeNote}}})
			y += sizeNote + 2.5
		}
		y += 2
	}
	return y
}

// itemPrims draws one legend line whose top-left corner is (x, y): a bold
// header, or a sample (line, marker or both) and its label.
func itemPrims(it LegendItem, x, y float64) []prim {
	base := y + sizeLegend
	if it.Header {
		return []prim{{kind: primText, class: "legend", color: colorText, text: it.Label, size: sizeLegend, bold: true, pts: []pt{{x, base}}}}
	}
	var out []prim
	mid := base - sizeLegend*0.35
	if it.Line {
		dash, lw := lineDash(it.Dashed, it.Dotted), lineW
		if it.Shape == ShapeNone && it.Dashed && it.Color == colorRef {
			dash, lw = dashRef, refW
		}
		out = append(out, prim{kind: primLine, class: "legend", color: it.Color, width: lw, dash: dash, pts: []pt{{x, mid}, {x + legendSamp, mid}}})
	}
	if it.Shape != ShapeNone {
		r := markerR
		if it.Line {
			r = vertexR
		}
		out = append(out, prim{kind: primMarker, class: "legend", color: it.Color, shape: it.Shape, radius: r, hollow: it.Hollow,
			pts: []pt{{x + legendSamp/2, mid}}})
	}
	return append(out, prim{kind: primText, class: "legend", color: colorText, text: it.Label, size: sizeLegend, pts: []pt{{x + legendSamp + 5, base}}})
}

// place adds a legend block's primitives with its top-left corner at (x, y).
func (s *scene) place(b legendBlock, x, y float64) {
	for _, p := range b.prims {
		p.pts = append([]pt(nil), p.pts...)
		for i := range p.pts {
			p.pts[i].X += x
			p.pts[i].Y += y
		}
		s.prims = append(s.prims, p)
	}
}
