package fidelity

import (
	"fmt"

	"github.com/migrlab/migrlab/models"
)

// roundPages is what a growing app's live rounds dirtied beyond the pages it
// added and its growing curve (models.Deviation.RoundPages), from its
// successful pre-copy probes recs: for each live round after the first,
// its pages less those the container grew by since the round before (its
// CRIU parent chain's counts: a round's pages written plus those it skipped
// as its parent's are what the container held) less the growing curve at
// the time from the round before's start to its own; the median over them,
// at least 0. 0 without a growing curve or those counts. The final round
// is left out: the app's check writes into it (memory.check_touch).
func roundPages(recs []models.Record) float64 {
	var xs []float64
	for _, r := range recs {
		c := r.Params.Workload.Curve
		ps := float64(r.Params.Memory.PageSize)
		if r.Technique != models.PreCopy || len(c.Growing) == 0 || ps <= 0 {
			continue
		}
		for i := 1; i < len(r.Rounds); i++ {
			cur, prev := r.Rounds[i], r.Rounds[i-1]
			held, ok := heldPages(r.Metrics.Extra, i+1)
			before, okBefore := heldPages(r.Metrics.Extra, i)
			if cur.Kind != string(models.RoundDelta) || !ok || !okBefore {
				continue
			}
			window := models.Duration((cur.StartS - prev.StartS) * 1e9)
			rest := float64(cur.Pages) - (held - before)
			xs = append(xs, rest-float64(c.GrowingAt(window))/ps)
		}
	}
	if len(xs) == 0 {
		return 0
	}
	return max(0, models.Median(xs))
}

// heldPages is what the container held at its k-th pre-dump round (1-based):
// the pages CRIU wrote plus those it skipped as its parent's.
func heldPages(x map[string]float64, k int) (float64, bool) {
	w, ok := x[fmt.Sprintf("round%d_pages_written", k)]
	s, okS := x[fmt.Sprintf("round%d_pages_skipped_parent", k)]
	return w + s, ok && okS
}
