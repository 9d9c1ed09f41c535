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
	`†`, `$^\dagger$`, `µ`, `\textmu{}`,
)

// LaTeXEscape escapes s for LaTeX text: _ % & # $ { } \ ~ ^ | < > (and † and
// µ: a math dagger and an upright \textmu).
func LaTeXEscape(s string) string { return latexEscaper.Replace(s) }

// latexColumn is how one column is shown in LaTeX: with one scale for all its
// numbers (the unit in the header) or, for mixed units, the unit in each cell.
type latexColumn struct {
	index  int
	header string
	spec   byte // 'l' or 'r'
	scale  scale
	shared bool // the unit is in the header
	// siunitx is the column's table-format ("3.2", "+1.3") when it is an S
	// column: every value a plain number in one unit, aligned on the decimal
	// point by siunitx.
	siunitx string
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
			lc.siunitx = t.tableFormat(i, s)
		}
		out = append(out, lc)
	}
	return out
}

// tableFormat returns siunitx's table-format for column i in scale s
// (integer and decimal digits, "+" when a sign occurs), or "" when a cell is
// not a plain number (an estimate with its interval, a marked cell).
func (t Table) tableFormat(i int, s scale) string {
	intDigits, decDigits, sign := 1, 0, false
	for _, r := range t.Rows {
		c := r[i]
		switch c.Kind {
		case KindMissing:
			continue
		case KindNumber:
		default:
			return ""
		}
		n := num(c.Value/s.div, c.Unit, c.Signed)
		if strings.HasPrefix(n, "-") || strings.HasPrefix(n, "+") {
			sign, n = true, n[1:]
		}
		whole, frac, _ := strings.Cut(n, ".")
		intDigits, decDigits = max(intDigits, len(whole)), max(decDigits, len(frac))
	}
	f := fmt.Sprintf("%d.%d", intDigits, decDigits)
	if sign {
		f = "+" + f
	}
	return f
}

// latexMinus writes the minus signs of the numbers in s as a real minus
// ($-$), not a hyphen.
func latexMinus(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && (i == 0 || s[i-1] == ' ' || s[i-1] == '[') {
			b.WriteString("$-$")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
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
		case lc.siunitx != "":
			return num(c.Value/lc.scale.div, c.Unit, c.Signed) // siunitx sets the minus
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
		s = latexMinus(s)
		if marked(c) {
			s += `$^\dagger$`
		}
		return s
	}
	if lc.siunitx != "" {
		return "{--}"
	}
	return "--"
}

// renderLaTeX writes a booktabs tabular (needs \usepackage{booktabs} and
// \usepackage{siunitx}), the title as a comment above it and the notes under
// it in a paragraph as wide as the line (a paper's column), so that they
// wrap. Columns of plain numbers in one unit are siunitx
// S columns, aligned on the decimal point; other numbers have a real minus
// sign.
func renderLaTeX(w io.Writer, t Table) error {
	cols := t.latexColumns()
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "%% %s\n", strings.ReplaceAll(t.Title, "\n", " "))
	}
	b.WriteString("% needs \\usepackage{booktabs,siunitx}\n")
	spec := make([]string, len(cols))
	header := make([]string, len(cols))
	for j, lc := range cols {
		spec[j] = string(lc.spec)
		header[j] = lc.header
		if lc.siunitx != "" {
			spec[j] = "S[table-format=" + lc.siunitx + "]"
			header[j] = "{" + lc.header + "}"
		}
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
	b.WriteString("\\bottomrule\n\\end{tabular}\n")
	if notes := t.notes(); len(notes) > 0 {
		// Under the table, wrapped at the line's width (a paper's column).
		esc := make([]string, len(notes))
		for i, n := range notes {
			esc[i] = LaTeXEscape(n)
		}
		fmt.Fprintf(&b, "\\par\\smallskip\n\\parbox{\\linewidth}{\\footnotesize %s}\n", strings.Join(esc, "\\par\n"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
