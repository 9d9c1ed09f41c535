package fidelity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Link is a link measurement between the source and the target agent: empty
// round trips and one bulk transfer over the private link.
type Link struct {
	RTTs  []time.Duration
	Bytes int64
	Time  time.Duration
}

// Names of the fits in models.Calibration.Fits.
const (
	FitLive          = "live round"
	FitFinal         = "final dump"
	FitFinalCold     = "final dump (cold)"
	FitTransfer      = "transfer"
	FitTransferLive  = "transfer (live rounds)"
	FitLink          = "link"
	FitRestore       = "restore"
	FitRestoreCRIU   = "restore (CRIU)"
	FitRestoreImport = "restore (import)"
	FitImportCold    = "restore (import, cold)"
	FitRuntime       = "runtime dirtying"
)

// Fit derives the simulator's parameters from the samples (and the link
// measurement, if any); see the package documentation for the model. The
// result has Schema, Network, Costs, BaseMemory, RuntimeHot,
// RuntimeDirtyRate and Fits set; the caller adds Testbed, Created, Hosts and
// Scenarios.
func Fit(s Samples, link *Link) (models.Calibration, error) {
	f := &fitter{s: s, c: models.Calibration{Schema: models.CalibrationSchema}}
	c := &f.c
	// Memory beyond the buffer: the runtime's pages (first, the dirtying model needs it).
	if len(s.Base) == 0 {
		f.errs = append(f.errs, errors.New("base memory: no full dump (a pre-copy first round or a cold dump) among the samples"))
	}
	c.BaseMemory = models.ByteSize(math.Max(0, models.Median(s.Base)))
	f.link(link)
	f.transfer()
	f.dumps()
	f.overheads()
	f.restore()
	f.polling()
	f.snapshot()
	if err := fitRuntime(c, s.Dirty); err != nil {
		f.errs = append(f.errs, err)
	}
	if err := errors.Join(f.errs...); err != nil {
		return *c, err
	}
	return *c, c.Validate()
}

// fitter is one Fit: the calibration so far and what went wrong.
type fitter struct {
	s    Samples
	c    models.Calibration
	errs []error
}

// fit fits pts and keeps the fit, or the error.
func (f *fitter) fit(name, x, y string, pts []Point) (models.Fit, bool) {
	fit, err := FitPoints(name, x, y, pts)
	if err != nil {
		f.errs = append(f.errs, err)
		return fit, false
	}
	f.c.Fits = append(f.c.Fits, fit)
	return fit, true
}

// polling sets DirtyScan and DirtyPollInterval, the medians over the
// migrations that measured their dirty memory (records before 2026-11-30
// night did not time it: both stay zero, a mirror that sees changes at once).
func (f *fitter) polling() {
	if len(f.s.DirtyScan) == 0 {
		return
	}
	f.c.Costs.DirtyScan = dur(models.Median(f.s.DirtyScan))
	f.c.Costs.DirtyPollInterval = dur(models.Median(f.s.PollInterval))
}

// snapshot sets Costs.Snapshot, the median over the live rounds of when
// their dirty set was taken (records without CRIU's statistics of the
// rounds: zero, the dirty set taken when the round starts).
func (f *fitter) snapshot() {
	if len(f.s.Snapshot) > 0 {
		f.c.Costs.Snapshot = dur(models.Median(f.s.Snapshot))
	}
}

// link sets the latency (half the median round trip of an empty request)
// and the link's capacity (the bulk transfer's rate).
func (f *fitter) link(l *Link) {
	if l == nil || len(l.RTTs) == 0 {
		return
	}
	pts := make([]Point, 0, len(l.RTTs)+1)
	rtts := make([]float64, len(l.RTTs))
	for i, r := range l.RTTs {
		pts = append(pts, Point{0, r.Seconds()})
		rtts[i] = r.Seconds()
	}
	if l.Bytes > 0 {
		pts = append(pts, Point{float64(l.Bytes), l.Time.Seconds()})
		if l.Time > 0 {
			f.c.LinkCapacity = models.Rate(float64(l.Bytes) / l.Time.Seconds())
		}
	}
	if lf, err := FitPoints(FitLink, "bytes", "seconds", pts); err == nil {
		f.c.Fits = append(f.c.Fits, lf)
	}
	f.c.Network.Latency = models.Duration(dur(models.Median(rtts) / 2))
}

