package rewrite

import (
	"bytes"
	"strings"
	"testing"
)

// TestRecords: a record whose params hold the key is changed and counted,
// one without params passes through as it was, and the output is one
// record per line.
func TestRecords(t *testing.T) {
	in := `{"scenario":"a","params":{"memory":{"size_bytes":1},"name":"a"}}
{"scenario":"b"}
`
	var out bytes.Buffer
	n, err := Records(strings.NewReader(in), &out, func(r Record) (bool, error) {
		var m struct {
			Size int `json:"size_bytes"`
		}
		if ok, err := r.Param("memory", &m); !ok || err != nil {
			return false, err
		}
		m.Size *= 2
		return true, r.SetParam("memory", m)
	})
	if err != nil || n != 1 {
		t.Fatalf("changed %d, %v; want 1", n, err)
	}
	want := `{"params":{"memory":{"size_bytes":2},"name":"a"},"scenario":"a"}
{"scenario":"b"}
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if _, err := Records(strings.NewReader("{not json\n"), &out, func(Record) (bool, error) { return false, nil }); err == nil {
		t.Error("a malformed record gave no error")
	}
}
