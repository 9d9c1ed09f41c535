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

// AllRounds returns the rounds of every record as one long table, each row
// led by its record's scenario, technique, backend and repetition: one
// document for CSV and JSON where [Rounds] makes one table per record.
func AllRounds(recs []models.Record) Table {
	id := []Column{
		{Key: "scenario", Header: "Scenario"},
		{Key: "technique", Header: "Technique"},
		{Key: "backend", Header: "Backend"},
		{Key: "repetition", Header: "Rep", Align: AlignRight},
	}
	t := Rounds(models.Record{})
	t.Title = "Rounds of every record"
	t.Notes = nil
	t.Columns = append(id, t.Columns...)
	for _, r := range recs {
		lead := []Cell{Text(r.Scenario), Text(r.Technique), Text(r.Backend), Number(float64(r.Repetition), UnitCount)}
		for _, row := range Rounds(r).Rows {
			t.Rows = append(t.Rows, append(append([]Cell(nil), lead...), row...))
		}
	}
	return t
}
