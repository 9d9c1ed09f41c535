package fidelity

import (
	"context"
	"math"

	"github.com/migrlab/migrlab/models"
)

// flagChecks flags the check migrations in recs that ran outside envelope e
// (Record.Flags, set in recs) and returns the others: those CheckErrors
// uses.
func flagChecks(recs []models.Record, e models.Envelope) (kept []models.Record) {
	for i := range recs {
		if recs[i].Role != models.RoleCheck {
			continue
		}
		if recs[i].Flags = e.Check(recs[i]); len(recs[i].Flags) == 0 {
			kept = append(kept, recs[i])
		}
	}
	return kept
}

// CheckErrors is the model's error on scenarios it was not fitted to, per
// technique, from the calibration's check migrations (successful real
// records in checks) predicted under c, with the testbed's noise that the
// calibration's own migrations (fitted, those its spread was drawn from)
// did not show.
//
// Each check scenario and technique is a cell. Its bias, per metric, is the
// mean over its repetitions of the log of measured over predicted; its
// repetitions' own scatter is the testbed's noise, which the intervals carry
// already, so the square of the bias is taken less its sampling variance
// (s²/n, floored at zero). A new scenario's bias is like one more cell's:
// its variance is estimated by the mean squared bias over every cell
// (pooled), and a technique with cells of its own gets the mean of its own
// and the pooled estimate (its own alone rests on one or two scenarios).
// To that variance is added the noise the intervals miss (excessNoise).
// Every technique of models.TechniqueNames gets an entry; nil without any
// usable check.
func CheckErrors(ctx context.Context, c models.Calibration, fitted, checks []models.Record) map[string]models.ModelError {
	type key struct{ scenario, technique string }
	logs, order := cellLogErrors(ctx, c, checks, func(r models.Record) key { return key{r.Scenario, r.Technique} })
	if len(order) == 0 {
		return nil
	}
	var pooled [3]float64
	own := map[string][3]float64{}
	cells := map[string]int{}
	for _, k := range order {
		b := squaredBias(logs[k])
		for i := range b {
			pooled[i] += b[i] / float64(len(order))
		}
		o := own[k.technique]
		for i := range b {
			o[i] += b[i]
		}
		own[k.technique] = o
		cells[k.technique]++
	}
	excess := excessNoise(ctx, c, fitted, checks)
	out := map[string]models.ModelError{}
	for _, t := range models.TechniqueNames {
		v := pooled
		if n := cells[t]; n > 0 {
			for i := range v {
				v[i] = (own[t][i]/float64(n) + pooled[i]) / 2
			}
		}
		x := excess[t != models.Cold]
		for i := range v {
			v[i] += x[i]
		}
		out[t] = models.ModelError{DowntimeS: math.Sqrt(v[0]), TotalTimeS: math.Sqrt(v[1]), Bytes: math.Sqrt(v[2])}
	}
	return out
}

// excessNoise is, per kind of migration (index false: cold, true: the
// techniques with live rounds) and metric, the variance of the log error that the
// testbed's repetitions showed in the check migrations beyond what they
// showed in the fitted ones, which is all the intervals' draws carry. The
// two sets ran interleaved, under the same testbed, so both estimate its
// noise: pooled, with their degrees of freedom as weights, the estimate
// exceeds the fitted set's alone by dfc (vc - vf) / (dfc + dff), floored at
// zero. A quiet stretch during the fitted migrations then no longer makes
// every interval as narrow as that stretch was. Zero for a kind without
// repeated cells on either side.
func excessNoise(ctx context.Context, c models.Calibration, fitted, checks []models.Record) map[bool][3]float64 {
	type key struct {
		scenario, technique string
		live                bool
	}
	byCell := func(r models.Record) key { return key{r.Scenario, r.Technique, r.Technique != models.Cold} }
	f, fo := cellLogErrors(ctx, c, fitted, byCell)
	k, ko := cellLogErrors(ctx, c, checks, byCell)
	out := map[bool][3]float64{}
	for _, live := range []bool{false, true} {
		vf, dff := withinCells(f, fo, func(c key) bool { return c.live == live })
		vc, dfc := withinCells(k, ko, func(c key) bool { return c.live == live })
		if dff == 0 || dfc == 0 {
			continue
		}
		var x [3]float64
		for i := range x {
			x[i] = max(0, dfc*(vc[i]-vf[i])/(dfc+dff))
		}
		out[live] = x
	}
	return out
}

// withinCells is, per metric, the pooled variance of the cells' log errors
// about their own cell's mean over the cells that keep selects, and its
// degrees of freedom (the repetitions less one per cell).
func withinCells[K comparable](logs map[K][][3]float64, order []K, keep func(K) bool) (v [3]float64, df float64) {
	var ss [3]float64
	for _, k := range order {
		es := logs[k]
		if !keep(k) || len(es) < 2 {
			continue
		}
		_, s := cellMoments(es)
		for i := range ss {
			ss[i] += s[i]
		}
		df += float64(len(es) - 1)
	}
	if df > 0 {
		for i := range v {
			v[i] = ss[i] / df
		}
	}
	return v, df
}

// cellLogErrors is, per cell (key of each record), the log of measured
// over predicted under c of downtime, total time and bytes of the
// successful real single-container records of recs (those with a metric
// that is not positive on either side are left out), and the cells in the
// order they first came.
func cellLogErrors[K comparable](ctx context.Context, c models.Calibration, recs []models.Record, key func(models.Record) K) (map[K][][3]float64, []K) {
	logs := map[K][][3]float64{}
	var order []K
	for _, r := range recs {
		p, ok := predictMeasured(ctx, c, r)
		if !ok {
			continue
		}
		m, q := r.Metrics, p.Metrics
		e := [3]float64{logRatio(m.DowntimeS, q.DowntimeS), logRatio(m.TotalTimeS, q.TotalTimeS),
			logRatio(float64(m.BytesSent), float64(q.BytesSent))}
		if math.IsNaN(e[0] + e[1] + e[2]) {
			continue
		}
		k := key(r)
		if _, seen := logs[k]; !seen {
			order = append(order, k)
		}
		logs[k] = append(logs[k], e)
	}
	return logs, order
}

// squaredBias is, per metric, a cell's mean log error squared less its
// sampling variance (at least zero); one repetition gives its square.
func squaredBias(es [][3]float64) [3]float64 {
	m, ss := cellMoments(es)
	n := float64(len(es))
	var out [3]float64
	for i := range out {
		out[i] = m[i] * m[i]
		if n > 1 {
			out[i] = max(0, out[i]-ss[i]/(n-1)/n)
		}
	}
	return out
}

// cellMoments is, per metric, the mean of a cell's log errors and their
// sum of squares about it.
func cellMoments(es [][3]float64) (m, ss [3]float64) {
	for _, e := range es {
		for i := range m {
			m[i] += e[i] / float64(len(es))
		}
	}
	for _, e := range es {
		for i := range ss {
			ss[i] += (e[i] - m[i]) * (e[i] - m[i])
		}
	}
	return m, ss
}

// logRatio is the log of measured over predicted; NaN unless both are
// positive.
func logRatio(measured, predicted float64) float64 {
	if measured > 0 && predicted > 0 {
		return math.Log(measured / predicted)
	}
	return math.NaN()
}

// modelErrorTechniques lists the techniques c holds a model error for.
func modelErrorTechniques(c models.Calibration) []string {
	var ts []string
	for _, t := range models.TechniqueNames {
		if _, ok := c.ModelErrors[t]; ok {
			ts = append(ts, t)
		}
	}
	return ts
}
