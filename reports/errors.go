package reports

import (
	"fmt"
	"math"
	"slices"

	"github.com/migrlab/migrlab/models"
)

// Scopes of a [Summary]: which pairs its statistics are over.
const (
	// ScopeValidation: the pairs of validation scenarios only.
	ScopeValidation = "validation"
	// ScopeAll: every pair, because no scenario has a role.
	ScopeAll = "all"
	// ScopeNone: no pair, because roles are set but none is validation.
	ScopeNone = "none"
)

// ErrorStat is the prediction error of one predictor backend and technique on
// one metric. Errors are fractions of the measured value; pairs whose measured
// value is zero have no relative error and are counted in Excluded.
type ErrorStat struct {
	Predictor string
	Technique string
	Metric    Metric
	// MAPE is the mean absolute percentage error with a 95% percentile
	// bootstrap interval (a range when n < 6).
	MAPE Estimate
	// MedianAPE is the median absolute percentage error with a 95%
	// order-statistic interval (a range when n < 6).
	MedianAPE Estimate
	// Bias is the median signed relative error: positive when the predictor
	// overestimates.
	Bias     float64
	Excluded int
	// Covered of Intervals pairs had the measured value inside the
	// prediction's interval (pairs whose prediction has none are not
	// counted); Confidence is the intervals' nominal coverage.
	Covered, Intervals int
	Confidence         float64
}

// Coverage is the share of pairs with an interval whose measured value fell
// inside it (NaN without intervals).
func (e ErrorStat) Coverage() float64 {
	if e.Intervals == 0 {
		return math.NaN()
	}
	return float64(e.Covered) / float64(e.Intervals)
}

// intervalOf is a prediction's interval for metric m.
func intervalOf(iv *models.Interval, m Metric) ([2]float64, bool) {
	if iv == nil {
		return [2]float64{}, false
	}
	switch m {
	case MetricDowntime:
		return iv.DowntimeS, true
	case MetricTotalTime:
		return iv.TotalTimeS, true
	case MetricBytes:
		return iv.BytesSent, true
	}
	return [2]float64{}, false
}

// Summary is the prediction error per predictor, technique and metric.
type Summary struct {
	// Scope says which pairs the statistics are over: ScopeValidation when any
	// scenario has the validation role, ScopeAll when no scenario has a role,
	// ScopeNone otherwise (calibration scenarios are never scored).
	Scope string
	// Pairs is the number of pairs in scope, LeftOut the number of pairs left
	// out (calibration scenarios, and any without the validation role).
	Pairs, LeftOut int
	// Flagged are the pairs in scope whose measured migration ran outside
	// the calibration's envelope (models.Record.Flags): kept in the
	// records, not scored.
	Flagged []Pair
	Stats   []ErrorStat
}

// summarize computes the error statistics of the pairs in scope.
func summarize(pairs []Pair) Summary {
	s := Summary{Scope: ScopeAll}
	for _, p := range pairs {
		if p.Role() == models.RoleValidation {
			s.Scope = ScopeValidation
			break
		}
		if p.Role() != "" {
			s.Scope = ScopeNone
		}
	}
	type key struct{ predictor, technique string }
	byKey := map[key][]Pair{}
	var keys []key
	for _, p := range pairs {
		if s.Scope == ScopeValidation && p.Role() != models.RoleValidation || s.Scope == ScopeNone {
			s.LeftOut++
			continue
		}
		if len(p.Measured.Flags) > 0 {
			s.Flagged = append(s.Flagged, p)
			continue
		}
		s.Pairs++
		k := key{p.Predicted.Backend, p.Measured.Technique}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if d := compareListed(backendOrder, a.predictor, b.predictor); d != 0 {
			return d
		}
		return compareListed(models.TechniqueNames, a.technique, b.technique)
	})
	for _, k := range keys {
		for _, m := range ComparedMetrics {
			var pred, meas, rels []float64
			var covered, intervals int
			var conf float64
			for _, p := range byKey[k] {
				pred = append(pred, m.Of(p.Predicted.Metrics))
				meas = append(meas, m.Of(p.Measured.Metrics))
				if _, r, ok := p.Error(m); ok {
					rels = append(rels, r)
				}
				if iv, ok := intervalOf(p.Predicted.Interval, m); ok {
					intervals++
					conf = p.Predicted.Interval.Confidence
					if x := m.Of(p.Measured.Metrics); x >= iv[0] && x <= iv[1] {
						covered++
					}
				}
			}
			a, skipped := apes(pred, meas)
			st := ErrorStat{
				Predictor: k.predictor, Technique: k.technique, Metric: m,
				MAPE: MeanCI(a, Confidence), MedianAPE: MedianCI(a, Confidence),
				Bias: MedianCI(rels, Confidence).Center, Excluded: skipped,
				Covered: covered, Intervals: intervals, Confidence: conf,
			}
			s.Stats = append(s.Stats, st)
		}
	}
	return s
}

