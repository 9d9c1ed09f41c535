package plot

import (
	"math"
	"slices"
	"strings"
)

// fitTicks returns a with ticks chosen for length points (horizontal or not):
// the most that keep labels apart (as they will read, the shared unit
// hoisted), at least two where any candidate has two.
func fitTicks(a Axis, length float64, horizontal bool) Axis {
	if a.Ticks != nil {
		return a
	}
	per := 25.0
	if horizontal {
		per = 48
	}
	var two *Axis                                              // the sparsest candidate with two ticks or more
	for n := min(10, max(3, int(length/per)+1)); n >= 2; n-- { // three if they fit: two ticks hardly make a scale
		b := a
		b.Ticks, b.Minor = nil, nil
		var vs []float64
		if a.Log {
			vs, b.Minor = LogTicks(a.Min, a.Max, n, a.Unit)
		} else {
			vs = LinearTicks(a.Min, a.Max, n, a.Unit)
		}
		for _, v := range vs {
			b.Ticks = append(b.Ticks, Tick{v, TickLabel(v, a.Unit)})
		}
		if len(b.Ticks) >= 2 {
			if labelsFit(hoistUnit(b), length, horizontal) {
				return b
			}
			two = &b
		}
	}
	if two != nil {
		return *two
	}
	return a
}

// hoistUnit moves a unit that every tick label shares into the axis label:
// ticks "0", "5 s", "10 s" become "0", "5", "10" and the label gains " (s)".
// Axes whose ticks need several units ("100 ms", "1 s") keep them per tick.
func hoistUnit(a Axis) Axis {
	unit := ""
	for _, t := range a.Ticks {
		if t.Value == 0 {
			continue
		}
		i := strings.LastIndexByte(t.Label, ' ')
		if i < 0 || (unit != "" && t.Label[i+1:] != unit) {
			return a
		}
		unit = t.Label[i+1:]
	}
	if unit == "" {
		return a
	}
	a.Ticks = slices.Clone(a.Ticks)
	for i, t := range a.Ticks {
		a.Ticks[i].Label = strings.TrimSuffix(t.Label, " "+unit)
	}
	a.Label += " (" + unit + ")"
	return a
}

// labelsFit reports whether neighbouring tick labels keep apart.
func labelsFit(a Axis, length float64, horizontal bool) bool {
	for i := 1; i < len(a.Ticks); i++ {
		d := (frac(a, a.Ticks[i].Value) - frac(a, a.Ticks[i-1].Value)) * length
		need := sizeTick * 1.6
		if horizontal {
			need = (textWidth(a.Ticks[i].Label, sizeTick, false)+textWidth(a.Ticks[i-1].Label, sizeTick, false))/2 + 8
		}
		if d < need {
			return false
		}
	}
	return true
}

// maxLabelWidth is the widest tick label of a.
func maxLabelWidth(a Axis) float64 {
	w := 0.0
	for _, t := range a.Ticks {
		w = math.Max(w, textWidth(t.Label, sizeTick, false))
	}
	return w
}
