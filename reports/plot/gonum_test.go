package plot

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgeps"
	"gonum.org/v1/plot/vg/vgpdf"
)

// TestGonumLimits pins what gonum/plot v0.17's canvases do that our
// renderer works around (render.go, encode.go). When one fails, gonum has
// changed: drop the workaround it names.
func TestGonumLimits(t *testing.T) {
	// vgpdf: a bold face is registered without a style and asked for with
	// "B" (render.go names it as a regular face of its own typeface).
	c := vgpdf.New(3*vg.Inch, 2*vg.Inch)
	c.FillString(face(10, true), vg.Point{X: 10, Y: 10}, "bold")
	if _, err := c.WriteTo(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "undefined font") {
		t.Errorf("vgpdf now writes bold text (error %v): drop the LiberationBold renaming in render.go", err)
	}
	// vgpdf: text goes out as bytes, UTF-8 unconverted ("µ" would read "Âµ").
	c = vgpdf.New(3*vg.Inch, 2*vg.Inch)
	c.FillString(face(10, false), vg.Point{X: 10, Y: 10}, "5 µs")
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdfStreams(b.Bytes()), []byte("(5 \xc2\xb5s)")) {
		t.Error("vgpdf now converts UTF-8 text: drop cp1252 in encode.go")
	}
	// vgeps: "(text) show" without escaping; an unbalanced parenthesis
	// would end the string early.
	e := vgeps.New(3*vg.Inch, 2*vg.Inch)
	e.FillString(face(10, false), vg.Point{X: 10, Y: 10}, "a) b")
	b.Reset()
	if _, err := e.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(a) b) show") {
		t.Error("vgeps now escapes text: drop epsText's escaping in encode.go")
	}
}

// TestRotatedLabelPNG: what the old rasteriser did by hand, vgimg does: the
// y axis label is drawn turned a quarter, its ink a tall narrow strip left
// of the tick labels.
func TestRotatedLabelPNG(t *testing.T) {
	f := mappingFigure()
	f.Y.Label = "a rather long y axis label"
	img, err := png.Decode(bytes.NewReader(write(t, f, FormatPNG)))
	if err != nil {
		t.Fatal(err)
	}
	k := float64(DefaultDPI) / 72
	x0, y0, x1, y1 := math.MaxInt, math.MaxInt, -1, -1
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < int(yLabelColumn*k); x++ {
			if rgba(img.At(x, y)) != colorWhite {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	w, h := float64(x1-x0+1), float64(y1-y0+1)
	if want := textWidth(f.Y.Label, sizeLabel, false) * k; x1 < 0 || math.Abs(h-want) > 0.1*want || w > sizeLabel*k {
		t.Errorf("y label ink %gx%g px at (%d, %d), want about %gx%g: a label reading upwards", w, h, x0, y0, sizeLabel*k*0.7, want)
	}
}
