package plot

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// WritePNG writes the figure as a Width x Height PNG, anti-aliased, with the
// same layout as [Figure.WriteSVG].
func (f *Figure) WritePNG(w io.Writer) error {
	img, err := f.Image()
	if err != nil {
		return err
	}
	return png.Encode(w, img)
}

// Image rasterises the figure.
func (f *Figure) Image() (*image.RGBA, error) {
	s, err := f.layout()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for _, p := range s.prims {
		rasterPrim(img, p)
	}
	return img, nil
}

// rasterPrim draws one primitive onto img.
func rasterPrim(img *image.RGBA, p prim) {
	switch p.kind {
	case primRect:
		x0, y0, x1, y1 := p.pts[0].X, p.pts[0].Y, p.pts[1].X, p.pts[1].Y
		if p.fill.A != 0 {
			fillPolys(img, p.fill, [][]pt{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}})
		}
		if p.color.A != 0 && p.width > 0 {
			fillPolys(img, p.color, strokePolys([]pt{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}, p.width))
		}
	case primLine:
		var polys [][]pt
		for _, d := range dashes(p.pts, p.dash) {
			polys = append(polys, strokePolys(d, p.width)...)
		}
		fillPolys(img, p.color, polys)
	case primMarker:
		poly := markerPolygon(p.shape, p.pts[0], p.radius)
		if !p.hollow {
			fillPolys(img, p.color, [][]pt{oriented(poly, 1)})
			return
		}
		inner := inset(poly, outlineW)
		if p.shape == ShapeCircle {
			inner = regular(p.pts[0], p.radius-outlineW, 32)
		}
		fillPolys(img, p.color, [][]pt{oriented(poly, 1), oriented(inner, -1)})
	case primText:
		drawText(img, p)
	}
}

// fillPolys fills polygons (clockwise ones add, counter-clockwise ones cut
// holes) with c, anti-aliased, rasterising only their bounding box.
func fillPolys(img *image.RGBA, c color.RGBA, polys [][]pt) {
	bx0, by0, bx1, by1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, poly := range polys {
		for _, q := range poly {
			bx0, by0 = math.Min(bx0, q.X), math.Min(by0, q.Y)
			bx1, by1 = math.Max(bx1, q.X), math.Max(by1, q.Y)
		}
	}
	r := image.Rect(int(math.Floor(bx0)), int(math.Floor(by0)), int(math.Ceil(bx1)), int(math.Ceil(by1))).Intersect(img.Bounds())
	if r.Empty() {
		return
	}
	z := vector.NewRasterizer(r.Dx(), r.Dy())
	z.DrawOp = draw.Over
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	for _, poly := range polys {
		if len(poly) < 3 {
			continue
		}
		z.MoveTo(float32(poly[0].X)-ox, float32(poly[0].Y)-oy)
		for _, q := range poly[1:] {
			z.LineTo(float32(q.X)-ox, float32(q.Y)-oy)
		}
		z.ClosePath()
	}
	z.Draw(img, r, image.NewUniform(c), image.Point{})
}

// drawText draws a text primitive with the Go font; rotated text is drawn
// into a scratch image and turned a quarter to the left.
func drawText(img *image.RGBA, p prim) {
	wpx := textWidth(p.text, p.size, p.bold)
	shift := [...]float64{0, wpx / 2, wpx}[p.anchor]
	withFace(p.size, p.bold, func(face font.Face) {
		if !p.rotate {
			d := font.Drawer{Dst: img, Src: image.NewUniform(p.color), Face: face,
				Dot: fixed.Point26_6{X: fixed.Int26_6((p.pts[0].X - shift) * 64), Y: fixed.Int26_6(p.pts[0].Y * 64)}}
			d.DrawString(p.text)
			return
		}
		m := face.Metrics()
		asc, desc := int(math.Ceil(fix(m.Ascent))), int(math.Ceil(fix(m.Descent)))
		tw := int(math.Ceil(wpx)) + 2
		tmp := image.NewRGBA(image.Rect(0, 0, tw, asc+desc))
		d := font.Drawer{Dst: tmp, Src: image.NewUniform(p.color), Face: face, Dot: fixed.P(1, asc)}
		d.DrawString(p.text)
		// Text pixel (tx, ty) goes to (X - asc + ty, Y + shift - tx): the
		// baseline becomes the vertical line x = X, reading upwards.
		x0 := int(math.Round(p.pts[0].X)) - asc
		y0 := int(math.Round(p.pts[0].Y + shift))
		for ty := 0; ty < tmp.Bounds().Dy(); ty++ {
			for tx := 0; tx < tw; tx++ {
				src := tmp.RGBAAt(tx, ty)
				if src.A == 0 {
					continue
				}
				X, Y := x0+ty, y0-tx
				if !(image.Point{X, Y}.In(img.Bounds())) {
					continue
				}
				img.SetRGBA(X, Y, over(src, img.RGBAAt(X, Y)))
			}
		}
	})
}

// over composites premultiplied src over dst.
func over(src, dst color.RGBA) color.RGBA {
	a := 255 - uint32(src.A)
	return color.RGBA{
		R: uint8(uint32(src.R) + uint32(dst.R)*a/255),
		G: uint8(uint32(src.G) + uint32(dst.G)*a/255),
		B: uint8(uint32(src.B) + uint32(dst.B)*a/255),
		A: uint8(uint32(src.A) + uint32(dst.A)*a/255),
	}
}
