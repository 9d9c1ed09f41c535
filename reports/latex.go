package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// latexEscaper escapes the characters LaTeX treats specially in text.
var latexEscaper = strings.NewReplacer(
	`\`, `\textbackslash{}`,
	`_`, `\_`, `%`, `\%`, `&`, `\&`, `#`, `\#`, `$`, `\$`, `{`, `\{`, `}`, `\}`,
	`~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
	`|`, `\textbar{}`, `<`, `\textless{}`, `>`, `\textgreater{}`,
	`†`, `$^\dagger$`, `µ`, `$\mu$`,
)

// LaTeXEscape escapes s for LaTeX text: _ % & # $ { } \ ~ ^ | < > (and † and
// µ, which become math symbols).
func LaTeXEscape(s string) string { return latexEscaper.Replace(s) }

// latexColumn is how one column is shown in LaTeX: with one scale for all its
// numbers (the unit in the header) or, for mixed units, the unit in each cell.
type latexColumn struct {
	index  int
	header string
	spec   byte // 'l' or 'r'
	scale  scale
	shared bool // the unit is in the header
}

// latexColumns decides each human column's scale: when every number in a
// column has the same unit, the scale is chosen by the median magnitude of its
// values and named in the header.
func (t Table) latexColumns() []latexColumn {
	var out []latexColumn
	for _, i := range t.humanColumns() {
		lc := latexColumn{index: i, header: LaTeXEscape(t.Columns[i].Header), spec: 'l'}
		if t.align(i) == AlignRight {
			lc.spec = 'r'
		}
		unit, uniform, mags := Unit(0), true, []float64(nil)
		for _, r := range t.Rows {
			c := r[i]
			if c.Kind != KindNumber && c.Kind != KindEstimate {
				continue
			}
			if len(mags) == 0 {
				unit = c.Unit
			} else if c.Unit != unit {
				uniform = false
			}
			m := math.Abs(c.Value)
			if c.Kind == KindEstimate {
				m = estMag(c.Est)
			}
			mags = append(mags, m)
		}
		if len(mags) > 0 && uniform {
			lc.shared = true
			s, named := unit.pick(medianMagnitude(mags))
			lc.scale = s
			if named {
				lc.header += " (" + s.latex + ")"
			}
		}
		out = append(out, lc)
	}
	return out
}

// medianMagnitude is the median of the non-zero magnitudes (0 when all are zero).
func medianMagnitude(m []float64) float64 {
	var nz []float64
	for _, x := range m {
		if x != 0 {
			nz = append(nz, x)
		}
	}
	if len(nz) == 0 {
		return 0
	}
	sort.Float64s(nz)
	return nz[(len(nz)-1)/2]
}

// latexCell formats a cell for column lc.
func latexCell(c Cell, lc latexColumn) string {
	switch c.Kind {
	case KindText:
		return LaTeXEscape(c.Text)
	case KindBool:
		return boolText(c.Flag)
	case KindNumber, KindEstimate:
		var s string
		switch {
		case lc.shared && c.Kind == KindNumber:
			s = num(c.Value/lc.scale.div, c.Unit, c.Signed)
		case lc.shared:
			s = estimateText(c, lc.scale, "")
		case c.Kind == KindNumber:
			sc, _ := c.Unit.pick(math.Abs(c.Value))
			s = joinUnit(num(c.Value/sc.div, c.Unit, c.Signed), sc.latex)
		default:
			sc, _ := c.Unit.pick(estMag(c.Est))
			s = estimateText(c, sc, sc.latex)
		}
		if marked(c) {
			s += `$^\dagger$`
		}
		return s
	}
	return "--"
}

// renderLaTeX writes a booktabs tabular (needs \usepackage{booktabs}), the
// title as a comment above it and the notes as full-width rows under it.
func renderLaTeX(w io.Writer, t Table) error {
	cols := t.latexColumns()
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "%% %s\n", strings.ReplaceAll(t.Title, "\n", " "))
	}
	spec := make([]string, len(cols))
	header := make([]string, len(cols))
	for j, lc := range cols {
		spec[j] = string(lc.spec)
		header[j] = lc.header
	}
	fmt.Fprintf(&b, "\\begin{tabular}{%s}\n\\toprule\n", strings.Join(spec, " "))
	fmt.Fprintf(&b, "%s \\\\\n\\midrule\n", strings.Join(header, " & "))
	for _, r := range t.Rows {
		cells := make([]string, len(cols))
		for j, lc := range cols {
			cells[j] = latexCell(r[lc.index], lc)
		}
		fmt.Fprintf(&b, "%s \\\\\n", strings.Join(cells, " & "))
	}
	b.WriteString("\\bottomrule\n")
	for _, n := range t.notes() {
		fmt.Fprintf(&b, "\\multicolumn{%d}{l}{\\footnotesize %s} \\\\\n", len(cols), LaTeXEscape(n))
	}
	b.WriteString("\\end{tabular}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
