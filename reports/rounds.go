package reports

import (
	"fmt"

	"github.com/migrlab/migrlab/models"
)

// Rounds returns the per-round detail of one record: index, kind, bytes,
// pages, duration, dump and transfer time, bandwidth and whether the workload
// was frozen.
func Rounds(r models.Record) Table {
	t := Table{
		Title: fmt.Sprintf("Rounds of %s / %s / %s, repetition %d", r.Scenario, r.Technique, r.Backend, r.Repetition),
		Columns: []Column{
			{Key: "index", Header: "Round", Align: AlignRight},
			{Key: "kind", Header: "Kind"},
			{Key: "bytes", Header: "Bytes", Align: AlignRight},
			{Key: "pages", Header: "Pages", Align: AlignRight},
			{Key: "duration_s", Header: "Duration", Align: AlignRight},
			{Key: "dump_s", Header: "Dump", Align: AlignRight},
			{Key: "transfer_s", Header: "Transfer", Align: AlignRight},
			{Key: "bandwidth_bytes_per_s", Header: "Bandwidth", Align: AlignRight},
			{Key: "frozen", Header: "Frozen"},
		},
	}
	for _, x := range r.Rounds {
		t.Rows = append(t.Rows, []Cell{
			Number(float64(x.Index), UnitCount), Text(x.Kind),
			Number(float64(x.Bytes), UnitBytes), Number(float64(x.Pages), UnitCount),
			Number(x.DurationS, UnitSeconds), Number(x.DumpS, UnitSeconds), Number(x.TransferS, UnitSeconds),
			Number(x.BandwidthBps, UnitBytesPerSecond), Bool(x.Frozen),
		})
	}
	if r.Error != "" {
		t.Notes = append(t.Notes, "The migration failed: "+r.Error)
	}
	return t
}
