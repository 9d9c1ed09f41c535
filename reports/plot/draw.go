package plot

import "math"

// Dash patterns in points (on, off).
var (
	dashRef  = []float64{4, 2.5}
	dashLine = []float64{5, 2.5}
	dashDot  = []float64{1.2, 1.8}
)

// lineDash is the dash pattern of a line drawn dashed, dotted or neither.
func lineDash(dashed, dotted bool) []float64 {
	switch {
	case dashed:
		return dashLine
	case dotted:
		return dashDot
	}
	return nil
}

// drawAxes emits tick marks, tick labels and axis labels.
func (s *scene) drawAxes() {
	p := s.plot
	add := func(q prim) { s.prims = append(s.prims, q) }
	for _, m := range s.x.Minor {
		x := s.px(m)
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: hairW, pts: []pt{{x, p.Y1}, {x, p.Y1 + minorLen}}})
	}
	for _, m := range s.y.Minor {
		y := s.py(m)
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: hairW, pts: []pt{{p.X0 - minorLen, y}, {p.X0, y}}})
	}
	for _, t := range s.x.Ticks {
		x := s.px(t.Value)
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: hairW, pts: []pt{{x, p.Y1}, {x, p.Y1 + tickLen}}})
		add(prim{kind: primText, class: "ticklabel", color: colorText, text: t.Label, size: sizeTick, anchor: anchorMiddle,
			pts: []pt{{x, p.Y1 + tickLen + tickGap + sizeTick*0.8}}})
	}
	for _, t := range s.y.Ticks {
		y := s.py(t.Value)
		add(prim{kind: primLine, class: "tick", color: colorFrame, width: hairW, pts: []pt{{p.X0 - tickLen, y}, {p.X0, y}}})
		add(prim{kind: primText, class: "ticklabel", color: colorText, text: t.Label, size: sizeTick, anchor: anchorEnd,
			pts: []pt{{p.X0 - tickLen - tickGap, y + sizeTick*0.36}}})
	}
	// Axis labels centred on the plot area, moved (a narrow square plot,
	// a short one) to stay in the figure and off each other's column.
	xl := textWidth(s.x.Label, sizeLabel, false)
	add(prim{kind: primText, class: "xlabel", color: colorText, text: s.x.Label, size: sizeLabel, anchor: anchorMiddle,
		pts: []pt{{within((p.X0+p.X1)/2, xl, yLabelColumn, s.w-pad), p.Y1 + tickLen + tickGap + sizeTick + labelGap + sizeLabel*0.8}}})
	yl := textWidth(s.y.Label, sizeLabel, false)
	add(prim{kind: primText, class: "ylabel", color: colorText, text: s.y.Label, size: sizeLabel, anchor: anchorMiddle, rotate: true,
		pts: []pt{{pad + sizeLabel*0.8, within((p.Y0+p.Y1)/2, yl, pad, s.h-pad)}}})
}

// within moves the centre c of a text of length l so the text lies in
// [lo, hi], or centres it there when it is longer.
func within(c, l, lo, hi float64) float64 {
	if l >= hi-lo {
		return (lo + hi) / 2
	}
	return math.Min(math.Max(c, lo+l/2), hi-l/2)
}

// drawSeries emits one series: its line, then its markers.
func (s *scene) drawSeries(sr Series) {
	var pts []pt
	var hollow, marks []bool
	for _, d := range sr.Points {
		q := pt{s.px(d.X), s.py(d.Y)}
		if math.IsNaN(q.X) || math.IsInf(q.X, 0) || math.IsNaN(q.Y) || math.IsInf(q.Y, 0) {
			continue // not on this axis (a non-positive value on a log axis)
		}
		pts = append(pts, q)
		hollow = append(hollow, d.Hollow)
		marks = append(marks, d.Mark)
	}
	if len(pts) == 0 {
		return
	}
	switch sr.Kind {
	case KindReference:
		if len(pts) >= 2 {
			pts = s.extend(pts[0], pts[len(pts)-1])
		}
		s.prims = append(s.prims, prim{kind: primLine, class: "ref", text: sr.Name, color: colorRef, width: refW, dash: dashRef, pts: pts})
		return
	case KindStep:
		steps := []pt{{pts[0].X, s.py(0)}}
		for i, q := range pts {
			if i > 0 {
				steps = append(steps, pt{q.X, pts[i-1].Y})
			}
			steps = append(steps, q)
		}
		s.prims = append(s.prims, prim{kind: primLine, class: "line", text: sr.Name, color: sr.Color, width: lineW,
			dash: lineDash(sr.Dashed, sr.Dotted), pts: steps})
		for i, q := range pts {
			if sr.Shape != ShapeNone && marks[i] {
				s.prims = append(s.prims, prim{kind: primMarker, class: "vertex", text: sr.Name, color: sr.Color,
					shape: sr.Shape, radius: vertexR, pts: []pt{q}})
			}
		}
		return
	case KindLine:
		dash := lineDash(sr.Dashed, sr.Dotted)
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

// extend returns the part of the line through a and b (points) inside the
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
