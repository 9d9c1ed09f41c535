// Package rewrite is the analysis tools' loop over records (JSON Lines):
// each record decoded to its fields, handed to a function that may change
// them, and written back.
package rewrite

import (
	"bufio"
	"encoding/json"
	"io"
)

// Record is one record's fields, undecoded.
type Record map[string]json.RawMessage

// Records reads records from in, calls f on each and writes each to out;
// it returns how many f changed (f returns true for them).
func Records(in io.Reader, out io.Writer, f func(Record) (bool, error)) (int, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	changed := 0
	for sc.Scan() {
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return changed, err
		}
		ok, err := f(rec)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return changed, err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return changed, err
		}
	}
	if err := sc.Err(); err != nil {
		return changed, err
	}
	return changed, w.Flush()
}

// Param decodes the record's params.KEY into v; false when it has none.
func (r Record) Param(key string, v any) (bool, error) {
	params, err := r.params()
	if err != nil || params == nil {
		return false, err
	}
	raw, ok := params[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// SetParam sets the record's params.KEY to v.
func (r Record) SetParam(key string, v any) error {
	params, err := r.params()
	if err != nil {
		return err
	}
	if params == nil {
		params = map[string]json.RawMessage{}
	}
	if params[key], err = json.Marshal(v); err != nil {
		return err
	}
	r["params"], err = json.Marshal(params)
	return err
}

func (r Record) params() (map[string]json.RawMessage, error) {
	raw, ok := r["params"]
	if !ok {
		return nil, nil
	}
	var params map[string]json.RawMessage
	return params, json.Unmarshal(raw, &params)
}
