package plot

import (
	"fmt"
	"io"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgeps"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
	"gonum.org/v1/plot/vg/vgtex"
)

// Format is a figure's file format; its value is the file extension.
type Format string

// Formats [Figure.Write] writes, through gonum/plot's canvases.
const (
	FormatSVG Format = "svg" // vgsvg: names Liberation Sans, does not embed it
	FormatPNG Format = "png" // vgimg at the figure's DPI
	FormatPDF Format = "pdf" // vgpdf, fonts embedded
	FormatEPS Format = "eps" // vgeps: names the fonts, embeds none
	FormatTeX Format = "tex" // vgtex: PGF/TikZ commands, text set by LaTeX
)

// AllFormats lists the formats in the order their names are documented.
var AllFormats = []Format{FormatSVG, FormatPNG, FormatPDF, FormatEPS, FormatTeX}

// ParseFormats reads a comma-separated list of formats ("svg,png,pdf"),
// repeats left out. An unknown name is an error that lists the known ones.
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for _, name := range strings.Split(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		f := Format(name)
		switch {
		case name == "":
			continue
		case !containsFormat(AllFormats, f):
			return nil, fmt.Errorf("plot: unknown format %q (valid: %s)", name, formatList())
		case !containsFormat(out, f):
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("plot: no format in %q (valid: %s)", s, formatList())
	}
	return out, nil
}

func containsFormat(fs []Format, f Format) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

// formatList is "svg, png, pdf, eps, tex".
func formatList() string {
	names := make([]string, len(AllFormats))
	for i, f := range AllFormats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// Write lays the figure out and writes it to w in format.
func (f *Figure) Write(w io.Writer, format Format) error {
	s, err := f.layout()
	if err != nil {
		return err
	}
	c, err := f.canvas(format)
	if err != nil {
		return err
	}
	s.render(c, format)
	_, err = c.WriteTo(w)
	return err
}

// WriteSVG is Write(w, FormatSVG), for callers that want SVG only.
func (f *Figure) WriteSVG(w io.Writer) error { return f.Write(w, FormatSVG) }

// canvas makes the gonum canvas of format at the figure's size.
func (f *Figure) canvas(format Format) (vg.CanvasWriterTo, error) {
	w, h := f.size()
	W, H := vg.Points(w), vg.Points(h)
	switch format {
	case FormatSVG:
		return vgsvg.New(W, H), nil
	case FormatPNG:
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(W, H), vgimg.UseDPI(f.dpi()))}, nil
	case FormatPDF:
		return vgpdf.New(W, H), nil
	case FormatEPS:
		return vgeps.NewTitle(W, H, epsText(f.Title)), nil
	case FormatTeX:
		return vgtex.NewDocument(W, H), nil
	}
	return nil, fmt.Errorf("plot: unknown format %q (valid: %s)", format, formatList())
}

// render draws the scene's primitives onto c. The scene's y axis points down
// from the top-left corner; the canvas's points up from the bottom-left.
func (s *scene) render(c vg.Canvas, format Format) {
	text := textFor(format)
	at := func(p pt) vg.Point { return vg.Point{X: vg.Points(p.X), Y: vg.Points(s.h - p.Y)} }
	poly := func(ps []pt, closed bool) vg.Path {
		var path vg.Path
		for i, p := range ps {
			if i == 0 {
				path.Move(at(p))
			} else {
				path.Line(at(p))
			}
		}
		if closed {
			path.Close()
		}
		return path
	}
	for _, p := range s.prims {
		c.Push()
		switch p.kind {
		case primRect:
			a, b := p.pts[0], p.pts[1]
			box := poly([]pt{a, {b.X, a.Y}, b, {a.X, b.Y}}, true)
			if p.fill.A != 0 {
				c.SetColor(p.fill)
				c.Fill(box)
			}
			if p.color.A != 0 && p.width > 0 {
				c.SetColor(p.color)
				c.SetLineWidth(vg.Points(p.width))
				c.Stroke(box)
			}
		case primLine:
			c.SetColor(p.color)
			c.SetLineWidth(vg.Points(p.width))
			if len(p.dash) > 0 {
				dash := make([]vg.Length, len(p.dash))
				for i, d := range p.dash {
					dash[i] = vg.Points(d)
				}
				c.SetLineDash(dash, 0)
			}
			c.Stroke(poly(p.pts, false))
		case primMarker:
			c.SetColor(p.color)
			r := p.radius
			if p.hollow {
				r -= outlineW / 2 // the outline's outer edge at the radius
			}
			var path vg.Path
			if p.shape == ShapeCircle {
				path.Move(at(pt{p.pts[0].X + r, p.pts[0].Y}))
				path.Arc(at(p.pts[0]), vg.Points(r), 0, 2*math.Pi)
				path.Close()
			} else {
				ps := markerPolygon(p.shape, p.pts[0], p.radius)
				if p.hollow {
					ps = inset(ps, outlineW/2)
				}
				path = poly(ps, true)
			}
			if p.hollow {
				c.SetLineWidth(vg.Points(outlineW))
				c.Stroke(path)
			} else {
				c.Fill(path)
			}
		case primText:
			c.SetColor(p.color)
			fc := face(p.size, p.bold)
			if format == FormatPDF && p.bold {
				// vgpdf registers a font under its name without a style,
				// then asks fpdf for it with style "B" when its weight is
				// bold: "undefined font: liberationsans-bold B". The bold
				// face, named as a regular one of its own typeface, works.
				fc.Font.Typeface, fc.Font.Weight = "LiberationBold", 0
			}
			shift := [...]float64{0, 0.5, 1}[p.anchor] * textWidth(p.text, p.size, p.bold)
			c.Translate(at(p.pts[0]))
			if p.rotate {
				c.Rotate(math.Pi / 2) // reading upwards
			}
			c.FillString(fc, vg.Point{X: vg.Points(-shift)}, text(p.text))
		}
		c.Pop()
	}
}
