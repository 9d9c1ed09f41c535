package reports

import (
	"fmt"
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
	Stats          []ErrorStat
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
			for _, p := range byKey[k] {
				pred = append(pred, m.Of(p.Predicted.Metrics))
				meas = append(meas, m.Of(p.Measured.Metrics))
				if _, r, ok := p.Error(m); ok {
					rels = append(rels, r)
				}
			}
			a, skipped := apes(pred, meas)
			st := ErrorStat{
				Predictor: k.predictor, Technique: k.technique, Metric: m,
				MAPE: MeanCI(a, Confidence), MedianAPE: MedianCI(a, Confidence),
				Bias: MedianCI(rels, Confidence).Center, Excluded: skipped,
			}
			s.Stats = append(s.Stats, st)
		}
	}
	return s
}

// title says what the summary is over.
func (s Summary) title() string {
	const what = "Prediction error (MAPE [95% bootstrap CI], median APE [95% CI])"
	switch s.Scope {
	case ScopeValidation:
		return fmt.Sprintf("%s over validation scenarios only (%d pairs; %d calibration or unassigned pairs left out)", what, s.Pairs, s.LeftOut)
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
		if scope != "" {
			row = append([]Cell{Text(scope)}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
