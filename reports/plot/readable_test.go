package plot

import (
	"testing"

	"github.com/migrlab/migrlab/models"
)

// box is a text primitive's extent in pixels (approximate ascent and descent).
func box(p prim) rect {
	w := textWidth(p.text, p.size, p.bold)
	x0 := p.pts[0].X - [...]float64{0, w / 2, w}[p.anchor]
	r := rect{x0, p.pts[0].Y - 0.75*p.size, x0 + w, p.pts[0].Y + 0.25*p.size}
	if p.rotate { // turned about the anchor point
		cx, cy := p.pts[0].X, p.pts[0].Y
		r = rect{cx - (cy - r.Y0), cy - (r.X1 - cx), cx + (r.Y1 - cy), cy + (cx - r.X0)}
	}
	return r
}

// overlaps reports whether two rectangles share area.
func overlaps(a, b rect) bool { return a.X0 < b.X1 && b.X0 < a.X1 && a.Y0 < b.Y1 && b.Y0 < a.Y1 }

// standardFigures builds every standard plot of the sample records.
func standardFigures(t *testing.T, recs []models.Record) map[string]*Figure {
	t.Helper()
	out := map[string]*Figure{}
	for _, p := range standard {
		f, err := p.build(recs)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		out[p.name] = f
	}
	return out
}

// TestReadable checks every standard plot of the sample records, at the
// default size and a small one: no two texts overlap, no text enters the plot
// area or leaves the image, and the legend is right of the plot area.
func TestReadable(t *testing.T) {
	for name, f := range standardFigures(t, sampleRecords()) {
		for _, size := range [][2]int{{0, 0}, {560, 400}} {
			f.Width, f.Height = size[0], size[1]
			s, err := f.layout()
			if err != nil {
				t.Fatal(err)
			}
			var texts []prim
			for _, p := range s.prims {
				if p.kind == primText {
					texts = append(texts, p)
				}
				if p.class == "legend" && p.pts[0].X < s.plot.X1+10 {
					t.Errorf("%s %v: legend %q at x %g inside the plot area (right edge %g)", name, size, p.text, p.pts[0].X, s.plot.X1)
				}
			}
			img := rect{0, 0, float64(s.w), float64(s.h)}
			for i, a := range texts {
				ba := box(a)
				if ba.X0 < 0 || ba.Y0 < 0 || ba.X1 > img.X1 || ba.Y1 > img.Y1 {
					t.Errorf("%s %v: %s %q at %+v leaves the %gx%g image", name, size, a.class, a.text, ba, img.X1, img.Y1)
				}
				if overlaps(ba, s.plot) && a.class != "title" {
					t.Errorf("%s %v: %s %q enters the plot area", name, size, a.class, a.text)
				}
				for _, b := range texts[i+1:] {
					if overlaps(ba, box(b)) {
						t.Errorf("%s %v: %s %q overlaps %s %q", name, size, a.class, a.text, b.class, b.text)
					}
				}
			}
			if len(s.x.Ticks) < 3 || len(s.y.Ticks) < 3 {
				t.Errorf("%s %v: %d x and %d y ticks, want at least 3", name, size, len(s.x.Ticks), len(s.y.Ticks))
			}
		}
	}
}
