package plot

import (
	"errors"
	"fmt"
	"testing"

	"github.com/migrlab/migrlab/models"
	"gonum.org/v1/plot/vg"
)

// box is a text primitive's extent in points (approximate ascent and descent).
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

// standardFigures builds every standard plot of the records (optional ones
// they hold one value for left out).
func standardFigures(t *testing.T, recs []models.Record) map[string]*Figure {
	t.Helper()
	out := map[string]*Figure{}
	for _, p := range standard {
		f, err := p.build(recs, By{})
		if p.optional && errors.Is(err, errOneX) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		out[p.name] = f
	}
	return out
}

// TestReadable checks every standard plot of the sample records, and the
// plots split by a parameter, at the default size, at one column of a paper
// (3.5 x 2.5 in) with and without title, and between: no text under 8 pt, no
// two texts overlap, no text enters the plot area or leaves the image, and
// the legend is right of the plot area or under it.
func TestReadable(t *testing.T) {
	figs := standardFigures(t, sampleRecords())
	split := twoBandwidths()
	by, err := ParseBy(split, "network.bandwidth")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		name  string
		build func([]models.Record, By) (*Figure, error)
	}{{"dirty_rate_split", DowntimeVsDirtyRate}, {"cdf_split", DowntimeCDF}, {"memory", DowntimeVsMemory}} {
		if figs[b.name], err = b.build(split, by); err != nil {
			t.Fatal(err)
		}
	}
	for name, orig := range figs {
		for _, size := range []struct {
			w, h    vg.Length
			noTitle bool
		}{{0, 0, false}, {3.5 * vg.Inch, 2.5 * vg.Inch, false}, {3.5 * vg.Inch, 2.5 * vg.Inch, true}, {5 * vg.Inch, 3.5 * vg.Inch, false}} {
			if orig.Square && size.w < 4*vg.Inch && !size.noTitle {
				continue // predicted vs measured in one column: --no-title (docs/reports.md)
			}
			f := *orig
			Options{Width: size.w, Height: size.h, NoTitle: size.noTitle}.apply(name, &f)
			at := fmt.Sprintf("%s at %gx%g in (title %v)", name, size.w/vg.Inch, size.h/vg.Inch, !size.noTitle)
			s, err := f.layout()
			if err != nil {
				t.Fatal(err)
			}
			checkReadable(t, at, s)
			want := 3 // ticks on each axis
			if size.w < 4*vg.Inch {
				want = 2
			}
			if len(s.x.Ticks) < want || len(s.y.Ticks) < want {
				t.Errorf("%s: %d x and %d y ticks, want at least %d", at, len(s.x.Ticks), len(s.y.Ticks), want)
			}
			if h := s.plot.Y1 - s.plot.Y0; h < 50 {
				t.Errorf("%s: the plot area is %g pt high, want at least 50", at, h)
			}
		}
	}
}

// checkReadable checks the texts and legend of a laid-out figure.
func checkReadable(t *testing.T, at string, s *scene) {
	t.Helper()
	var texts []prim
	for _, p := range s.prims {
		if p.kind == primText {
			texts = append(texts, p)
			if p.size < 8 {
				t.Errorf("%s: %s %q is %g pt, want at least 8", at, p.class, p.text, p.size)
			}
		}
		if p.class == "legend" && p.pts[0].X < s.plot.X1+5 && p.pts[0].Y < s.plot.Y1+xAxisHeight {
			t.Errorf("%s: legend %q at %v is neither right of the plot area (right edge %g) nor under it", at, p.text, p.pts[0], s.plot.X1)
		}
	}
	img := rect{0, 0, s.w, s.h}
	for i, a := range texts {
		ba := box(a)
		if ba.X0 < 0 || ba.Y0 < 0 || ba.X1 > img.X1 || ba.Y1 > img.Y1 {
			t.Errorf("%s: %s %q at %+v leaves the %gx%g pt image", at, a.class, a.text, ba, img.X1, img.Y1)
		}
		if overlaps(ba, s.plot) && a.class != "title" {
			t.Errorf("%s: %s %q enters the plot area", at, a.class, a.text)
		}
		for _, b := range texts[i+1:] {
			if overlaps(ba, box(b)) {
				t.Errorf("%s: %s %q overlaps %s %q", at, a.class, a.text, b.class, b.text)
			}
		}
	}
}
