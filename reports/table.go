// Package reports turns migration records into tables and renders them as a
// terminal table, Markdown, CSV, JSON or LaTeX.
//
// Records come first and tables second: every table here is derived from
// [models.Record] values, so a report can be re-rendered without re-running
// anything. A [Table] is a neutral value of typed cells (text, numbers with a
// unit, estimates with a confidence interval, missing values), and each format
// decides how to show them: human units ("12.5 ms", "1.25 GiB") in the terminal,
// Markdown and LaTeX; raw base units (seconds, bytes) in CSV and JSON, with the
// unit in the column name.
//
// Summaries follow benchstat: a median, a distribution-free confidence interval
// and n, never a lone mean.
package reports

import (
	"fmt"
	"math"
)

// Unit is the physical unit of a number cell. Values are always stored in the
// unit's base unit (seconds, bytes, bytes per second, a fraction of one).
type Unit uint8

// Units of number cells.
const (
	// UnitNone is a dimensionless number shown with up to four significant digits.
	UnitNone Unit = iota
	// UnitSeconds is a time in seconds, shown as ns, µs, ms or s.
	UnitSeconds
	// UnitBytes is an amount of data in bytes, shown with binary prefixes (KiB, MiB, GiB).
	UnitBytes
	// UnitBytesPerSecond is a data rate, shown with decimal prefixes (kB/s, MB/s, GB/s)
	// like models.Rate.
	UnitBytesPerSecond
	// UnitCount is a count of things (rounds, pages, records).
	UnitCount
	// UnitFraction is a share or ratio of one, shown as a percentage.
	UnitFraction
)

// Align is a column's horizontal alignment.
type Align uint8

// Alignments of a column.
const (
	// AlignAuto aligns text columns left and number columns right.
	AlignAuto Align = iota
	// AlignLeft aligns the column left.
	AlignLeft
	// AlignRight aligns the column right.
	AlignRight
)

// CellKind says what a cell holds.
type CellKind uint8

// Kinds of cells. The zero Cell is missing.
const (
	// KindMissing is a value that does not exist (no data, undefined error).
	KindMissing CellKind = iota
	// KindText is a string.
	KindText
	// KindNumber is a number with a unit.
	KindNumber
	// KindEstimate is a median (or mean) with an interval.
	KindEstimate
	// KindBool is a yes/no value.
	KindBool
)

// Estimate is a central value with an interval around it, from N samples.
//
// When Range is false, [Lo, Hi] is a confidence interval whose coverage
// (the probability it contains the true value) is Coverage, at least the
// requested confidence level. When Range is true there were too few samples for
// a confidence interval at the requested level and [Lo, Hi] is merely the range
// of the samples (min to max); formats mark such cells.
type Estimate struct {
	Center   float64
	Lo, Hi   float64
	N        int
	Coverage float64
	Range    bool
}

// Cell is one typed table cell; build it with [Text], [Label], [Number],
// [EstimateCell], [Bool] or [Missing].
type Cell struct {
	Kind CellKind
	// Text is a text cell's human form.
	Text string
	// Data is a text cell's machine form for CSV and JSON (Text when empty).
	Data string
	// Value is a number cell's value in base units.
	Value float64
	// Est is an estimate cell's value in base units.
	Est Estimate
	// Unit is the unit of a number or estimate cell.
	Unit Unit
	// Signed shows a plus sign on positive numbers (errors, differences).
	Signed bool
	// Flag is a bool cell's value.
	Flag bool
}

// Text returns a text cell.
func Text(s string) Cell { return Cell{Kind: KindText, Text: s} }

// Label returns a text cell shown as human in the terminal, Markdown and LaTeX
// and as data in CSV and JSON (for example "downtime" and "downtime_s").
func Label(human, data string) Cell { return Cell{Kind: KindText, Text: human, Data: data} }

// Number returns a number cell of v in the base unit of u. NaN and infinities
// are missing.
func Number(v float64, u Unit) Cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Missing()
	}
	return Cell{Kind: KindNumber, Value: v, Unit: u}
}

// Signed returns a number cell like [Number] that shows a plus sign when positive.
func Signed(v float64, u Unit) Cell {
	c := Number(v, u)
	c.Signed = c.Kind == KindNumber
	return c
}

// EstimateCell returns an estimate cell in the base unit of u; an estimate from
// no samples is missing.
func EstimateCell(e Estimate, u Unit) Cell {
	if e.N == 0 || math.IsNaN(e.Center) {
		return Missing()
	}
	return Cell{Kind: KindEstimate, Est: e, Unit: u}
}

// Bool returns a yes/no cell.
func Bool(b bool) Cell { return Cell{Kind: KindBool, Flag: b} }

// Missing returns a cell for a value that does not exist.
func Missing() Cell { return Cell{} }

// dataText is a text cell's machine form.
func (c Cell) dataText() string {
	if c.Data != "" {
		return c.Data
	}
	return c.Text
}

// Column describes one column of a [Table].
type Column struct {
	// Key names the column in CSV and JSON and carries the unit of its numbers
	// in base units, like the record fields: "downtime_s", "bytes_sent".
	// An estimate column adds two more, "<key>_lo" and "<key>_hi" (with the
	// unit suffix "_s" kept last: "downtime_lo_s").
	Key string
	// Header is the human heading; LaTeX appends the unit when every number in
	// the column has the same one.
	Header string
	// Align is the column's alignment; AlignAuto decides by the first
	// non-missing cell.
	Align Align
	// DataOnly columns appear in CSV and JSON only.
	DataOnly bool
}

// Table is a titled grid of typed cells, rendered by [Render].
type Table struct {
	// Title says what the table shows; the terminal, Markdown and LaTeX show it.
	Title   string
	Columns []Column
	// Rows hold one cell per column.
	Rows [][]Cell
	// Notes are footnotes shown under the table in the terminal, Markdown and
	// LaTeX. A note on range-only estimates is added when needed.
	Notes []string
}

// align resolves AlignAuto for column i.
func (t Table) align(i int) Align {
	if a := t.Columns[i].Align; a != AlignAuto {
		return a
	}
	for _, r := range t.Rows {
		switch r[i].Kind {
		case KindText, KindBool:
			return AlignLeft
		case KindNumber, KindEstimate:
			return AlignRight
		}
	}
	return AlignLeft
}

// hasRange reports whether any estimate cell is only a range.
func (t Table) hasRange() bool {
	for _, r := range t.Rows {
		for _, c := range r {
			if marked(c) {
				return true
			}
		}
	}
	return false
}

// rangeNote explains the range marker.
const rangeNote = "† the range (min to max), not a 95% confidence interval: too few samples (n < 6), or a row that pools several scenarios (a spread across scenarios is no sampling error)"

// notes returns the table's notes plus the automatic ones.
func (t Table) notes() []string {
	out := append([]string(nil), t.Notes...)
	if t.hasRange() {
		out = append(out, rangeNote)
	}
	return out
}

// check returns an error when a row's length does not match the columns.
func (t Table) check() error {
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("reports: table %q: row %d has %d cells for %d columns", t.Title, i, len(r), len(t.Columns))
		}
	}
	return nil
}
