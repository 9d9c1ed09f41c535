package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/reports"
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
			t.Errorf("%s: pixel %g, want %g", c.name, c.got, c.want)
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
	var svg bytes.Buffer
	if err := mappingFigure().WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`cx="%s" cy="%s"`, num(s.px(5)), num(s.py(10)))
	if !strings.Contains(svg.String(), want) {
		t.Errorf("SVG has no marker at %s:\n%s", want, svg.String())
	}
}

// svgOf renders a figure as SVG and checks it is well-formed XML.
func svgOf(t *testing.T, f *Figure) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	return b.String()
}

func TestPredictedVsMeasuredSVG(t *testing.T) {
	recs := sampleRecords()
	f, err := PredictedVsMeasured(recs, "downtime")
	if err != nil {
		t.Fatal(err)
	}
	if !f.X.Log || !f.Y.Log {
		t.Error("5 ms..30 s spans more than two decades: want log axes")
	}
	svg := svgOf(t, f)
	cmp, _ := reports.Compare(recs)
	if n := strings.Count(svg, `class="marker"`); n != len(cmp.Pairs) || n != 36 {
		t.Errorf("%d markers, want one per predicted record with a measurement (%d)", n, len(cmp.Pairs))
	}
	if n := strings.Count(svg, `class="marker" data-series="precopy analytic"`); n != 3 {
		t.Errorf("%d precopy analytic markers, want 3", n)
	}
	hollow := regexp.MustCompile(`class="marker"[^>]*fill="none"`)
	if n := len(hollow.FindAllString(svg, -1)); n != 12 {
		t.Errorf("%d hollow markers, want 12 (the calibration scenario's 9 sim and 3 analytic)", n)
	}
	// y = x runs from the bottom-left to the top-right corner of the square plot.
	s, _ := f.layout()
	ref := fmt.Sprintf(`<polyline class="ref" data-series="y = x" points="%s,%s %s,%s"`,
		num(s.plot.X0), num(s.plot.Y1), num(s.plot.X1), num(s.plot.Y0))
	if !strings.Contains(svg, ref) {
		t.Errorf("SVG lacks the y = x line %s", ref)
	}
	if s.plot.X1-s.plot.X0 != s.plot.Y1-s.plot.Y0 {
		t.Errorf("plot area %+v is not square", s.plot)
	}
	for _, w := range []string{"validation: filled", "calibration: hollow", "simulator", "analytic model", ">migrror<", "10 ms", ">1 s<"} {
		if !strings.Contains(svg, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
}

// pngOf renders and decodes a figure's PNG.
func pngOf(t *testing.T, f *Figure) image.Image {
	t.Helper()
	var b bytes.Buffer
	if err := f.WritePNG(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
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
	if b := img.Bounds(); b.Dx() != DefaultWidth || b.Dy() != DefaultHeight {
		t.Fatalf("PNG is %v, want %dx%d", b, DefaultWidth, DefaultHeight)
	}
	s, _ := f.layout()
	x, y := int(s.px(5)), int(s.py(10))
	if got := rgba(img.At(x, y)); got != ColorBlue {
		t.Errorf("pixel at the marker (%d, %d) is %v, want the series colour %v", x, y, got, ColorBlue)
	}
	if got := rgba(img.At(x+int(markerR)+3, y-int(markerR)-3)); got != colorWhite {
		t.Errorf("pixel off the marker (and off the grid) is %v, want background", got)
	}
	if got := rgba(img.At(int(s.plot.X0)+3, int(s.plot.Y1)-3)); got != colorWhite {
		t.Errorf("empty plot corner is %v, want background", got)
	}
	if got := rgba(img.At(int(s.plot.X0), (int(s.plot.Y0)+int(s.plot.Y1))/2)); got == colorWhite {
		t.Error("no frame on the left edge of the plot area")
	}

	f.Width, f.Height = 640, 400
	if b := pngOf(t, f).Bounds(); b.Dx() != 640 || b.Dy() != 400 {
		t.Errorf("PNG is %v, want 640x400", b)
	}
}

func TestPNGMarkersOfRecords(t *testing.T) {
	f, err := DowntimeVsDirtyRate(sampleRecords())
	if err != nil {
		t.Fatal(err)
	}
	img := pngOf(t, f)
	s, _ := f.layout()
	for _, sr := range f.Series {
		if sr.Kind != KindPoints {
			continue
		}
		for _, p := range sr.Points {
			x, y := s.px(p.X), s.py(p.Y)
			if p.Hollow { // the outline, not the centre
				x += markerR - outlineW/2
			}
			if got := rgba(img.At(int(x), int(y))); got == colorWhite {
				t.Errorf("%s point (%g, %g) at pixel (%d, %d) is background", sr.Name, p.X, p.Y, int(x), int(y))
			}
		}
	}
}

func TestFigureErrors(t *testing.T) {
	f := mappingFigure()
	f.Y.Min = 0
	if err := f.WriteSVG(io.Discard); err == nil || !strings.Contains(err.Error(), "logarithmic") {
		t.Errorf("log axis from 0: error %v", err)
	}
	f = mappingFigure()
	f.X.Max = f.X.Min
	if err := f.WritePNG(io.Discard); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty x range: error %v", err)
	}
}
