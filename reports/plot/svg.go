package plot

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteSVG writes the figure as a standalone SVG document of Width x Height
// pixels. Text asks for the Go font the layout was measured with, then common
// sans-serif fonts, each text held to its measured width (textLength), so the
// layout holds in any viewer.
func (f *Figure) WriteSVG(w io.Writer) error {
	s, err := f.layout()
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"%s\">\n",
		s.w, s.h, s.w, s.h, fontFamily)
	if f.Title != "" {
		fmt.Fprintf(b, "<title>%s</title>\n", esc(f.Title))
	}
	for _, p := range s.prims {
		svgPrim(b, p)
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

// svgPrim writes one primitive as an SVG element.
func svgPrim(b *bufio.Writer, p prim) {
	attrs := fmt.Sprintf(` class="%s"`, p.class)
	if p.text != "" && p.kind != primText {
		attrs += fmt.Sprintf(` data-series="%s"`, esc(p.text))
	}
	switch p.kind {
	case primRect:
		x0, y0, x1, y1 := p.pts[0].X, p.pts[0].Y, p.pts[1].X, p.pts[1].Y
		fmt.Fprintf(b, "<rect%s x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" %s/>\n",
			attrs, num(x0), num(y0), num(x1-x0), num(y1-y0), paint(p.fill, p.color, p.width))
	case primLine:
		dash := ""
		if len(p.dash) > 0 {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, nums(p.dash))
		}
		fmt.Fprintf(b, "<polyline%s points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-linejoin=\"round\"%s/>\n",
			attrs, points(p.pts), hex(p.color), num(p.width), dash)
	case primMarker:
		fill, stroke, sw, r := p.color, color.RGBA{}, 0.0, p.radius
		if p.hollow {
			fill, stroke, sw = color.RGBA{}, p.color, outlineW
			r -= outlineW / 2
		}
		c := p.pts[0]
		if p.shape == ShapeCircle {
			fmt.Fprintf(b, "<circle%s cx=\"%s\" cy=\"%s\" r=\"%s\" %s/>\n", attrs, num(c.X), num(c.Y), num(r), paint(fill, stroke, sw))
			return
		}
		poly := markerPolygon(p.shape, c, p.radius)
		if p.hollow {
			poly = inset(poly, outlineW/2)
		}
		fmt.Fprintf(b, "<polygon%s points=\"%s\" stroke-linejoin=\"miter\" %s/>\n", attrs, points(poly), paint(fill, stroke, sw))
	case primText:
		anchor := [...]string{"start", "middle", "end"}[p.anchor]
		weight := ""
		if p.bold {
			weight = ` font-weight="bold"`
		}
		rot := ""
		if p.rotate {
			rot = fmt.Sprintf(` transform="rotate(-90 %s %s)"`, num(p.pts[0].X), num(p.pts[0].Y))
		}
		// textLength holds the text to the width the layout measured with the
		// Go font, so a viewer without it keeps labels apart and in the image.
		fmt.Fprintf(b, "<text%s x=\"%s\" y=\"%s\" font-size=\"%s\"%s text-anchor=\"%s\" fill=\"%s\" textLength=\"%s\" lengthAdjust=\"spacingAndGlyphs\"%s>%s</text>\n",
			attrs, num(p.pts[0].X), num(p.pts[0].Y), num(p.size), weight, anchor, hex(p.color), num(textWidth(p.text, p.size, p.bold)), rot, esc(p.text))
	}
}

// paint is the fill and stroke attributes; a zero colour is none.
func paint(fill, stroke color.RGBA, width float64) string {
	s := `fill="none"`
	if fill.A != 0 {
		s = fmt.Sprintf(`fill="%s"`, hex(fill))
	}
	if stroke.A != 0 && width > 0 {
		s += fmt.Sprintf(` stroke="%s" stroke-width="%s"`, hex(stroke), num(width))
	}
	return s
}

// hex is a colour as #rrggbb.
func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// num writes a coordinate with at most two decimals.
func num(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// nums writes numbers separated by spaces.
func nums(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = num(v)
	}
	return strings.Join(parts, " ")
}

// points writes an SVG points list.
func points(ps []pt) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = num(p.X) + "," + num(p.Y)
	}
	return strings.Join(parts, " ")
}

// esc escapes XML text.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
