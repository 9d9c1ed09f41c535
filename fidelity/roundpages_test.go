package fidelity

import (
	"math"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// roundPagesProbe is a pre-copy probe of a growing app whose curve says it
// dirties 100 pages beyond its growth within any window of a second or
// more: a full round, two delta rounds of 1.5 s that sent 150 and 160
// pages while it grew by 40 and 40, and a final round of 300 (its check's
// writes) that the fit leaves out.
func roundPagesProbe() models.Record {
	var r models.Record
	r.Technique = models.PreCopy
	r.Params.Memory = models.Memory{Size: 16 << 20, PageSize: 4096}
	r.Params.Workload.Curve = models.DirtyCurve{
		Points:  []models.DirtyPoint{{Window: models.Duration(1e9), Bytes: 200 * 4096}},
		Growing: []models.DirtyPoint{{Window: models.Duration(1e9), Bytes: 100 * 4096}}}
	r.Rounds = []models.RoundRecord{
		{Kind: "full", StartS: 0, Pages: 1000},
		{Kind: "delta", StartS: 3, Pages: 150},
		{Kind: "delta", StartS: 4.5, Pages: 160},
		{Kind: "final", StartS: 6, Pages: 300, Frozen: true}}
	r.Metrics.Extra = map[string]float64{
		"round1_pages_written": 1000, "round1_pages_skipped_parent": 0,
		"round2_pages_written": 150, "round2_pages_skipped_parent": 890,
		"round3_pages_written": 160, "round3_pages_skipped_parent": 920,
		"final_pages_written": 300, "final_pages_skipped_parent": 800}
	return r
}

// TestRoundPagesIsWhatRoundsSentBeyondGrowthAndCurve: the two delta rounds
// sent 10 and 20 pages beyond the 40 added and the curve's 100: their
// median, 15. A probe without the parent chain's counts, a cold one, and
// one whose rounds sent less than the curve says give nothing, or 0.
func TestRoundPagesIsWhatRoundsSentBeyondGrowthAndCurve(t *testing.T) {
	r := roundPagesProbe()
	if got := roundPages([]models.Record{r}); math.Abs(got-15) > 1e-9 {
		t.Errorf("round pages %g, want 15", got)
	}
	bare := roundPagesProbe()
	bare.Metrics.Extra = nil
	cold := roundPagesProbe()
	cold.Technique = models.Cold
	if got := roundPages([]models.Record{bare, cold}); got != 0 {
		t.Errorf("without counts or live rounds: %g, want 0", got)
	}
	less := roundPagesProbe()
	less.Rounds[1].Pages, less.Rounds[2].Pages = 120, 130
	if got := roundPages([]models.Record{less}); got != 0 {
		t.Errorf("rounds below the curve: %g, want 0", got)
	}
}

// TestAsAppRaisesTheGrowingCurve: an app's records predicted as its own
// carry its growing curve raised by its round pages.
func TestAsAppRaisesTheGrowingCurve(t *testing.T) {
	out := asApp([]models.Record{roundPagesProbe()}, models.Deviation{RoundPages: 15})
	if got := out[0].Params.Workload.Curve.Growing[0].Bytes; got != 115*4096 {
		t.Errorf("growing curve %s, want 115 pages", got)
	}
	if got := roundPagesProbe().Params.Workload.Curve.Growing[0].Bytes; got != 100*4096 {
		t.Errorf("the original record changed: %s", got)
	}
}
