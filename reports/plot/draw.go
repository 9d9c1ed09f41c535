package plot

import "math"

// Dash patterns in pixels (on, off).
var (
	dashRef  = []float64{6, 4}
	dashLine = []float64{8, 4}
)

// drawAxes emits tick marks, tick labels and axis labels.
func (s *scene) drawAxes() {
	p := s.plot
	add := func(q prim) { s.prims = append(s.prims, q) }
	for _, m := range s.x.Minor {
		x := crisp(s.px(m))
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: 1, pts: []pt{{x, p.Y1}, {x, p.Y1 + minorLen}}})
	}
	for _, m := range s.y.Minor {
		y := crisp(s.py(m))
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: 1, pts: []pt{{p.X0 - minorLen, y}, {p.X0, y}}})
	}
	for _, t := range s.x.Ticks {
		x := crisp(s.px(t.Value))
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: 1, pts: []pt{{x, p.Y1}, {x, p.Y1 + tickLen}}})
		add(prim{kind: primText, class: "ticklabel", color: colorText, text: t.Label, size: sizeTick, anchor: anchorMiddle,
			pts: []pt{{x, p.Y1 + tickLen + tickGap + sizeTick*0.8}}})
	}
	for _, t := range s.y.Ticks {
		y := crisp(s.py(t.Value))
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: 1, pts: []pt{{p.X0 - tickLen, y}, {p.X0, y}}})
		add(prim{kind: primText, class: "ticklabel", color: colorText, text: t.Label, size: sizeTick, anchor: anchorEnd,
			pts: []pt{{p.X0 - tickLen - tickGap, y + sizeTick*0.36}}})
	}
	add(prim{kind: primText, class: "xlabel", color: colorText, text: s.x.Label, size: sizeLabel, anchor: anchorMiddle,
		pts: []pt{{(p.X0 + p.X1) / 2, p.Y1 + tickLen + tickGap + sizeTick + 10 + sizeLabel*0.8}}})
	add(prim{kind: primText, class: "ylabel", color: colorText, text: s.y.Label, size: sizeLabel, anchor: anchorMiddle, rotate: true,
		pts: []pt{{pad + sizeLabel*0.8, (p.Y0 + p.Y1) / 2}}})
}

// drawSeries emits one series: its line, then its markers.
func (s *scene) drawSeries(sr Series) {
	var pts []pt
	var hollow []bool
	for _, d := range sr.Points {
		q := pt{s.px(d.X), s.py(d.Y)}
		if math.IsNaN(q.X) || math.IsInf(q.X, 0) || math.IsNaN(q.Y) || math.IsInf(q.Y, 0) {
			continue // not on this axis (a non-positive value on a log axis)
		}
		pts = append(pts, q)
		hollow = append(hollow, d.Hollow)
	}
	if len(pts) == 0 {
		return
	}
	switch sr.Kind {
	case KindReference:
		if len(pts) >= 2 {
			pts = s.extend(pts[0], pts[len(pts)-1])
		}
		s.prims = append(s.prims, prim{kind: primLine, class: "ref", text: sr.Name, color: colorRef, width: 1.3, dash: dashRef, pts: pts})
		return
	case KindLine:
		var dash []float64
		if sr.Dashed {
			dash = dashLine
		}
		if len(pts) > 1 {
			s.prims = append(s.prims, prim{kind: primLine, class: "line", text: sr.Name, color: sr.Color, width: lineW, dash: dash, pts: pts})
		}
		for i, q := range pts {
			if sr.Shape == ShapeNone {
				break
			}
			s.prims = append(s.prims, prim{kind: primMarker, class: "vertex", text: sr.Name, color: sr.Color,
				shape: sr.Shape, radius: vertexR, hollow: hollow[i], pts: []pt{q}})
		}
		return
	}
	for i, q := range pts {
		s.prims = append(s.prims, prim{kind: primMarker, class: "marker", text: sr.Name, color: sr.Color,
			shape: sr.Shape, radius: markerR, hollow: hollow[i], pts: []pt{q}})
	}
}

// drawLegend emits the legend in a column of width w from (x, y), then the
// notes under it.
func (s *scene) drawLegend(f *Figure, x, y, w float64) {
	add := func(q prim) { s.prims = append(s.prims, q) }
	base := y + sizeLegend
	for i, it := range f.Legend {
		if it.Header && i > 0 && !f.Legend[i-1].Header {
			base += 8
		}
		if it.Header {
			add(prim{kind: primText, class: "legend", color: colorText, text: it.Label, size: sizeLegend, bold: true, pts: []pt{{x, base}}})
			base += legendRow
			continue
		}
		mid := base - sizeLegend*0.35
		if it.Line {
			var dash []float64
			if it.Dashed {
				dash = dashLine
			}
			c, lw := it.Color, lineW
			if it.Shape == ShapeNone && it.Dashed && it.Color == colorRef {
				dash, lw = dashRef, 1.3
			}
			add(prim{kind: primLine, class: "legend", color: c, width: lw, dash: dash, pts: []pt{{x, mid}, {x + legendSamp, mid}}})
		}
		if it.Shape != ShapeNone {
			r := markerR
			if it.Line {
				r = vertexR
			}
			add(prim{kind: primMarker, class: "legend", color: it.Color, shape: it.Shape, radius: r, hollow: it.Hollow,
				pts: []pt{{x + legendSamp/2, mid}}})
		}
		add(prim{kind: primText, class: "legend", color: colorText, text: it.Label, size: sizeLegend, pts: []pt{{x + legendSamp + 8, base}}})
		base += legendRow
	}
	base += 10
	for _, n := range f.Notes {
		for _, line := range wrap(n, sizeNote, w/fontSlack) {
			add(prim{kind: primText, class: "note", color: colorNote, text: line, size: sizeNote, pts: []pt{{x, base}}})
			base += sizeNote + 4
		}
		base += 4
	}
}

// extend returns the part of the line through a and b (pixels) inside the
// plot area, so a reference line spans it whatever range layout chose.
func (s *scene) extend(a, b pt) []pt {
	dx, dy := b.X-a.X, b.Y-a.Y
	t0, t1 := math.Inf(-1), math.Inf(1)
	for _, c := range []struct{ p, d, lo, hi float64 }{{a.X, dx, s.plot.X0, s.plot.X1}, {a.Y, dy, s.plot.Y0, s.plot.Y1}} {
		if c.d == 0 {
			continue
		}
		u, v := (c.lo-c.p)/c.d, (c.hi-c.p)/c.d
		t0, t1 = math.Max(t0, math.Min(u, v)), math.Min(t1, math.Max(u, v))
	}
	if t0 >= t1 || math.IsInf(t0, 0) || math.IsInf(t1, 0) {
		return []pt{a, b}
	}
	return []pt{{a.X + t0*dx, a.Y + t0*dy}, {a.X + t1*dx, a.Y + t1*dy}}
}
