package plot

import (
	"image/color"
	"slices"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// DowntimeVsDirtyRate plots downtime against the workload's dirty rate
// (Params.Workload.DirtyRate), one colour per technique: simulated records as
// a solid line through the median downtime at each dirty rate, analytic ones
// as a dashed line, and every measured (real) record as a point (hollow for
// calibration scenarios). The y axis is logarithmic when downtimes span more
// than two decades, the x axis when dirty rates do. Medians pool every record
// of a technique at a dirty rate, whatever its other parameters, unless by
// splits them by one (a line per value, told apart by marker shape); a note
// says so when memory sizes or bandwidths differ within a line. Failed records
// are left out. The error wraps [ErrNoData] when no record can be drawn or the
// records hold fewer than two dirty rates.
func DowntimeVsDirtyRate(recs []models.Record, by By) (*Figure, error) {
	return versus{
		title: "Downtime vs dirty rate", what: "downtime vs dirty rate",
		xName: "dirty rate", xField: "params.workload.dirty_rate_bytes_per_s", xLabel: "Dirty rate", xUnit: reports.UnitBytesPerSecond,
		x:      func(r models.Record) (float64, bool) { return float64(r.Params.Workload.DirtyRate), true },
		yLabel: "Downtime", y: func(r models.Record) float64 { return r.Metrics.DowntimeS },
		pools: []string{"memory sizes", "bandwidths"},
		by:    by,
	}.figure(recs)
}

// versusLegend says which colour is which technique and how each backend is
// drawn; split: marker shapes tell a parameter's values apart, not backends.
func versusLegend(techs []string, cols map[string]color.RGBA, backends map[string]bool, recs []models.Record, split bool) []LegendItem {
	items := []LegendItem{{Label: "Technique", Header: true}}
	for _, t := range techs {
		items = append(items, LegendItem{Label: t, Color: cols[t], Shape: ShapeNone, Line: true})
	}
	items = append(items, LegendItem{Label: "Backend", Header: true})
	if backends[models.BackendSim] {
		shape := ShapeSquare
		if split {
			shape = ShapeNone
		}
		items = append(items, LegendItem{Label: "simulator (median)", Color: colorNote, Shape: shape, Line: true})
	}
	if backends[models.BackendAnalytic] {
		items = append(items, LegendItem{Label: "analytic model", Color: colorNote, Shape: ShapeNone, Line: true, Dashed: true})
	}
	if backends[models.BackendReal] {
		items = append(items, LegendItem{Label: "measured (real)", Color: colorNote, Shape: ShapeCircle})
		has := func(role models.Role) bool {
			return slices.ContainsFunc(recs, func(r models.Record) bool { return r.Backend == models.BackendReal && r.Role == role })
		}
		switch cal, warm := has(models.RoleCalibration), has(models.RoleWarmup); {
		case cal && warm:
			items = append(items, LegendItem{Label: "measured, calibration or warm-up", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		case cal:
			items = append(items, LegendItem{Label: "measured, calibration", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		case warm:
			items = append(items, LegendItem{Label: "measured, warm-up", Color: colorNote, Shape: ShapeCircle, Hollow: true})
		}
	}
	return items
}
