package reports

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strings"
)

// dataField is one CSV column or JSON key: a table column, or the low or high
// bound of an estimate column.
type dataField struct {
	key  string
	col  int
	part int // 0 value, 1 low bound, 2 high bound
}

// dataFields lists the CSV columns and JSON keys of t: every column, and for an
// estimate column also "<key>_lo" and "<key>_hi".
func (t Table) dataFields() []dataField {
	var out []dataField
	for i, c := range t.Columns {
		out = append(out, dataField{key: c.Key, col: i})
		if t.isEstimateColumn(i) {
			out = append(out, dataField{keyWith(c.Key, "lo"), i, 1}, dataField{keyWith(c.Key, "hi"), i, 2})
		}
	}
	return out
}

// isEstimateColumn reports whether any cell of column i is an estimate.
func (t Table) isEstimateColumn(i int) bool {
	for _, r := range t.Rows {
		if r[i].Kind == KindEstimate {
			return true
		}
	}
	return false
}

// dataValue returns a field of a cell in base units and whether it exists;
// quote says the value is a string.
func dataValue(c Cell, part int) (v string, ok, quote bool) {
	switch c.Kind {
	case KindText:
		if part != 0 {
			return "", false, false
		}
		return c.dataText(), true, true
	case KindBool:
		if part != 0 {
			return "", false, false
		}
		if c.Flag {
			return "true", true, false
		}
		return "false", true, false
	case KindNumber:
		if part != 0 {
			return "", false, false
		}
		return dataNumber(c.Value), true, false
	case KindEstimate:
		return dataNumber([]float64{c.Est.Center, c.Est.Lo, c.Est.Hi}[part]), true, false
	}
	return "", false, false
}

// renderCSV writes a header of keys and one record per row, values in base
// units and missing values empty. Titles and notes are not part of CSV.
func renderCSV(w io.Writer, t Table) error {
	fields := t.dataFields()
	cw := csv.NewWriter(w)
	rec := make([]string, len(fields))
	for j, f := range fields {
		rec[j] = f.key
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for _, r := range t.Rows {
		for j, f := range fields {
			rec[j], _, _ = dataValue(r[f.col], f.part)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// renderJSON writes an array of objects, one a line, keys in column order,
// numbers as numbers in base units and missing values null.
func renderJSON(w io.Writer, t Table) error {
	fields := t.dataFields()
	var b strings.Builder
	b.WriteString("[")
	for n, r := range t.Rows {
		if n > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for j, f := range fields {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonString(f.key))
			b.WriteString(": ")
			v, ok, quote := dataValue(r[f.col], f.part)
			switch {
			case !ok:
				b.WriteString("null")
			case quote:
				b.WriteString(jsonString(v))
			default:
				b.WriteString(v)
			}
		}
		b.WriteString("}")
	}
	if len(t.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonString quotes s as a JSON string without escaping <, > and &.
func jsonString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
