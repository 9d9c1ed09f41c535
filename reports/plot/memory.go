package plot

import (
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// DowntimeVsMemory plots downtime against the container's memory size
// (Params.Memory.Size), drawn as [DowntimeVsDirtyRate] draws dirty rates:
// simulated medians as solid lines, analytic ones dashed, measured records as
// points, one colour per technique, split by by. A simulated or analytic
// record is placed at the memory size its scenario's real records asked for
// (a calibrated prediction's memory holds the runtime's too). A note says
// when dirty rates or bandwidths differ within a line. The error wraps
// [ErrNoData] when no record can be drawn or the records hold fewer than two
// memory sizes.
func DowntimeVsMemory(recs []models.Record, by By) (*Figure, error) {
	asked := map[string]models.ByteSize{}
	for _, r := range recs {
		if r.Backend == models.BackendReal {
			asked[r.Scenario] = r.Params.Memory.Size
		}
	}
	return versus{
		title: "Downtime vs memory size", what: "downtime vs memory size",
		xName: "memory size", xField: "params.memory.size_bytes", xLabel: "Memory size", xUnit: reports.UnitBytes,
		x: func(r models.Record) (float64, bool) {
			if m, ok := asked[r.Scenario]; ok {
				return float64(m), true
			}
			return float64(r.Params.Memory.Size), true
		},
		yLabel: "Downtime", y: func(r models.Record) float64 { return r.Metrics.DowntimeS },
		pools: []string{"dirty rates", "bandwidths"}, by: by,
	}.figure(recs)
}
