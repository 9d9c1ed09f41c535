package fidelity

import (
	"context"
	"math"

	"github.com/migrlab/migrlab/models"
)

// minPaceFit is the fewest calibration migrations with both hosts' paces a
// phase's elasticity is fitted from; minPaceSpread the least spread of
// their paces (standard deviation of the log ratio to the median): under
// it the paces say nothing about the phase.
const (
	minPaceFit    = 6
	minPaceSpread = 0.03
)

// FitHostPace fits how the phases of the calibration's migrations (recs,
// under c, which has no pace model yet) follow the hosts' paces over each
// (models.MigrationPaces, models.HostPace): per phase, the slope of the log of
// its deviation from c's prediction over the log of the pace against the
// calibration's median pace (least squares with an intercept, so that the
// testbed's level does not count), bounded to [0, MaxElasticity]. Nil
// when no phase follows the paces (too few migrations measured both, or
// their paces hardly differ).
func FitHostPace(ctx context.Context, c models.Calibration, recs []models.Record) *models.HostPace {
	c.HostPace = nil
	type point struct {
		src, dst float64
		d        models.Deviation
	}
	var pts []point
	var srcs, dsts []float64
	for _, r := range recs {
		src, dst, ok := models.MigrationPaces(r.Metrics.Extra)
		if !ok {
			continue
		}
		ds := Deviations(ctx, c, []models.Record{r})
		if len(ds) != 1 {
			continue
		}
		pts = append(pts, point{src, dst, ds[0]})
		srcs, dsts = append(srcs, src), append(dsts, dst)
	}
	if len(pts) < minPaceFit {
		return nil
	}
	p := &models.HostPace{Migrations: len(pts), Source: models.Median(srcs), Target: models.Median(dsts)}
	fit := func(x func(point) float64, y func(models.Deviation) float64) float64 {
		var xs, ys []float64
		for _, q := range pts {
			if v := y(q.d); v > 0 {
				xs, ys = append(xs, x(q)), append(ys, math.Log(v))
			}
		}
		return elasticity(xs, ys)
	}
	src := func(q point) float64 { return math.Log(q.src / p.Source) }
	dst := func(q point) float64 { return math.Log(q.dst / p.Target) }
	both := func(q point) float64 { return (src(q) + dst(q)) / 2 }
	p.FinalDump = fit(src, func(d models.Deviation) float64 { return d.FinalDump })
	p.FinalTransfer = fit(both, func(d models.Deviation) float64 { return d.FinalTransfer })
	p.Restore = fit(dst, func(d models.Deviation) float64 { return d.Restore })
	p.LiveRounds = fit(src, func(d models.Deviation) float64 { return d.LiveRounds })
	if p.FinalDump == 0 && p.FinalTransfer == 0 && p.Restore == 0 && p.LiveRounds == 0 {
		return nil
	}
	return p
}

// elasticity is the least-squares slope of ys over xs (with an intercept),
// bounded to [0, models.MaxElasticity]; 0 with fewer than minPaceFit
// points or xs without spread.
func elasticity(xs, ys []float64) float64 {
	n := float64(len(xs))
	if len(xs) < minPaceFit {
		return 0
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i] / n
		my += ys[i] / n
	}
	var sxx, sxy float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	if sxx/n < minPaceSpread*minPaceSpread {
		return 0
	}
	return math.Min(math.Max(sxy/sxx, 0), models.MaxElasticity)
}
