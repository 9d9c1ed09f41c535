package reports

import (
	"fmt"
	"slices"

	"github.com/migrlab/migrlab/models"
)

// Metric is a record metric compared between prediction and measurement,
// named by its record field (the unit in the name).
type Metric string

// Compared metrics.
const (
	MetricDowntime  Metric = "downtime_s"
	MetricTotalTime Metric = "total_time_s"
	MetricBytes     Metric = "bytes_sent"
	MetricRounds    Metric = "live_rounds"
)

// ComparedMetrics lists the metrics [Compare] compares, in table order.
var ComparedMetrics = []Metric{MetricDowntime, MetricTotalTime, MetricBytes, MetricRounds}

// Of returns the metric's value in m, in base units.
func (k Metric) Of(m models.Metrics) float64 {
	switch k {
	case MetricDowntime:
		return m.DowntimeS
	case MetricTotalTime:
		return m.TotalTimeS
	case MetricBytes:
		return float64(m.BytesSent)
	case MetricRounds:
		return float64(m.LiveRounds)
	}
	panic(fmt.Sprintf("reports: unknown metric %q", string(k)))
}

// Label is the metric's human name.
func (k Metric) Label() string {
	switch k {
	case MetricDowntime:
		return "downtime"
	case MetricTotalTime:
		return "total time"
	case MetricBytes:
		return "bytes sent"
	case MetricRounds:
		return "live rounds"
	}
	return string(k)
}

// Unit is the metric's unit.
func (k Metric) Unit() Unit {
	switch k {
	case MetricDowntime, MetricTotalTime:
		return UnitSeconds
	case MetricBytes:
		return UnitBytes
	}
	return UnitCount
}

// Pair is a prediction and a measurement of the same scenario, technique and
// repetition.
type Pair struct {
	// Predicted is the sim or analytic record, Measured the real one.
	Predicted, Measured models.Record
}

// Role is the pair's scenario role: the measured record's, else the predicted one's.
func (p Pair) Role() models.Role {
	if p.Measured.Role != "" {
		return p.Measured.Role
	}
	return p.Predicted.Role
}

// Error returns predicted minus measured for metric k in base units, and the
// relative error (predicted - measured) / |measured|; relOK is false when the
// measured value is zero.
func (p Pair) Error(k Metric) (abs, rel float64, relOK bool) {
	pv, mv := k.Of(p.Predicted.Metrics), k.Of(p.Measured.Metrics)
	rel, relOK = relErr(pv, mv)
	return pv - mv, rel, relOK
}

// ComparisonTable is the per-pair result of [Compare].
type ComparisonTable struct {
	Pairs []Pair
	// Unpaired are successful records without a counterpart (including a
	// second record of the same scenario, technique, backend and repetition,
	// and records of a backend that is neither predicted nor measured).
	Unpaired []models.Record
	// Failed are records with Error set; they are not paired.
	Failed []models.Record
}

// pairKey identifies the records that can be paired.
type pairKey struct {
	scenario, technique string
	repetition          int
}

// Compare pairs predictions (sim or analytic records) with measurements (real
// records) of the same scenario, technique and repetition, and summarises the
// prediction error per predictor, technique and metric over the validation
// scenarios (see [Summary]). Pairs are ordered by scenario (input order),
// technique (models.TechniqueNames order), repetition and predictor (analytic,
// then sim). It is deterministic.
func Compare(records []models.Record) (ComparisonTable, Summary) {
	var c ComparisonTable
	first := map[pairKey]map[string]models.Record{}
	for _, r := range records {
		switch {
		case r.Error != "":
			c.Failed = append(c.Failed, r)
			continue
		case r.Backend != models.BackendSim && r.Backend != models.BackendAnalytic && r.Backend != models.BackendReal:
			c.Unpaired = append(c.Unpaired, r)
			continue
		}
		k := pairKey{r.Scenario, r.Technique, r.Repetition}
		if first[k] == nil {
			first[k] = map[string]models.Record{}
		}
		if _, dup := first[k][r.Backend]; dup {
			c.Unpaired = append(c.Unpaired, r)
			continue
		}
		first[k][r.Backend] = r
	}
	o := newOrderer(records)
	keys := make([]pairKey, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pairKey) int {
		if d := o.compare(GroupScenario, a.scenario, b.scenario); d != 0 {
			return d
		}
		if d := o.compare(GroupTechnique, a.technique, b.technique); d != 0 {
			return d
		}
		return a.repetition - b.repetition
	})
	for _, k := range keys {
		byBackend := first[k]
		meas, ok := byBackend[models.BackendReal]
		for _, b := range []string{models.BackendAnalytic, models.BackendSim} {
			pred, has := byBackend[b]
			switch {
			case has && ok:
				c.Pairs = append(c.Pairs, Pair{Predicted: pred, Measured: meas})
			case has:
				c.Unpaired = append(c.Unpaired, pred)
			}
		}
		if ok && len(byBackend) == 1 {
			c.Unpaired = append(c.Unpaired, meas)
		}
	}
	return c, summarize(c.Pairs)
}

// Table returns one row per pair and metric: predicted, measured, the error
// (predicted - measured) and the relative error.
func (c ComparisonTable) Table() Table {
	t := Table{
		Title: "Predicted vs measured, per pair (error = predicted - measured)",
		Columns: []Column{
			{Key: "scenario", Header: "Scenario"},
			{Key: "role", Header: "Role"},
			{Key: "technique", Header: "Technique"},
			{Key: "repetition", Header: "Rep", Align: AlignRight},
			{Key: "predictor", Header: "Predictor"},
			{Key: "metric", Header: "Metric"},
			{Key: "predicted", Header: "Predicted", Align: AlignRight},
			{Key: "measured", Header: "Measured", Align: AlignRight},
			{Key: "error", Header: "Error", Align: AlignRight},
			{Key: "rel_error", Header: "Rel. error", Align: AlignRight},
		},
	}
	for _, p := range c.Pairs {
		for _, k := range ComparedMetrics {
			abs, rel, _ := p.Error(k)
			u := k.Unit()
			t.Rows = append(t.Rows, []Cell{
				Text(p.Measured.Scenario), Text(string(p.Role())), Text(p.Measured.Technique),
				Number(float64(p.Measured.Repetition), UnitCount), Text(p.Predicted.Backend),
				Label(k.Label(), string(k)),
				Number(k.Of(p.Predicted.Metrics), u), Number(k.Of(p.Measured.Metrics), u),
				Signed(abs, u), Signed(rel, UnitFraction),
			})
		}
	}
	t.Notes = c.notes()
	return t
}

// notes says what was left out of the pairs.
func (c ComparisonTable) notes() []string {
	var out []string
	if n := len(c.Unpaired); n > 0 {
		out = append(out, fmt.Sprintf("%d record(s) without a counterpart of the same scenario, technique and repetition are not shown.", n))
	}
	if n := len(c.Failed); n > 0 {
		out = append(out, fmt.Sprintf("%d failed record(s) (error set) are not paired.", n))
	}
	out = append(out, "Relative error is missing where the measured value is 0.")
	return out
}
