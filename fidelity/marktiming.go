package fidelity

import (
	"context"
	"math"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// markPhases are where, as shares of the marks' spread from its middle,
// markTiming places every mark exactly: the middles of four equal parts of
// it.
var markPhases = []float64{-0.375, -0.125, 0.125, 0.375}

// markTiming is how far a migration of app scenario s (the calibration
// applied) departs from prediction p when its whole-mapping marks fall at
// one place within their spread (models.Memory.Spread) rather than spread
// over it: per metric, the root mean square over markPhases of the
// logarithm of the prediction with every mark placed there over p. The
// prediction sends each mark's expectation; a real migration meets each at
// one time, in one round or the next, or after it ended, and its bytes and
// times move by a whole heap's transfer (a held-out Redis pre-copy sent
// 7.6 MB where its prediction, one of whose rounds met a 2.9 MB mark, made
// it 10.9). Zero for a scenario without marks.
func markTiming(ctx context.Context, s models.Scenario, technique string, rep int, p models.Metrics) models.ModelError {
	w := s.Memory.Spread()
	if len(s.Memory.Marks) == 0 || w <= time.Millisecond {
		return models.ModelError{}
	}
	var sq [3]float64
	n := 0
	for _, u := range markPhases {
		q := s
		q.Memory = s.Memory.MarksPlaced(time.Duration(u * float64(w)))
		r, err := sim.Run(ctx, q, technique, rep)
		if err != nil || r.Error != "" {
			continue
		}
		for i, pair := range [3][2]float64{{r.Metrics.DowntimeS, p.DowntimeS}, {r.Metrics.TotalTimeS, p.TotalTimeS},
			{float64(r.Metrics.BytesSent), float64(p.BytesSent)}} {
			if pair[0] > 0 && pair[1] > 0 {
				sq[i] += math.Pow(math.Log(pair[0]/pair[1]), 2)
			}
		}
		n++
	}
	if n == 0 {
		return models.ModelError{}
	}
	return models.ModelError{DowntimeS: math.Sqrt(sq[0] / float64(n)), TotalTimeS: math.Sqrt(sq[1] / float64(n)), Bytes: math.Sqrt(sq[2] / float64(n))}
}
