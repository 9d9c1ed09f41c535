package plot

import (
	"fmt"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"
)

// sizeUnits are the units ParseSize reads, longest name first.
var sizeUnits = []struct {
	name string
	len  vg.Length
}{{"in", vg.Inch}, {"cm", vg.Centimeter}, {"mm", vg.Millimeter}, {"pt", 1}}

// sizeSpellings is what ParseSize's errors offer.
const sizeSpellings = "WIDTHxHEIGHT and a unit: 3.5x2.5in (one column of a paper), 7x5in, 9x6cm, 90x60mm or 252x180pt"

// ParseSize reads a figure size: "3.5x2.5in", "9x6cm", "90x60mm", "252x180pt"
// (a unit after each number is accepted too: "3.5inx2.5in"). The size must
// be at least [MinWidth] x [MinHeight], where the axes, ticks and legend of
// a figure still fit at 8 pt.
func ParseSize(s string) (w, h vg.Length, err error) {
	t := strings.ToLower(strings.ReplaceAll(s, " ", ""))
	parts := strings.Split(t, "x")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("plot: size %q: want %s", s, sizeSpellings)
	}
	unit := vg.Length(0)
	for _, u := range sizeUnits {
		if strings.HasSuffix(parts[1], u.name) {
			unit = u.len
			parts[1] = strings.TrimSuffix(parts[1], u.name)
			parts[0] = strings.TrimSuffix(parts[0], u.name)
			break
		}
	}
	if unit == 0 {
		return 0, 0, fmt.Errorf("plot: size %q has no unit: want %s", s, sizeSpellings)
	}
	var v [2]float64
	for i, p := range parts {
		if v[i], err = strconv.ParseFloat(p, 64); err != nil || !(v[i] > 0) || v[i] > 1e4 {
			return 0, 0, fmt.Errorf("plot: size %q: %q is not a positive number: want %s", s, p, sizeSpellings)
		}
	}
	w, h = vg.Length(v[0])*unit, vg.Length(v[1])*unit
	if w < MinWidth || h < MinHeight {
		return 0, 0, fmt.Errorf("plot: size %q (%.3gx%.3g in) is too small: at least %gx%g in (%.3gx%.3g cm)",
			s, w/vg.Inch, h/vg.Inch, MinWidth/vg.Inch, MinHeight/vg.Inch, MinWidth/vg.Centimeter, MinHeight/vg.Centimeter)
	}
	return w, h, nil
}
