package reports

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// tidyRecords are two techniques over two bandwidths and two memory sizes,
// two repetitions each, the second with a backend measurement.
func tidyRecords() []models.Record {
	var out []models.Record
	for _, bw := range []float64{12.5e6, 125e6} {
		for _, size := range []models.ByteSize{256 << 20, 1 << 30} {
			for _, tech := range []string{models.Cold, models.PreCopy} {
				for rep := 0; rep < 2; rep++ {
					s := models.Scenario{Name: "grid", Techniques: []string{models.Cold, models.PreCopy}}
					s.Memory.Size, s.Memory.PageSize = size, 4096
					s.Network.Bandwidth = models.Rate(bw)
					s.Network.Latency = models.Duration(time.Millisecond)
					down := float64(size) / bw
					r := rec("grid", "", tech, models.BackendSim, rep, down, down, int64(size), 0, "no_live_rounds")
					r.Params = s
					if rep == 1 {
						r.Metrics.Extra = map[string]float64{"restore_s": 0.5}
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// TestTidyColumns: the parameters that differ are columns, in base units,
// and read back to the records' values; the ones that do not are left out
// unless asked for.
func TestTidyColumns(t *testing.T) {
	recs := tidyRecords()
	var buf bytes.Buffer
	if err := Render(&buf, FormatCSV, Tidy(recs, false)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, k := range []string{"params.memory.size_bytes", "params.network.bandwidth_bytes_per_s", "downtime_s", "extra.restore_s"} {
		if _, ok := col[k]; !ok {
			t.Errorf("no column %s in %q", k, rows[0])
		}
	}
	for _, k := range []string{"params.network.latency_s", "params.memory.page_size_bytes", "params.name", "params.techniques"} {
		if _, ok := col[k]; ok {
			t.Errorf("column %s, the same in every record", k)
		}
	}
	if len(rows) != len(recs)+1 {
		t.Fatalf("%d rows for %d records", len(rows)-1, len(recs))
	}
	for i, r := range recs {
		row := rows[i+1]
		if got, _ := strconv.ParseFloat(row[col["params.network.bandwidth_bytes_per_s"]], 64); got != float64(r.Params.Network.Bandwidth) {
			t.Errorf("row %d: bandwidth %v, want %v", i, got, float64(r.Params.Network.Bandwidth))
		}
		if got, _ := strconv.ParseInt(row[col["params.memory.size_bytes"]], 10, 64); got != int64(r.Params.Memory.Size) {
			t.Errorf("row %d: size %v, want %v", i, got, r.Params.Memory.Size)
		}
		if got, _ := strconv.ParseFloat(row[col["downtime_s"]], 64); got != r.Metrics.DowntimeS {
			t.Errorf("row %d: downtime %v, want %v", i, got, r.Metrics.DowntimeS)
		}
		if want := map[int]string{0: "", 1: "0.5"}[r.Repetition]; row[col["extra.restore_s"]] != want {
			t.Errorf("row %d: restore_s %q, want %q", i, row[col["extra.restore_s"]], want)
		}
	}
	all := Tidy(recs, true)
	var latency bool
	for _, c := range all.Columns {
		latency = latency || c.Key == "params.network.latency_s"
	}
	if !latency {
		t.Errorf("allParams: no params.network.latency_s")
	}
}
