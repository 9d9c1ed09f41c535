package plot

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/reports"
	"gonum.org/v1/plot/vg"
)

// mappingFigure has a linear x axis 0..10 and a log y axis 1..1000 with one
// point at (5, 10).
func mappingFigure() *Figure {
	return &Figure{
		Title: "mapping",
		X:     Axis{Label: "x", Min: 0, Max: 10},
		Y:     Axis{Label: "y", Log: true, Min: 1, Max: 1000},
		Series: []Series{{Name: "p", Kind: KindPoints, Color: ColorBlue, Shape: ShapeCircle,
			Points: []Point{{X: 5, Y: 10}}}},
		Legend: []LegendItem{{Label: "point", Color: ColorBlue, Shape: ShapeCircle}},
	}
}

func TestCoordinateMapping(t *testing.T) {
	s, err := mappingFigure().layout()
	if err != nil {
		t.Fatal(err)
	}
	p := s.plot
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"x min at left edge", s.px(0), p.X0},
		{"x max at right edge", s.px(10), p.X1},
		{"x 5 in the middle", s.px(5), (p.X0 + p.X1) / 2},
		{"y min at bottom", s.py(1), p.Y1},
		{"y max at top", s.py(1000), p.Y0},
		{"y 10 a third up (log)", s.py(10), p.Y1 - (p.Y1-p.Y0)/3},
		{"y 100 two thirds up (log)", s.py(100), p.Y1 - 2*(p.Y1-p.Y0)/3},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: %g pt, want %g", c.name, c.got, c.want)
		}
	}
	var m []prim
	for _, q := range s.prims {
		if q.kind == primMarker && q.class == "marker" {
			m = append(m, q)
		}
	}
	if len(m) != 1 || m[0].pts[0] != (pt{s.px(5), s.py(10)}) {
		t.Fatalf("markers %+v, want one at (%g, %g)", m, s.px(5), s.py(10))
	}
}

// write renders a figure in format.
func write(t *testing.T, f *Figure, format Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b, format); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// svgOf renders a figure as SVG and checks it is well-formed XML.
func svgOf(t *testing.T, f *Figure) string {
	t.Helper()
	b := write(t, f, FormatSVG)
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	return string(b)
}

// prims returns the scene's primitives of a class.
func prims(s *scene, class string) []prim {
	var out []prim
	for _, p := range s.prims {
		if p.class == class {
			out = append(out, p)
		}
	}
	return out
}

