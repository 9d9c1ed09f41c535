package plot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// By splits a plot's series by one scenario parameter: one line (or set of
// points) per value, told apart by marker shape, where the plot would pool
// them. The zero By splits nothing. [ParseBy] makes one.
type By struct {
	// Key is the parameter's path in the records' JSON
	// ("network.bandwidth_bytes_per_s"); Name is how the legend names it
	// ("network.bandwidth").
	Key, Name string
	// Unit writes its numeric values.
	Unit reports.Unit
}

// unitSuffixes are the endings the records' parameter names carry for their
// unit, longest first.
var unitSuffixes = []string{"_bytes_per_s", "_bytes", "_fraction", "_s"}

// ParseBy finds the scenario parameter name in the records: its dotted path
// as a scenario file writes it ("network.bandwidth", "memory.size"), as the
// records do ("network.bandwidth_bytes_per_s"), or its last part when only
// one parameter ends so ("bandwidth"). An unknown name is an
// error that lists the parameters that differ between the records. An empty
// name is the zero By.
func ParseBy(recs []models.Record, name string) (By, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return By{}, nil
	}
	keys := map[string]bool{}
	seen := map[[2]string]bool{}
	for _, r := range recs {
		if s := [2]string{r.Scenario, r.Backend}; !seen[s] {
			seen[s] = true
			for k := range flatParams(r.Params) {
				keys[k] = true
			}
		}
	}
	var tail []string // keys whose last part is name ("bandwidth")
	for k := range keys {
		base := stripUnit(k)
		if k == name || base == name {
			return By{Key: k, Name: base, Unit: unitOf(k)}, nil
		}
		if strings.HasSuffix(base, "."+name) || strings.HasSuffix(k, "."+name) {
			tail = append(tail, k)
		}
	}
	if len(tail) == 1 {
		return By{Key: tail[0], Name: stripUnit(tail[0]), Unit: unitOf(tail[0])}, nil
	}
	return By{}, fmt.Errorf("plot: no scenario parameter %q in the records; parameters that differ between them: %s",
		name, strings.Join(varying(recs), ", "))
}

// stripUnit drops a parameter name's unit suffix.
func stripUnit(k string) string {
	for _, s := range unitSuffixes {
		if strings.HasSuffix(k, s) {
			return strings.TrimSuffix(k, s)
		}
	}
	return k
}

// unitOf is the unit a parameter's name declares.
func unitOf(k string) reports.Unit {
	switch {
	case strings.HasSuffix(k, "_bytes_per_s"):
		return reports.UnitBytesPerSecond
	case strings.HasSuffix(k, "_bytes"):
		return reports.UnitBytes
	case strings.HasSuffix(k, "_s"):
		return reports.UnitSeconds
	}
	return reports.UnitNone
}

// varying lists the parameters (as ParseBy takes them) whose values differ
// between records, sorted; "(none)" when all are alike.
func varying(recs []models.Record) []string {
	first := map[string]string{}
	diff := map[string]bool{}
	for i, r := range recs {
		for k, v := range flatParams(r.Params) {
			if i == 0 {
				first[k] = v
			} else if first[k] != v {
				diff[stripUnit(k)] = true
			}
		}
	}
	var out []string
	for k := range diff {
		out = append(out, k)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

// flatParams is a scenario's JSON form flattened into dotted paths, each
// leaf its JSON text (lists kept whole).
func flatParams(s models.Scenario) map[string]string {
	b, err := json.Marshal(s)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	flatten(out, "", b)
	delete(out, "name")
	return out
}

// flatten adds the leaves of the JSON object raw to out under prefix.
func flatten(out map[string]string, prefix string, raw []byte) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		path, _ := tok.(string)
		if prefix != "" {
			path = prefix + "." + path
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return
		}
		if len(v) > 0 && v[0] == '{' {
			flatten(out, path, v)
		} else {
			out[path] = string(v)
		}
	}
}

// value is one value of a By parameter: a number in its unit, or a text.
type value struct {
	num    float64
	text   string
	isText bool
}

// of reads b's parameter from a record (the zero value for the zero By).
func (b By) of(r models.Record) value {
	if b.Key == "" {
		return value{}
	}
	raw, ok := jsonPath(reflect.ValueOf(r.Params), strings.Split(b.Key, "."))
	if !ok {
		return value{text: "null", isText: true}
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return value{num: f}
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) == nil {
		return value{text: s, isText: true}
	}
	return value{text: raw, isText: true}
}

// jsonPath is the JSON text of the field of v at path (JSON names), found
// by reflection so a record's whole scenario need not be encoded each time;
// false when there is none.
func jsonPath(v reflect.Value, path []string) (string, bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", false
		}
		v = v.Elem()
	}
	if len(path) == 0 {
		b, err := json.Marshal(v.Interface())
		return string(b), err == nil
	}
	if v.Kind() != reflect.Struct {
		return "", false
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
		case name == "" && f.Anonymous:
			if s, ok := jsonPath(v.Field(i), path); ok {
				return s, true
			}
		case name == path[0] || (name == "" && f.Name == path[0]):
			return jsonPath(v.Field(i), path[1:])
		}
	}
	return "", false
}

// label writes a value for the legend: "100 MB/s", "1 GiB", "true".
func (b By) label(v value) string {
	if v.isText {
		if v.text == "" || v.text == "null" {
			return "(none)"
		}
		return v.text
	}
	return TickLabel(v.num, b.Unit)
}

// values returns the distinct values of b among recs, numbers in order and
// before texts.
func (b By) values(recs []models.Record) []value {
	var out []value
	for _, r := range recs {
		if v := b.of(r); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(x, y value) int {
		switch {
		case x.isText != y.isText:
			if x.isText {
				return 1
			}
			return -1
		case x.isText:
			return strings.Compare(x.text, y.text)
		}
		return cmpFloat(x.num, y.num)
	})
	return out
}