// coverageCell is an ErrorStat's coverage, or missing without intervals.
func coverageCell(st ErrorStat) Cell {
	if st.Intervals == 0 {
		return Missing()
	}
	return Number(st.Coverage(), UnitFraction)
}

// title says what the summary is over.
func (s Summary) title() string {
	const what = "Prediction error (MAPE [95% bootstrap CI], median APE [95% CI])"
	flagged := ""
	if len(s.Flagged) > 0 {
		flagged = fmt.Sprintf("; %d pairs flagged, outside the calibration's envelope, not scored", len(s.Flagged))
	}
	switch s.Scope {
	case ScopeValidation:
		return fmt.Sprintf("%s over validation scenarios only (%d pairs; %d calibration or unassigned pairs left out%s)", what, s.Pairs, s.LeftOut, flagged)
	case ScopeAll:
		return fmt.Sprintf("%s over all scenarios, none has a calibration/validation role (%d pairs)", what, s.Pairs)
	}
	return fmt.Sprintf("%s: no validation scenarios (%d non-validation pairs not scored)", what, s.LeftOut)
}

// Table returns one row per predictor, technique and metric.
func (s Summary) Table() Table {
	t := statsTable(s.title(), s.Stats, s.Scope)
	t.Notes = []string{
		"APE = |predicted - measured| / |measured|; bias = median signed relative error (positive: overestimate).",
		"n counts pairs with a non-zero measured value; the others have no relative error.",
	}
	if slices.ContainsFunc(s.Stats, func(st ErrorStat) bool { return st.Intervals > 0 }) {
		t.Notes = append(t.Notes, "In interval: the share of measured values inside their prediction's interval "+
			"(90 % nominal; the simulator run again under the deviation from its prediction of each calibration migration of its kind, cold or live).")
	}
	return t
}

// statsTable renders error statistics one row per predictor, technique and
// metric; scope, when not empty, fills a data-only first column.
func statsTable(title string, stats []ErrorStat, scope string) Table {
	t := Table{
		Title: title,
		Columns: []Column{
			{Key: "predictor", Header: "Predictor"},
			{Key: "technique", Header: "Technique"},
			{Key: "metric", Header: "Metric"},
			{Key: "n", Header: "n", Align: AlignRight},
			{Key: "mape", Header: "MAPE", Align: AlignRight},
			{Key: "median_ape", Header: "Median APE", Align: AlignRight},
			{Key: "bias", Header: "Bias", Align: AlignRight},
			{Key: "excluded", Header: "Excluded", Align: AlignRight, DataOnly: true},
		},
	}
	// Predictions with intervals: the share of measurements inside them.
	intervals := slices.ContainsFunc(stats, func(st ErrorStat) bool { return st.Intervals > 0 })
	if intervals {
		t.Columns = slices.Insert(t.Columns, 7, Column{Key: "coverage", Header: "In interval", Align: AlignRight})
	}
	if scope != "" {
		t.Columns = append([]Column{{Key: "scope", Header: "Scope", DataOnly: true}}, t.Columns...)
	}
	for _, st := range stats {
		row := []Cell{
			Text(st.Predictor), Text(st.Technique), Label(st.Metric.Label(), string(st.Metric)),
			Number(float64(st.MAPE.N), UnitCount),
			EstimateCell(st.MAPE, UnitFraction), EstimateCell(st.MedianAPE, UnitFraction),
			Signed(st.Bias, UnitFraction), Number(float64(st.Excluded), UnitCount),
		}
		if intervals {
			row = slices.Insert(row, 7, coverageCell(st))
		}
		if scope != "" {
			row = append([]Cell{Text(scope)}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
