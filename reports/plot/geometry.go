package plot

import "math"

// markerPolygon returns the outline of a marker of nominal radius r centred at
// c, clockwise on screen. Shapes are sized to look equally heavy. A circle is
// a 32-gon (SVG draws a true circle of radius r).
func markerPolygon(shape Shape, c pt, r float64) []pt {
	switch shape {
	case ShapeTriangle:
		R := r * 1.3
		out := make([]pt, 3)
		for i := range out {
			a := -math.Pi/2 + float64(i)*2*math.Pi/3
			out[i] = pt{c.X + R*math.Cos(a), c.Y + R*math.Sin(a) + R*0.2}
		}
		return out
	case ShapeSquare:
		d := r * 0.9
		return []pt{{c.X - d, c.Y - d}, {c.X + d, c.Y - d}, {c.X + d, c.Y + d}, {c.X - d, c.Y + d}}
	case ShapeDiamond:
		d := r * 1.25
		return []pt{{c.X, c.Y - d}, {c.X + d, c.Y}, {c.X, c.Y + d}, {c.X - d, c.Y}}
	}
	return regular(c, r, 32)
}

// regular is a regular n-gon of circumradius r, clockwise on screen.
func regular(c pt, r float64, n int) []pt {
	out := make([]pt, n)
	for i := range out {
		a := float64(i) * 2 * math.Pi / float64(n)
		out[i] = pt{c.X + r*math.Cos(a), c.Y + r*math.Sin(a)}
	}
	return out
}

// inset shrinks a convex polygon towards its centroid so its edges move in by
// d pixels (the inner edge of a hollow marker's outline).
func inset(poly []pt, d float64) []pt {
	var c pt
	for _, p := range poly {
		c.X += p.X / float64(len(poly))
		c.Y += p.Y / float64(len(poly))
	}
	// distance from the centroid to the first edge
	a, b := poly[0], poly[1]
	ex, ey := b.X-a.X, b.Y-a.Y
	dist := math.Abs((c.X-a.X)*ey-(c.Y-a.Y)*ex) / math.Hypot(ex, ey)
	k := math.Max(0, (dist-d)/dist)
	out := make([]pt, len(poly))
	for i, p := range poly {
		out[i] = pt{c.X + (p.X-c.X)*k, c.Y + (p.Y-c.Y)*k}
	}
	return out
}

// area2 is twice the signed area of a polygon (positive when clockwise on
// screen, y down).
func area2(poly []pt) float64 {
	s := 0.0
	for i, p := range poly {
		q := poly[(i+1)%len(poly)]
		s += p.X*q.Y - q.X*p.Y
	}
	return s
}

// oriented returns poly clockwise (sign > 0) or counter-clockwise (sign < 0).
func oriented(poly []pt, sign float64) []pt {
	if area2(poly)*sign >= 0 {
		return poly
	}
	out := make([]pt, len(poly))
	for i, p := range poly {
		out[len(poly)-1-i] = p
	}
	return out
}

// dashes splits a polyline into its drawn pieces for an on/off pattern (nil:
// the whole line).
func dashes(pts []pt, pattern []float64) [][]pt {
	if len(pattern) == 0 {
		return [][]pt{pts}
	}
	var out [][]pt
	var cur []pt
	idx, left, on := 0, pattern[0], true
	if on {
		cur = []pt{pts[0]}
	}
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		seg := math.Hypot(b.X-a.X, b.Y-a.Y)
		pos := 0.0
		for seg-pos > left {
			pos += left
			p := pt{a.X + (b.X-a.X)*pos/seg, a.Y + (b.Y-a.Y)*pos/seg}
			if on {
				out = append(out, append(cur, p))
				cur = nil
			} else {
				cur = []pt{p}
			}
			on = !on
			idx = (idx + 1) % len(pattern)
			left = pattern[idx]
		}
		left -= seg - pos
		if on {
			cur = append(cur, b)
		}
	}
	if on && len(cur) > 1 {
		out = append(out, cur)
	}
	return out
}

// strokePolys turns a polyline of width w into quads (one per segment) and
// round joins, all clockwise so overlaps add rather than cancel.
func strokePolys(pts []pt, w float64) [][]pt {
	hw := w / 2
	var out [][]pt
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		l := math.Hypot(b.X-a.X, b.Y-a.Y)
		if l == 0 {
			continue
		}
		nx, ny := -(b.Y-a.Y)/l*hw, (b.X-a.X)/l*hw
		q := []pt{{a.X + nx, a.Y + ny}, {b.X + nx, b.Y + ny}, {b.X - nx, b.Y - ny}, {a.X - nx, a.Y - ny}}
		out = append(out, oriented(q, 1))
		if i < len(pts)-1 && w > 1.5 {
			out = append(out, regular(b, hw, 12))
		}
	}
	return out
}
