package plot

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// Named is a figure with the file name (without extension) it is written to.
type Named struct {
	Name   string
	Figure *Figure
}

// LinkRatePlots plots downtime and total time against the rate of the link
// a scenario asked for (Params.Network.Bandwidth), one pair of figures per
// latency of the records: simulated medians as lines, measured records as
// points, as in [DowntimeVsDirtyRate], split by by. A simulated or analytic record is
// placed at the link its scenario's real records asked for (its own
// parameters hold the link the calibration made of it); records of the
// native link are left out. Records at a single link rate (or none on a
// shaped link): no figures and no error. A latency with a single rate among
// others with several is skipped: the error then wraps [ErrNoData] and names
// it, and the other figures are returned.
func LinkRatePlots(recs []models.Record, by By) ([]Named, error) {
	asked := map[string]models.Network{}
	for _, r := range recs {
		if r.Backend == models.BackendReal && !r.Params.Network.Native() {
			asked[r.Scenario] = r.Params.Network
		}
	}
	linkOf := func(r models.Record) (models.Network, bool) {
		if n, ok := asked[r.Scenario]; ok {
			return n, true
		}
		if r.Backend == models.BackendReal || len(asked) > 0 || r.Params.Network.Native() {
			return models.Network{}, false
		}
		return r.Params.Network, true // a simulation without real records
	}
	rates := map[models.Duration]map[models.Rate]bool{}
	var latencies []models.Duration
	grid := false
	for _, r := range recs {
		n, ok := linkOf(r)
		if !ok || r.Error != "" {
			continue
		}
		if rates[n.Latency] == nil {
			rates[n.Latency] = map[models.Rate]bool{}
			latencies = append(latencies, n.Latency)
		}
		rates[n.Latency][n.Bandwidth] = true
		grid = grid || len(rates[n.Latency]) > 1
	}
	if !grid {
		return nil, nil // no records across link rates: not a link comparison
	}
	slices.Sort(latencies)
	var out []Named
	var errs []error
	for _, lat := range latencies {
		suffix, title := "", ""
		if len(latencies) > 1 || lat > 0 {
			suffix = "_latency_" + strings.ReplaceAll(lat.String(), ".", "_")
			title = fmt.Sprintf(" (latency %s)", lat)
		}
		x := func(r models.Record) (float64, bool) {
			n, ok := linkOf(r)
			return float64(n.Bandwidth), ok && n.Latency == lat
		}
		for _, m := range []struct {
			name, label string
			y           func(models.Record) float64
		}{
			{"downtime", "Downtime", func(r models.Record) float64 { return r.Metrics.DowntimeS }},
			{"total_time", "Total time", func(r models.Record) float64 { return r.Metrics.TotalTimeS }},
		} {
			f, err := versus{
				title: m.label + " vs link rate" + title, what: strings.ToLower(m.label) + " vs link rate" + title,
				xName: "link rate", xField: "params.network.bandwidth_bytes_per_s", xLabel: "Link rate", xUnit: reports.UnitBytesPerSecond,
				x: x, yLabel: m.label, y: m.y, pools: []string{"memory sizes", "dirty rates"}, by: by,
			}.figure(recs)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, Named{Name: m.name + "_vs_link_rate" + suffix, Figure: f})
		}
	}
	return out, errors.Join(errs...)
}
