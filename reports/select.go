package reports

import (
	"fmt"
	"strings"
)

// Select returns t with only the columns named by keys (their CSV and JSON
// names: "technique", "downtime_s"), in that order: a table narrowed to fit
// one column of a paper. The error names the keys t has.
func (t Table) Select(keys []string) (Table, error) {
	index := map[string]int{}
	var have []string
	for i, c := range t.Columns {
		index[c.Key] = i
		have = append(have, c.Key)
	}
	out := Table{Title: t.Title, Notes: t.Notes}
	var pick []int
	for _, k := range keys {
		i, ok := index[k]
		if !ok {
			return Table{}, fmt.Errorf("no column %q in %q (columns: %s)", k, t.Title, strings.Join(have, ", "))
		}
		c := t.Columns[i]
		c.DataOnly = false // asked for by name: shown in every format
		out.Columns = append(out.Columns, c)
		pick = append(pick, i)
	}
	for _, r := range t.Rows {
		row := make([]Cell, len(pick))
		for j, i := range pick {
			row[j] = r[i]
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}