// transfer sets the bandwidth and the transfer setup from the frozen
// (final) rounds' transfers, which the downtime waits for (all rounds' when
// the final rounds cannot tell), and the live bandwidth from the live
// rounds' transfers (slower while the workload runs): their bytes over their
// transfer time beyond the setup and latency.
func (f *fitter) transfer() {
	var frozen, live, all []Point
	for _, r := range f.s.Rounds {
		if r.Bytes <= 0 {
			continue
		}
		p := Point{float64(r.Bytes), r.TransferS}
		all = append(all, p)
		if r.Frozen {
			frozen = append(frozen, p)
		} else {
			live = append(live, p)
		}
	}
	pts, x := frozen, "bytes (final rounds)"
	if fit, err := FitPoints(FitTransfer, x, "seconds", frozen); err != nil || fit.Slope <= 0 {
		pts, x = all, "bytes (all rounds)"
	}
	tr, ok := f.fit(FitTransfer, x, "seconds", pts)
	if !ok {
		return
	}
	if tr.Slope > 0 {
		f.c.Network.Bandwidth = models.Rate(1 / tr.Slope)
	} else {
		f.errs = append(f.errs, fmt.Errorf("transfer: time does not grow with bytes (slope %g s/byte)", tr.Slope))
	}
	// The fixed part beyond the link's latency is the transfer setup.
	f.c.Costs.TransferSetup = dur(tr.Intercept - f.c.Network.Latency.Seconds())
	if len(pts) != len(frozen) || len(live) == 0 {
		return
	}
	// The live rounds' line, for the record; the live bandwidth itself is a
	// line through the frozen fit's intercept (the setup and latency every
	// transfer pays in the model): all live bytes over all live transfer time
	// beyond it. The calibration's live rounds are few and one full round
	// dominates them: a free intercept follows its noise.
	if distinct(xs(live)) >= 2 {
		if fit, err := FitPoints(FitTransferLive, "bytes (live rounds)", "seconds", live); err == nil {
			f.c.Fits = append(f.c.Fits, fit)
		}
	}
	fixed := f.c.Costs.TransferSetup.Seconds() + f.c.Network.Latency.Seconds()
	var bytes, secs float64
	for _, p := range live {
		bytes += p.X
		secs += max(p.Y-fixed, 0)
	}
	if secs > 0 {
		f.c.Network.LiveBandwidth = models.Rate(bytes / secs)
	}
}

// modeledTransfer is the simulator's transfer time of bytes (of a live
// round at the live bandwidth).
func (f *fitter) modeledTransfer(bytes int64, live bool) float64 {
	c := &f.c
	bw := c.Network.Bandwidth
	if live {
		bw = c.Network.LiveRate()
	}
	if bw <= 0 {
		return 0
	}
	return c.Costs.TransferSetup.Seconds() + c.Network.Latency.Seconds() + float64(bytes)/float64(bw)
}

// minLiveRounds is how many live rounds (of two sizes at least) give the
// live rounds a per-page cost of their own.
const minLiveRounds = 3

