package plot

import (
	"fmt"
	"sync"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"
)

// Font sizes in points (1/72 inch). None is under 8 pt, so every text stays
// readable at the figure's stated size, in print as on screen.
const (
	sizeTitle  = 10
	sizeLabel  = 9
	sizeTick   = 8
	sizeLegend = 8
	sizeNote   = 8
)

// fonts are Liberation Sans regular and bold (metric-compatible with Arial
// and Helvetica), as gonum/plot ships them: the layout measures text with the
// faces the renderers draw it with.
var fonts = sync.OnceValue(func() [2]font.Face {
	var out [2]font.Face
	for _, f := range liberation.Collection() {
		switch f.Name() {
		case "LiberationSans-Regular":
			out[0] = f
		case "LiberationSans-Bold":
			out[1] = f
		}
	}
	if out[0].Face == nil || out[1].Face == nil {
		panic(fmt.Sprintf("plot: gonum's Liberation collection lacks Liberation Sans (%d faces)", len(liberation.Collection())))
	}
	return out
})

// face is Liberation Sans (bold or regular) at size points. A face's
// methods are safe for concurrent use.
func face(size float64, bold bool) font.Face {
	f := fonts()[0]
	if bold {
		f = fonts()[1]
	}
	f.Font.Size = vg.Length(size)
	return f
}

// textWidth is the advance of s in points.
func textWidth(s string, size float64, bold bool) float64 {
	f := face(size, bold)
	return float64(f.Width(s))
}

// wrap breaks s into lines no wider than w points, at spaces.
func wrap(s string, size, w float64) []string {
	var lines []string
	line := ""
	word := ""
	flush := func() {
		switch {
		case line == "":
			line = word
		case textWidth(line+" "+word, size, false) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
		word = ""
	}
	for _, r := range s {
		if r == ' ' {
			if word != "" {
				flush()
			}
			continue
		}
		word += string(r)
	}
	if word != "" {
		flush()
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
