package plot

import (
	"bytes"
	"compress/zlib"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/reports"
	"gonum.org/v1/plot/vg"
)

// pdfStreams returns the PDF's streams, inflated where they are compressed
// (fpdf compresses page content with zlib).
func pdfStreams(pdf []byte) []byte {
	var out []byte
	for rest := pdf; ; {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			return out
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			return out
		}
		data := rest[:j]
		if z, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			if b, err := io.ReadAll(z); err == nil || len(b) > 0 {
				data = b
			}
		}
		out = append(out, data...)
		rest = rest[j:]
	}
}

// TestFormats writes one figure in every format through gonum's canvases
// and checks what each file must hold: its signature, its size and its text.
func TestFormats(t *testing.T) {
	f, err := DowntimeVsDirtyRate(sampleRecords(), By{})
	if err != nil {
		t.Fatal(err)
	}
	f.Width, f.Height = 3.5*vg.Inch, 2.5*vg.Inch
	svg := svgOf(t, f)
	if !strings.Contains(svg, `width="252pt" height="180pt"`) {
		t.Errorf("SVG does not say 3.5x2.5 in (252x180 pt):\n%.300s", svg)
	}
	for _, w := range []string{">Downtime vs dirty rate<", "font-family:Liberation Sans", "font-size:8px"} {
		if !strings.Contains(svg, w) {
			t.Errorf("SVG lacks %q", w)
		}
	}
	pdf := write(t, f, FormatPDF)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("PDF starts with %q", pdf[:min(8, len(pdf))])
	}
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 252.00 180.00]")) {
		t.Error("PDF page is not 252x180 pt")
	}
	text := pdfStreams(pdf)
	for _, w := range []string{"(Downtime vs dirty rate)Tj", `(Dirty rate \(MB/s\))Tj`, "(migrror)Tj", "(10 ms)Tj"} {
		if !bytes.Contains(text, []byte(w)) {
			t.Errorf("PDF content lacks %q", w)
		}
	}
	micro := mappingFigure()
	micro.X = Axis{Label: "x", Unit: reports.UnitSeconds, Min: 0, Max: 20e-6}
	if text := pdfStreams(write(t, micro, FormatPDF)); !bytes.Contains(text, []byte("(x \\(\xb5s\\))Tj")) {
		t.Errorf("PDF does not write the axis label x (µs) in cp1252")
	}
	eps := string(write(t, f, FormatEPS))
	for _, w := range []string{"%!PS-Adobe-3.0 EPSF-3.0", "%%BoundingBox: 0 0 252 180", "%%Title: Downtime vs dirty rate",
		"(Downtime vs dirty rate) show", `(Dirty rate \(MB/s\)) show`} {
		if !strings.Contains(eps, w) {
			t.Errorf("EPS lacks %q", w)
		}
	}
	tex := string(write(t, f, FormatTeX))
	for _, w := range []string{`\begin{pgfpicture}`, "Downtime vs dirty rate", `\end{document}`} {
		if !strings.Contains(tex, w) {
			t.Errorf("TeX lacks %q", w)
		}
	}
	f.Title = ""
	if s := svgOf(t, f); strings.Contains(s, "Downtime vs dirty rate") {
		t.Error("a figure without title still has its title")
	}
}

func TestTextEncodings(t *testing.T) {
	for _, c := range []struct {
		f        Format
		in, want string
	}{
		{FormatSVG, "10 µs (a_b)", "10 µs (a_b)"},
		{FormatPDF, "10 µs – x", "10 \xb5s \x96 x"},
		{FormatPDF, "≥ 1", "? 1"},
		{FormatEPS, `10 µs (a\b)`, `10 us \(a\\b\)`},
		{FormatTeX, "50% of a_b & {c}", `50\% of a\_b \& \{c\}`},
	} {
		if got := textFor(c.f)(c.in); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.f, c.in, got, c.want)
		}
	}
}

func TestParseFormats(t *testing.T) {
	got, err := ParseFormats(" SVG,pdf,svg , eps,")
	if err != nil || !slices.Equal(got, []Format{FormatSVG, FormatPDF, FormatEPS}) {
		t.Errorf("formats %v, %v", got, err)
	}
	for _, bad := range []string{"jpg", "svg,gif", ","} {
		if _, err := ParseFormats(bad); err == nil || !strings.Contains(err.Error(), "svg, png, pdf, eps, tex") {
			t.Errorf("%q: error %v, want one naming the formats", bad, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		w, h float64 // inches
	}{
		{"3.5x2.5in", 3.5, 2.5}, {"3.5inx2.5in", 3.5, 2.5}, {"7 x 5 in", 7, 5}, {"9x6cm", 9 / 2.54, 6 / 2.54},
		{"90x60mm", 9 / 2.54, 6 / 2.54}, {"252x180pt", 3.5, 2.5}, {"3.5X2.5IN", 3.5, 2.5},
	} {
		w, h, err := ParseSize(c.in)
		if err != nil || math.Abs(float64(w/vg.Inch)-c.w) > 1e-9 || math.Abs(float64(h/vg.Inch)-c.h) > 1e-9 {
			t.Errorf("%q: %g x %g in, %v; want %g x %g in", c.in, w/vg.Inch, h/vg.Inch, err, c.w, c.h)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"3.5x2.5", "no unit"}, {"3.5in", "WIDTHxHEIGHT"}, {"axbin", "not a positive number"},
		{"-3x2in", "not a positive number"}, {"1x1in", "too small: at least 2x1.5 in"}, {"3x2x1in", "WIDTHxHEIGHT"},
	} {
		_, _, err := ParseSize(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "in") {
			t.Errorf("%q: error %v, want one saying %q", c.in, err, c.want)
		}
		if err != nil && c.want != "too small: at least 2x1.5 in" && !strings.Contains(err.Error(), "3.5x2.5in") {
			t.Errorf("%q: error %q does not show a spelling that works", c.in, err)
		}
	}
}
