package reports

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// shardText writes records of scenarios lo..hi of a sweep of size, two per
// scenario, as JSON Lines.
func shardText(t *testing.T, id string, size, lo, hi int) string {
	t.Helper()
	var b bytes.Buffer
	w := models.NewRecordWriter(&b)
	for i := lo; i <= hi; i++ {
		for _, tech := range []string{models.Cold, models.PreCopy} {
			r := models.Record{Scenario: fmt.Sprintf("s/%d", i), Technique: tech, Backend: models.BackendSim,
				Sweep: &models.SweepRef{Name: "s", ID: id, Index: i, Size: size}}
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

func inputs(texts map[string]string, order ...string) []ShardInput {
	var out []ShardInput
	for _, name := range order {
		text := texts[name]
		out = append(out, ShardInput{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }})
	}
	return out
}

func TestMergeShards(t *testing.T) {
	files := map[string]string{
		"a": shardText(t, "x", 10, 0, 3), "b": shardText(t, "x", 10, 4, 6), "c": shardText(t, "x", 10, 7, 9),
		"empty": "", "other": shardText(t, "y", 10, 4, 6), "over": shardText(t, "x", 10, 3, 5),
		"gap":   shardText(t, "x", 10, 4, 4) + shardText(t, "x", 10, 6, 6),
		"plain": `{"schema":1,"scenario":"p","technique":"cold","backend":"sim"}` + "\n",
	}
	whole := shardText(t, "x", 10, 0, 9)
	var out bytes.Buffer
	res, err := MergeShards(&out, inputs(files, "c", "empty", "a", "b", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != whole || res.Files != 3 || res.Scenarios != 10 || res.Records != 20 ||
		fmt.Sprint(res.Repeated) != "[a]" || fmt.Sprint(res.Empty) != "[empty]" || res.Sweep.ID != "x" || res.Sweep.Size != 10 {
		t.Fatalf("merged %d bytes (want %d), %+v", out.Len(), len(whole), res)
	}
	for _, c := range []struct {
		order []string
		want  string
	}{
		{[]string{"a", "c"}, "scenarios 4-6 missing"},
		{[]string{"a", "b"}, "scenarios 7-9 missing"},
		{[]string{"b", "c"}, "scenarios 0-3 missing"},
		{[]string{"a", "gap", "c"}, "scenario 5 missing ("},
		{[]string{"a", "over", "b", "c"}, "over (scenarios 3-5) overlaps a (scenarios 0-3)"},
		{[]string{"a", "other"}, "merge one sweep's shards at a time"},
		{[]string{"a", "plain"}, "a record outside a sweep"},
		{[]string{"empty"}, "no records"},
	} {
		out.Reset()
		_, err := MergeShards(&out, inputs(files, c.order...))
		if !errors.Is(err, ErrShards) || !strings.Contains(err.Error(), c.want) || out.Len() != 0 {
			t.Errorf("%v: %v (%d bytes written), want %q", c.order, err, out.Len(), c.want)
		}
	}
	if got := strings.Join(SweepCoverage(nil), ""); got != "" {
		t.Errorf("no records: %q", got)
	}
}

func TestSweepCoverage(t *testing.T) {
	recs, err := models.ReadRecords(strings.NewReader(shardText(t, "x", 10, 0, 2) + shardText(t, "x", 10, 5, 5) +
		shardText(t, "z", 4, 0, 3)))
	if err != nil {
		t.Fatal(err)
	}
	got := SweepCoverage(recs)
	want := []string{
		"records of 2 definitions of sweep s (ids x, z): did the sweep file change between its shards?",
		"sweep s: 6 of its 10 scenarios have no record (3-4, 6-9): a shard not given, or not finished?",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
