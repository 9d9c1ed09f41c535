package reports

import (
	"math"
	"strconv"
	"strings"
)

// scale is one human unit of a base unit: the base value is divided by div.
type scale struct {
	div   float64
	name  string // terminal and Markdown
	latex string // LaTeX header
}

var (
	secondScales = []scale{{1, "s", "s"}, {1e-3, "ms", "ms"}, {1e-6, "µs", `\textmu{}s`}, {1e-9, "ns", "ns"}}
	byteScales   = []scale{{1 << 40, "TiB", "TiB"}, {1 << 30, "GiB", "GiB"}, {1 << 20, "MiB", "MiB"}, {1 << 10, "KiB", "KiB"}, {1, "B", "B"}}
	rateScales   = []scale{{1e9, "GB/s", "GB/s"}, {1e6, "MB/s", "MB/s"}, {1e3, "kB/s", "kB/s"}, {1, "B/s", "B/s"}}
	percentScale = []scale{{0.01, "%", `\%`}}
)

// scales returns the human units of u, largest first; nil for units shown as
// plain numbers.
func (u Unit) scales() []scale {
	switch u {
	case UnitSeconds:
		return secondScales
	case UnitBytes:
		return byteScales
	case UnitBytesPerSecond:
		return rateScales
	case UnitFraction:
		return percentScale
	}
	return nil
}

// pick returns the scale for a magnitude: the largest not above it.
func (u Unit) pick(mag float64) (scale, bool) {
	ss := u.scales()
	if ss == nil {
		return scale{div: 1}, false
	}
	for _, s := range ss {
		if mag >= s.div {
			return s, true
		}
	}
	if mag == 0 {
		for _, s := range ss {
			if s.div == 1 {
				return s, true // "0 s", "0 B"
			}
		}
	}
	return ss[len(ss)-1], true
}

// num formats a scaled value with about three significant digits:
// 125, 12.5, 1.25, 0.125, 0.00320. Counts and bytes below a KiB are integers when whole.
func num(x float64, u Unit, signed bool) string {
	var s string
	ax := math.Abs(x)
	switch {
	case (u == UnitCount || u == UnitNone) && x == math.Trunc(x) && ax < 1e15:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case u == UnitNone:
		s = strconv.FormatFloat(x, 'g', 4, 64)
	case u == UnitCount:
		s = strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
	case ax >= 100 || x == 0:
		s = strconv.FormatFloat(x, 'f', 0, 64)
	case ax >= 10:
		s = strconv.FormatFloat(x, 'f', 1, 64)
	case ax >= 1:
		s = strconv.FormatFloat(x, 'f', 2, 64)
	default: // three significant digits: 0.900, 0.00320
		s = strconv.FormatFloat(x, 'f', 2-int(math.Floor(math.Log10(ax))), 64)
	}
	if s == "-0" {
		s = "0"
	}
	if signed && x > 0 {
		s = "+" + s
	}
	return s
}

// joinUnit puts a unit after a number: "12.5 ms", but "87.5%".
func joinUnit(n, unit string) string {
	if unit == "" {
		return n
	}
	if unit == "%" || unit == `\%` {
		return n + unit
	}
	return n + " " + unit
}

// human formats a number or estimate cell in human units, the unit in the cell.
func human(c Cell) string {
	switch c.Kind {
	case KindNumber:
		s, _ := c.Unit.pick(math.Abs(c.Value))
		return joinUnit(num(c.Value/s.div, c.Unit, c.Signed), s.name)
	case KindEstimate:
		s, _ := c.Unit.pick(estMag(c.Est))
		return estimateText(c, s, s.name)
	}
	return ""
}

// estMag is the magnitude an estimate's scale is chosen by.
func estMag(e Estimate) float64 {
	return math.Max(math.Abs(e.Center), math.Max(math.Abs(e.Lo), math.Abs(e.Hi)))
}

// estimateText formats "12.5 ms [11.9, 13.1]" in scale s; an estimate from one
// sample has no interval. Callers mark range-only estimates (see marked).
func estimateText(c Cell, s scale, unit string) string {
	e := c.Est
	var b strings.Builder
	b.WriteString(joinUnit(num(e.Center/s.div, c.Unit, c.Signed), unit))
	if e.N > 1 {
		b.WriteString(" [")
		b.WriteString(num(e.Lo/s.div, c.Unit, c.Signed))
		b.WriteString(", ")
		b.WriteString(num(e.Hi/s.div, c.Unit, c.Signed))
		b.WriteString("]")
	}
	return b.String()
}

// dataNumber formats a value in base units for CSV and JSON: the shortest
// exact form, in exponent notation only where encoding/json would use it.
func dataNumber(v float64) string {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// boolText is a bool cell in human formats.
func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// keyWith inserts part before a key's unit suffix: ("downtime_s", "lo") is
// "downtime_lo_s", ("bytes_sent", "lo") is "bytes_sent_lo".
func keyWith(key, part string) string {
	for _, suf := range []string{"_bytes_per_s", "_s"} {
		if strings.HasSuffix(key, suf) {
			return strings.TrimSuffix(key, suf) + "_" + part + suf
		}
	}
	return key + "_" + part
}

// marked reports whether an estimate cell shows a range that is not a
// confidence interval.
func marked(c Cell) bool { return c.Kind == KindEstimate && c.Est.Range && c.Est.N > 1 }