func TestPredictedVsMeasured(t *testing.T) {
	recs := sampleRecords()
	f, err := PredictedVsMeasured(recs, "downtime")
	if err != nil {
		t.Fatal(err)
	}
	if !f.X.Log || !f.Y.Log {
		t.Error("5 ms..30 s spans more than two decades: want log axes")
	}
	s, err := f.layout()
	if err != nil {
		t.Fatal(err)
	}
	cmp, _ := reports.Compare(recs)
	markers, hollow, analytic := prims(s, "marker"), 0, 0
	for _, m := range markers {
		if m.hollow {
			hollow++
		}
		if m.text == "precopy analytic" {
			analytic++
		}
	}
	if len(markers) != len(cmp.Pairs) || len(markers) != 36 {
		t.Errorf("%d markers, want one per predicted record with a measurement (%d)", len(markers), len(cmp.Pairs))
	}
	if analytic != 3 || hollow != 12 {
		t.Errorf("%d precopy analytic markers (want 3), %d hollow (want 12: the calibration scenario's 9 sim and 3 analytic)", analytic, hollow)
	}
	// y = x runs from the bottom-left to the top-right corner of the square plot.
	ref := prims(s, "ref")
	want := []pt{{s.plot.X0, s.plot.Y1}, {s.plot.X1, s.plot.Y0}}
	if len(ref) != 1 || len(ref[0].pts) != 2 || dist(ref[0].pts[0], want[0]) > 1e-6 || dist(ref[0].pts[1], want[1]) > 1e-6 {
		t.Errorf("y = x line %+v, want %v", ref, want)
	}
	if s.plot.X1-s.plot.X0 != s.plot.Y1-s.plot.Y0 {
		t.Errorf("plot area %+v is not square", s.plot)
	}
	svg := svgOf(t, f)
	for _, w := range []string{"validation: filled", "calibration: hollow", "simulator", "analytic model", ">migrror<", ">10 ms<", ">1 s<"} {
		if !strings.Contains(svg, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
}

func dist(a, b pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// pngOf renders and decodes a figure's PNG.
func pngOf(t *testing.T, f *Figure) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(write(t, f, FormatPNG)))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	return img
}

// rgba is a pixel as 8-bit RGBA.
func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

func TestPNG(t *testing.T) {
	f := mappingFigure()
	img := pngOf(t, f)
	if b := img.Bounds(); b.Dx() != 1050 || b.Dy() != 750 {
		t.Fatalf("PNG is %v, want 1050x750 (7x5 in at 150 dpi)", b)
	}
	s, _ := f.layout()
	k := 150.0 / 72 // pixels per point
	x, y := int(s.px(5)*k), int(s.py(10)*k)
	if got := rgba(img.At(x, y)); got != ColorBlue {
		t.Errorf("pixel at the marker (%d, %d) is %v, want the series colour %v", x, y, got, ColorBlue)
	}
	if got := rgba(img.At(x+int((markerR+3)*k), y-int((markerR+3)*k))); got != colorWhite {
		t.Errorf("pixel off the marker (and off the grid) is %v, want background", got)
	}
	if got := rgba(img.At(int(s.plot.X0*k)+4, int(s.plot.Y1*k)-4)); got != colorWhite {
		t.Errorf("empty plot corner is %v, want background", got)
	}
	if got := rgba(img.At(int(math.Round(s.plot.X0*k)), int((s.plot.Y0+s.plot.Y1)/2*k))); got == colorWhite {
		t.Error("no frame on the left edge of the plot area")
	}

	for _, c := range []struct {
		w, h vg.Length
		dpi  int
		px   [2]int
	}{{3.5 * vg.Inch, 2.5 * vg.Inch, 300, [2]int{1050, 750}}, {9 * vg.Centimeter, 6 * vg.Centimeter, 254, [2]int{900, 600}}} {
		f.Width, f.Height, f.DPI = c.w, c.h, c.dpi
		if b := pngOf(t, f).Bounds(); b.Dx() != c.px[0] || b.Dy() != c.px[1] {
			t.Errorf("%gx%g pt at %d dpi: PNG is %v, want %dx%d", c.w, c.h, c.dpi, b, c.px[0], c.px[1])
		}
	}
}

func TestPNGMarkersOfRecords(t *testing.T) {
	f, err := DowntimeVsDirtyRate(sampleRecords(), By{})
	if err != nil {
		t.Fatal(err)
	}
	img := pngOf(t, f)
	s, _ := f.layout()
	k := float64(DefaultDPI) / 72
	for _, sr := range f.Series {
		if sr.Kind != KindPoints {
			continue
		}
		for _, p := range sr.Points {
			x, y := s.px(p.X), s.py(p.Y)
			if p.Hollow { // the outline, not the centre
				x += markerR - outlineW/2
			}
			if got := rgba(img.At(int(x*k), int(y*k))); got == colorWhite {
				t.Errorf("%s point (%g, %g) at pixel (%d, %d) is background", sr.Name, p.X, p.Y, int(x*k), int(y*k))
			}
		}
	}
}

func TestFigureErrors(t *testing.T) {
	f := mappingFigure()
	f.Y.Min = 0
	if err := f.Write(io.Discard, FormatSVG); err == nil || !strings.Contains(err.Error(), "logarithmic") {
		t.Errorf("log axis from 0: error %v", err)
	}
	f = mappingFigure()
	f.X.Max = f.X.Min
	if err := f.Write(io.Discard, FormatPNG); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty x range: error %v", err)
	}
	f = mappingFigure()
	f.Width = vg.Inch
	if err := f.Write(io.Discard, FormatPDF); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("1 in wide: error %v", err)
	}
	if err := mappingFigure().Write(io.Discard, "jpg"); err == nil || !strings.Contains(err.Error(), "svg, png, pdf, eps, tex") {
		t.Errorf("jpg: error %v", err)
	}
}