// dumps sets the dump costs. The final (frozen) dump: its duration besides
// its transfer, against pages. A live round: its span besides the modelled
// transfer, against pages. With a final dump that grows with pages and
// minLiveRounds live rounds or more, each has its own per-page cost:
// DumpPerPage from the live rounds (zero when they do not grow with pages),
// FinalDumpPerPage from the final dumps. Else one per-page cost serves both
// (FinalDumpPerPage stays zero): the final dump's, else the live rounds'.
// The fixed costs are what is left.
func (f *fitter) dumps() {
	c := &f.c
	var finalPts, coldPts, chainedPts, livePts []Point
	for _, r := range f.s.Rounds {
		if !r.Frozen {
			livePts = append(livePts, Point{float64(r.Pages), r.SpanS - f.modeledTransfer(r.Bytes, true)})
			continue
		}
		p := Point{float64(r.Pages), r.SpanS - r.TransferS}
		finalPts = append(finalPts, p)
		if r.Index == 0 { // no live round before it: a cold checkpoint
			coldPts = append(coldPts, p)
		} else {
			chainedPts = append(chainedPts, p)
		}
	}
	if len(finalPts) == 0 {
		f.errs = append(f.errs, errors.New("final dump: no completed migration among the samples"))
	}
	// Cold dumps at two sizes or more carry the line alone; the chained
	// dumps then get a fixed cost of their own (see chainedApart).
	lineFinal, split := finalPts, chainedApart(coldPts, chainedPts)
	if split {
		lineFinal = coldPts
	}
	final, okFinal := models.Fit{}, false
	if distinct(xs(lineFinal)) >= 2 {
		name := FitFinal
		if split {
			name = FitFinalCold
		}
		final, okFinal = f.fit(name, "pages", "seconds", lineFinal)
	}
	live, okLive := models.Fit{}, false
	if distinct(xs(livePts)) >= 2 {
		live, okLive = f.fit(FitLive, "pages", "seconds", livePts)
	}
	switch {
	case okFinal && final.Slope > 0 && okLive && len(livePts) >= minLiveRounds:
		c.Costs.DumpPerPage = dur(live.Slope) // zero when the live rounds do not grow with pages
		c.Costs.FinalDumpPerPage = dur(final.Slope)
	case okFinal && final.Slope > 0:
		c.Costs.DumpPerPage = dur(final.Slope)
	case okLive && live.Slope > 0:
		c.Costs.DumpPerPage = dur(live.Slope)
	}
	// The median is robust to the occasional slow podman call of a round.
	c.Costs.RoundSetup = dur(models.Median(residuals(livePts, c.Costs.DumpPerPage.Seconds())))
	c.Costs.Freeze = dur(models.Median(f.s.Freeze))
	setup := func(pts []Point) models.Duration {
		return dur(mean(residuals(pts, c.Costs.FinalPerPage().Seconds())) - c.Costs.Freeze.Seconds() - c.Costs.RoundSetup.Seconds())
	}
	if len(finalPts) > 0 {
		c.Costs.FinalSetup = setup(lineFinal)
	}
	if split {
		c.Costs.ChainedFinalSetup = max(setup(chainedPts), minChainedCost)
	}
}

// residuals are what each point's y takes beyond slope x its x.
func residuals(pts []Point, slope float64) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.Y - slope*p.X
	}
	return out
}

// minChainedCost stands for a chained fixed cost fitted at zero or below
// (zero would mean "the cold one" in models.Costs).
const minChainedCost = models.Duration(time.Millisecond)

// chainedApart reports whether the chained final rounds (after live rounds)
// get fixed costs of their own: when cold final rounds of two sizes or more
// (minSizeRatio apart) give the per-page line without them. On Podman a checkpoint with a parent
// and the restore of a chain cost more than the cold line says at their
// pages (d6-d10: +1 to +2.6 s for the import in four runs of five), so a
// line through both kinds tilts and mispredicts the cold sizes between.
func chainedApart(cold, chained []Point) bool {
	if len(chained) == 0 || len(cold) < 2 {
		return false
	}
	x := xs(cold)
	// Sizes, not the few pages by which two dumps of one size differ.
	return slices.Max(x) >= minSizeRatio*slices.Min(x)
}

// minSizeRatio is how far apart (largest over smallest, in pages) cold dumps
// must be to count as two sizes.
const minSizeRatio = 1.5

