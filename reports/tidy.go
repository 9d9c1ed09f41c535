package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// Tidy returns one row per record, for analysis in pandas or R: the record's
// identity (scenario, technique, backend, role, repetition, seed, the sweep
// index), the scenario's parameters, one column each, then the metrics.
// Parameters are named by their path in the records' params and carry the
// unit of their values, in base units like the records
// ("network.bandwidth_bytes_per_s", "workload.dirty_rate_bytes_per_s",
// "memory.size_bytes", "network.latency_s"). Without allParams only the
// parameters whose value differs between records are kept (a sweep's axes,
// the scenarios a comparison sets apart); with it every one. A record's
// backend-specific measurements ([models.Metrics].Extra) follow as
// "extra.<name>" columns, their union over the records; prediction intervals
// as "interval.<metric>_lo"/"_hi" when any record has one.
func Tidy(recs []models.Record, allParams bool) Table {
	params := make([][]param, len(recs))
	var order []string
	seen := map[string]bool{}
	for i, r := range recs {
		params[i] = flattenParams(r.Params)
		for _, p := range params[i] {
			if !seen[p.key] {
				seen[p.key] = true
				order = append(order, p.key)
			}
		}
	}
	values := make([]map[string]param, len(recs))
	for i, ps := range params {
		values[i] = make(map[string]param, len(ps))
		for _, p := range ps {
			values[i][p.key] = p
		}
	}
	var keep []string
	for _, k := range order {
		if allParams || varies(values, k) {
			keep = append(keep, k)
		}
	}
	var roles, sweeps, intervals bool
	extras := map[string]bool{}
	for _, r := range recs {
		roles = roles || r.Role != ""
		sweeps = sweeps || r.Sweep != nil
		intervals = intervals || r.Interval != nil
		for k := range r.Metrics.Extra {
			extras[k] = true
		}
	}
	extraKeys := make([]string, 0, len(extras))
	for k := range extras {
		extraKeys = append(extraKeys, k)
	}
	sort.Strings(extraKeys)

	t := Table{Title: fmt.Sprintf("Records, one row each (%d)", len(recs))}
	col := func(key string) { t.Columns = append(t.Columns, Column{Key: key, Header: key}) }
	for _, k := range []string{"scenario", "technique", "backend"} {
		col(k)
	}
	if roles {
		col("role")
	}
	col("repetition")
	col("seed")
	if sweeps {
		col("sweep.index")
	}
	for _, k := range keep {
		col("params." + k)
	}
	for _, k := range tidyMetrics {
		col(k.key)
	}
	if intervals {
		for _, k := range []string{"downtime", "total_time", "bytes_sent"} {
			unit := "_s"
			if k == "bytes_sent" {
				unit = ""
			}
			col("interval." + k + "_lo" + unit)
			col("interval." + k + "_hi" + unit)
		}
	}
	for _, k := range extraKeys {
		col("extra." + k)
	}
	col("flags")
	col("error")

	for i, r := range recs {
		row := []Cell{Text(r.Scenario), Text(r.Technique), Text(r.Backend)}
		if roles {
			row = append(row, textOrMissing(string(r.Role)))
		}
		// The seed is a 64-bit number: as text it keeps every digit.
		row = append(row, Number(float64(r.Repetition), UnitCount), Text(fmt.Sprint(r.Seed)))
		if sweeps {
			if r.Sweep != nil {
				row = append(row, Number(float64(r.Sweep.Index), UnitCount))
			} else {
				row = append(row, Missing())
			}
		}
		for _, k := range keep {
			row = append(row, values[i][k].cell)
		}
		for _, k := range tidyMetrics {
			row = append(row, k.cell(r.Metrics))
		}
		if intervals {
			if iv := r.Interval; iv != nil {
				row = append(row, Number(iv.DowntimeS[0], UnitSeconds), Number(iv.DowntimeS[1], UnitSeconds),
					Number(iv.TotalTimeS[0], UnitSeconds), Number(iv.TotalTimeS[1], UnitSeconds),
					Number(iv.BytesSent[0], UnitBytes), Number(iv.BytesSent[1], UnitBytes))
			} else {
				row = append(row, Missing(), Missing(), Missing(), Missing(), Missing(), Missing())
			}
		}
		for _, k := range extraKeys {
			if v, ok := r.Metrics.Extra[k]; ok {
				row = append(row, Number(v, unitOfKey(k)))
			} else {
				row = append(row, Missing())
			}
		}
		row = append(row, textOrMissing(strings.Join(r.Flags, "; ")), textOrMissing(r.Error))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// tidyMetric is one metrics column of [Tidy].
type tidyMetric struct {
	key  string
	cell func(models.Metrics) Cell
}

// tidyMetrics are the metrics columns, named like the records' fields; the
// ones a backend leaves out (zero) are missing.
var tidyMetrics = []tidyMetric{
	{"downtime_s", func(m models.Metrics) Cell { return Number(m.DowntimeS, UnitSeconds) }},
	{"total_time_s", func(m models.Metrics) Cell { return Number(m.TotalTimeS, UnitSeconds) }},
	{"time_after_trigger_s", func(m models.Metrics) Cell { return Number(m.TimeAfterTriggerS, UnitSeconds) }},
	{"bytes_sent", func(m models.Metrics) Cell { return Number(float64(m.BytesSent), UnitBytes) }},
	{"pages_sent", func(m models.Metrics) Cell { return Number(float64(m.PagesSent), UnitCount) }},
	{"live_rounds", func(m models.Metrics) Cell { return Number(float64(m.LiveRounds), UnitCount) }},
	{"stop_reason", func(m models.Metrics) Cell { return textOrMissing(m.StopReason) }},
	{"converged", func(m models.Metrics) Cell { return Bool(m.Converged) }},
	{"degraded_s", func(m models.Metrics) Cell { return nonZero(m.DegradedS, UnitSeconds) }},
	{"probe_downtime_s", func(m models.Metrics) Cell { return nonZero(m.ProbeDowntimeS, UnitSeconds) }},
	{"group_downtime_s", func(m models.Metrics) Cell { return nonZero(m.GroupDowntimeS, UnitSeconds) }},
}

func nonZero(v float64, u Unit) Cell {
	if v == 0 {
		return Missing()
	}
	return Number(v, u)
}

func textOrMissing(s string) Cell {
	if s == "" {
		return Missing()
	}
	return Text(s)
}

// param is one flattened scenario parameter: its dotted path and its cell.
type param struct {
	key  string
	cell Cell
	raw  string // the JSON value, to compare records
}

// flattenParams lists a scenario's parameters as they appear in its JSON
// form (base units, the unit in the name), objects flattened into dotted
// paths and lists kept as compact JSON text. The name is left out (the
// scenario column has it), and so are the techniques (the technique column).
func flattenParams(s models.Scenario) []param {
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	var out []param
	flattenObject(&out, "", b)
	return out
}

// flattenObject appends the leaves of the JSON object raw to out, in their
// order, under prefix.
func flattenObject(out *[]param, prefix string, raw []byte) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // {
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		path := tok.(string)
		if prefix != "" {
			path = prefix + "." + path
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return
		}
		switch {
		case len(v) > 0 && v[0] == '{':
			flattenObject(out, path, v)
		case path == "name" || path == "techniques":
		default:
			*out = append(*out, param{key: path, cell: jsonCell(v, unitOfKey(path)), raw: string(v)})
		}
	}
}

// jsonCell turns one JSON value into a cell: numbers in unit u, strings and
// booleans as such, null as missing, lists and objects as their JSON text.
func jsonCell(raw json.RawMessage, u Unit) Cell {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return Text(string(raw))
	}
	switch x := v.(type) {
	case nil:
		return Missing()
	case bool:
		return Bool(x)
	case string:
		return Text(x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return Text(x.String())
		}
		return Number(f, u)
	}
	return Text(string(raw))
}

// varies reports whether parameter k differs between records (or is
// missing from some).
func varies(values []map[string]param, k string) bool {
	for i := range values {
		a, ok := values[i][k]
		if !ok {
			return true
		}
		if a.raw != values[0][k].raw {
			return true
		}
	}
	return false
}

// unitOfKey reads a value's unit from its name's suffix, as the records name
// them: "_bytes_per_s", "_bytes", "_s".
func unitOfKey(k string) Unit {
	switch {
	case strings.HasSuffix(k, "_bytes_per_s"):
		return UnitBytesPerSecond
	case strings.HasSuffix(k, "_bytes"):
		return UnitBytes
	case strings.HasSuffix(k, "_s"):
		return UnitSeconds
	}
	return UnitNone
}
