package plot

import (
	"fmt"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Font sizes in pixels.
const (
	sizeTitle  = 18
	sizeLabel  = 14
	sizeTick   = 12.5
	sizeLegend = 13
	sizeNote   = 11.5
)

// fontFamily is what SVG asks for: the Go font the PNG uses and the layout was
// measured with, then fonts of about its width.
const fontFamily = "Go, 'Go Regular', Arial, Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"

// faceKey identifies a loaded face.
type faceKey struct {
	size float64
	bold bool
}

var (
	fontOnce  sync.Once
	fontErr   error
	fontReg   *opentype.Font
	fontBold  *opentype.Font
	facesMu   sync.Mutex
	faceCache = map[faceKey]font.Face{}
)

// withFace calls fn with the Go font (bold or regular) at size pixels (72
// dpi). Faces are not safe for concurrent use, so fn runs under a lock. The
// fonts are compiled in, so a parse error is a programmer error and panics.
func withFace(size float64, bold bool, fn func(font.Face)) {
	fontOnce.Do(func() {
		fontReg, fontErr = opentype.Parse(goregular.TTF)
		if fontErr == nil {
			fontBold, fontErr = opentype.Parse(gobold.TTF)
		}
	})
	if fontErr != nil {
		panic(fmt.Sprintf("plot: parsing the Go fonts: %v", fontErr))
	}
	facesMu.Lock()
	defer facesMu.Unlock()
	k := faceKey{size, bold}
	f, ok := faceCache[k]
	if !ok {
		src := fontReg
		if bold {
			src = fontBold
		}
		var err error
		f, err = opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			panic(fmt.Sprintf("plot: Go font at %gpx: %v", size, err))
		}
		faceCache[k] = f
	}
	fn(f)
}

// textWidth is the advance of s in pixels.
func textWidth(s string, size float64, bold bool) float64 {
	var w float64
	withFace(size, bold, func(f font.Face) { w = fix(font.MeasureString(f, s)) })
	return w
}

// fix converts 26.6 fixed point to float.
func fix(x fixed.Int26_6) float64 { return float64(x) / 64 }

// wrap breaks s into lines no wider than w pixels, at spaces.
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