// overheads sets the bytes a round sends beyond its pages: the median over
// the live rounds and over the final rounds.
func (f *fitter) overheads() {
	var live, final []float64
	for _, r := range f.s.Rounds {
		if r.Frozen {
			final = append(final, float64(r.Overhead))
		} else {
			live = append(live, float64(r.Overhead))
		}
	}
	f.c.Costs.RoundOverhead = models.ByteSize(math.Max(0, math.Round(models.Median(live))))
	f.c.Costs.FinalOverhead = models.ByteSize(math.Max(0, math.Round(models.Median(final))))
}

// restore sets the restore costs. When CRIU's share of every restore is
// known (its statistics) and the final rounds differ in size, the restore is
// two parts: CRIU's, against every page it restored (RestorePerPage), and
// the rest (podman importing the final archive: upload, unpacking, the
// container's creation), against the final round's pages
// (RestorePerFinalPage); RestoreBase is both intercepts. Else one line
// against the pages restored, or a fixed cost for one size or restores that
// do not grow with the pages.
func (f *fitter) restore() {
	c := &f.c
	c.Costs.RestoreAllPages = true
	c.Costs.Resume = dur(models.Median(f.s.ResumeGap))
	rs := f.s.Restore
	if len(rs) == 0 {
		f.errs = append(f.errs, errors.New("restore: no completed restore among the samples"))
		return
	}
	var all, criu, imp, impCold, impChained []Point
	split := true
	for _, r := range rs {
		all = append(all, Point{r.Pages, r.TotalS})
		criu = append(criu, Point{r.Pages, r.CRIUS})
		p := Point{r.FinalPages, r.TotalS - r.CRIUS}
		imp = append(imp, p)
		if r.Chained {
			impChained = append(impChained, p)
		} else {
			impCold = append(impCold, p)
		}
		split = split && r.CRIUS > 0 && r.CRIUS <= r.TotalS
	}
	if split && distinct(xs(imp)) >= 2 {
		// With cold restores of two sizes the import's line is theirs, and
		// the chained ones' fixed cost is what they took beyond its slope.
		line, name, apart := imp, FitRestoreImport, chainedApart(impCold, impChained)
		if apart {
			line, name = impCold, FitImportCold
		}
		base, per := f.restorePart(FitRestoreCRIU, "pages restored", criu)
		ibase, iper := f.restorePart(name, "pages of the final round", line)
		c.Costs.RestoreBase, c.Costs.RestorePerPage, c.Costs.RestorePerFinalPage = dur(base+ibase), dur(per), dur(iper)
		if apart {
			c.Costs.ChainedRestoreBase = max(dur(base+mean(residuals(impChained, iper))), minChainedCost)
		}
		return
	}
	if distinct(xs(all)) >= 2 {
		if rf, ok := f.fit(FitRestore, "pages", "seconds", all); ok && rf.Slope > 0 {
			c.Costs.RestoreBase = dur(rf.Intercept)
			c.Costs.RestorePerPage = dur(rf.Slope)
			return
		}
	}
	c.Costs.RestoreBase = dur(models.Median(ys(all)))
}

// restorePart fits one part of the restore: a line when it grows with x,
// else a fixed cost (the median). It returns the intercept and the slope.
func (f *fitter) restorePart(name, x string, pts []Point) (base, per float64) {
	if distinct(xs(pts)) >= 2 {
		if fit, ok := f.fit(name, x, "seconds", pts); ok && fit.Slope > 0 && fit.Intercept >= 0 {
			return fit.Intercept, fit.Slope
		}
	}
	return models.Median(ys(pts)), 0
}

// FitPoints is models.FitLine over points.
func FitPoints(name, x, y string, pts []Point) (models.Fit, error) {
	return models.FitLine(name, x, y, xs(pts), ys(pts))
}

func xs(pts []Point) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.X
	}
	return out
}

func ys(pts []Point) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.Y
	}
	return out
}

func distinct(v []float64) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return len(slices.Compact(s))
}

// dur converts seconds to a non-negative models.Duration (negative fits
// clamp to zero: a cost is never negative).
func dur(sec float64) models.Duration {
	if !(sec > 0) {
		return 0
	}
	return models.Duration(models.Seconds(sec))
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}
