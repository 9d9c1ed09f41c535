package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
)

// WorstFirst is the simulator's validation pairs (every pair when no
// record has a role) sorted worst-predicted first: by the larger of the
// absolute relative errors on downtime and bytes sent, ties in Compare's
// order. n limits the rows (n < 1: all). scores, when not nil, gives each
// scenario's divergence-search score, shown beside its pairs. Pairs whose
// measured migration ran outside the calibration's envelope (Flags) are
// left out and counted in a note, as they are from the scores.
func WorstFirst(records []models.Record, n int, scores map[string]float64) Table {
	c, _ := Compare(records)
	anyRole := false
	for _, p := range c.Pairs {
		anyRole = anyRole || p.Role() != ""
	}
	type row struct {
		p     Pair
		worst float64
	}
	var rows []row
	flagged := 0
	for _, p := range c.Pairs {
		if p.Predicted.Backend != models.BackendSim || anyRole && p.Role() != models.RoleValidation {
			continue
		}
		if len(p.Measured.Flags) > 0 {
			flagged++
			continue
		}
		worst := math.Inf(-1)
		for _, m := range []Metric{MetricDowntime, MetricBytes} {
			if _, rel, ok := p.Error(m); ok {
				worst = max(worst, math.Abs(rel))
			}
		}
		rows = append(rows, row{p, worst})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.worst, a.worst) })
	if n >= 1 && n < len(rows) {
		rows = rows[:n]
	}
	t := Table{
		Title: fmt.Sprintf("Worst-predicted first: %d validation pair(s) of the calibrated simulator", len(rows)),
		Columns: []Column{
			{Key: "rank", Header: "#", Align: AlignRight},
			{Key: "scenario", Header: "Scenario"},
			{Key: "technique", Header: "Technique"},
			{Key: "repetition", Header: "Rep", Align: AlignRight},
			{Key: "predicted_downtime_s", Header: "Downtime pred.", Align: AlignRight},
			{Key: "measured_downtime_s", Header: "Downtime meas.", Align: AlignRight},
			{Key: "downtime_rel_error", Header: "Downtime error", Align: AlignRight},
			{Key: "predicted_bytes_sent", Header: "Bytes pred.", Align: AlignRight},
			{Key: "measured_bytes_sent", Header: "Bytes meas.", Align: AlignRight},
			{Key: "bytes_rel_error", Header: "Bytes error", Align: AlignRight},
			{Key: "worst_abs_rel_error", Header: "Worst |error|", Align: AlignRight},
		},
	}
	if scores != nil {
		t.Columns = append(t.Columns, Column{Key: "search_score", Header: "Search score", Align: AlignRight})
	}
	for i, r := range rows {
		_, dRel, _ := r.p.Error(MetricDowntime)
		_, bRel, _ := r.p.Error(MetricBytes)
		pm, mm := r.p.Predicted.Metrics, r.p.Measured.Metrics
		cells := []Cell{
			Number(float64(i+1), UnitCount), Text(r.p.Measured.Scenario), Text(r.p.Measured.Technique),
			Number(float64(r.p.Measured.Repetition), UnitCount),
			Number(pm.DowntimeS, UnitSeconds), Number(mm.DowntimeS, UnitSeconds), Signed(dRel, UnitFraction),
			Number(float64(pm.BytesSent), UnitBytes), Number(float64(mm.BytesSent), UnitBytes), Signed(bRel, UnitFraction),
			Number(r.worst, UnitFraction),
		}
		if scores != nil {
			sc, ok := scores[r.p.Measured.Scenario]
			cells = append(cells, Missing())
			if ok {
				cells[len(cells)-1] = Number(sc, UnitNone)
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	t.Notes = []string{"Error = (predicted - measured) / measured; rows sorted by the larger magnitude of the downtime and bytes errors."}
	if flagged > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d pair(s) left out: their migration ran outside the calibration's envelope (see the brief).", flagged))
	}
	return t
}
