package plot

import "math"

// markerPolygon returns the outline of a marker of nominal radius r centred at
// c, clockwise on screen. Shapes are sized to look equally heavy. A circle is
// a 32-gon (the renderer draws a true circle of radius r).
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
// d points (the inner edge of a hollow marker's outline).
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
