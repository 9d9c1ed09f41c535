// How a calibration is derived (Calibrate, then Fit).
//
// Calibration runs a few small real migrations (the plan, PlanFor: pre-copies
// of a small container and of one half again as large, cold migrations of
// the small one and of a large one) and derives every
// parameter from the per-phase timings in their records, so that it costs few
// podman operations beyond the migrations themselves:
//
//   - live round: start to next start minus the modelled transfer, against
//     pages: RoundSetup + DumpPerPage (the soft-dirty scan between pre-copy
//     rounds is in RoundSetup, as the simulator starts the next round right
//     away);
//   - final dump: duration minus transfer against pages: FinalDumpPerPage
//     (Podman's checkpoint exports an archive, which costs per page too);
//     FinalSetup is what it costs beyond Freeze (CRIU's freezing time) and
//     RoundSetup. With fewer than three live rounds one per-page cost, the
//     final dump's, serves both (DumpPerPage, FinalDumpPerPage zero);
//   - transfer: time against bytes of the final rounds: 1/slope is the
//     bandwidth the migration achieves, the intercept beyond the link's
//     latency is TransferSetup; of the live rounds: 1/slope is
//     LiveBandwidth (the workload runs and competes);
//   - overheads: the median of bytes beyond pages x page size of the live
//     rounds (RoundOverhead) and of the final rounds (FinalOverhead);
//   - link: round trips of empty requests and one bulk transfer between the
//     agents over the private link: the one-way latency (half the median
//     round trip);
//   - restore: CRIU's restore time (its statistics) against the pages it
//     restored (RestorePerPage; RestoreAllPages since CRIU restores every
//     page from the images), and the rest of podman's restore (importing the
//     final archive) against the final round's pages (RestorePerFinalPage);
//     RestoreBase is both fixed parts. Without CRIU's share, one line
//     against the pages restored. Resume is the rest of the resume step;
//   - base memory: pages of a full dump beyond the workload's buffer;
//   - dirtying: the workload writes at its configured rate; what a round
//     after a live round dumped beyond the occupancy of those writes in its
//     window is the runtime's: hot pages (RuntimeHot) and uniform writes
//     over the rest of the base memory (RuntimeDirtyRate), fitted by least
//     squares (see fitRuntime).
//
// Every fit is kept in Calibration.Fits with its R² and n. Calibrate drives
// real migrations and the link measurement through the narrow interfaces
// Runner and LinkProber (RealRunner implements both on a testbed).

package fidelity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Runner migrates a scenario for real and returns the record (backend real).
type Runner interface {
	Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error)
}

// LinkProber measures the link between the source and the target agent.
type LinkProber interface {
	Link(ctx context.Context) (Link, error)
}

// Step is one calibration migration.
type Step struct {
	Scenario  models.Scenario
	Technique string
	// Check marks a check migration: run with the plan, never fitted,
	// predicted by the calibration fitted from the others (its error is
	// the model's own, models.Calibration.ModelErrors; see CheckErrors).
	Check bool
}

// PlanScenarioPrefix starts the names of the default plan's scenarios;
// CheckScenarioPrefix those of its check migrations.
const (
	PlanScenarioPrefix  = "calibration-"
	CheckScenarioPrefix = "check-"
)

// DefaultPlan is PlanFor(8 MiB, 24 MiB): about ten minutes on TCG-emulated
// local VMs of an otherwise idle machine (three repetitions, as the demo).
func DefaultPlan() []Step { return PlanFor(8<<20, 24<<20) }

// PlanFor is four migrations: pre-copy of a small container (three live
// rounds at most, 256 KiB/s over a quarter of its memory) and of one half
// again as large, then cold migrations of the small and of a large one.
// Together they give live rounds (full and delta), delta rounds at a known
// dirty rate that do not dirty the whole working set, over windows of
// several lengths, final dumps, transfers and restores at sizes far apart,
// so that the per-page costs stand out from the testbed's drift, and cold
// (unchained) checkpoints at two sizes, so that the chained final round's
// fixed costs are told apart from the cold line (see Fit). The two
// pre-copies give the chained final dump and restore, and the runtime's
// dirtying, two migrations per repetition: with one, a single slow or fast
// chained restore among three moved pre-copy's and MiGrror's predicted
// downtime by 3-5 points (docs/fidelity.md).
//
// Then four check migrations, each of a scenario the fitted four are not:
// a cold migration of a size between the two; a second cold one, between
// that size and the large, whose working set is half its memory written at
// three times the rate (with only the first, at the fitted rate, the cold
// intervals held 28 of 36 held-out cold measurements, whose migrations at
// 256-896 KiB/s ran 3.5-9.8 % longer than predicted: one cell cannot say
// whether the cold model departs with the rate or the working set); a
// pre-copy of a container whose working set is half its memory written at
// twice the rate; and MiGrror (which the fitted migrations never run) of
// the mid-sized container written at three times the rate (a gentler
// MiGrror check, at the fitted rate, showed no error where held-out MiGrror
// migrations at 448-896 KiB/s ran 8-11 % longer in downtime than
// predicted), decided 14 s into its mirror with a sync every 512 KiB, at
// most every second: its full copy and a few syncs (about 8 s and two
// under TCG), so that its error speaks of the syncs' timing, which one
// decided at once, as the default trigger has it, never reaches. The
// calibration predicts them without having seen them: how far it misses
// is its error on new scenarios (CheckErrors). Sizes too
// close for the second cold check to differ from the first leave it out.
func PlanFor(small, large models.ByteSize) []Step {
	mk := func(size, wws models.ByteSize, rate models.Rate) models.Scenario {
		s := models.Scenario{Name: PlanScenarioPrefix + strings.ReplaceAll(size.String(), ".00", ""),
			Memory:   models.Memory{Size: size, PageSize: 4096},
			Workload: models.Workload{DirtyRate: rate, WWS: wws},
		} // no network: the testbed's own link, which the calibration measures
		s.PreCopy.Stop = models.StopRules{Threshold: 4096, MaxRounds: 3}
		return s.WithDefaults()
	}
	mid := (small + small/2) / 4096 * 4096
	sm, md, lg := mk(small, small/4, 256<<10), mk(mid, mid/4, 256<<10), mk(large, large/4, 256<<10)
	check := func(s models.Scenario) models.Scenario {
		s.Name = CheckScenarioPrefix + strings.TrimPrefix(s.Name, PlanScenarioPrefix)
		return s
	}
	between := (small + large) / 2 / 4096 * 4096
	upper := (between + large) / 2 / 4096 * 4096
	plan := []Step{{Scenario: sm, Technique: models.PreCopy}, {Scenario: sm, Technique: models.Cold},
		{Scenario: md, Technique: models.PreCopy}, {Scenario: lg, Technique: models.Cold},
		{Scenario: check(mk(between, between/4, 256<<10)), Technique: models.Cold, Check: true}}
	if upper > between {
		plan = append(plan, Step{Scenario: check(mk(upper, upper/2, 768<<10)), Technique: models.Cold, Check: true})
	}
	mirror := check(mk(mid, mid/4, 768<<10))
	mirror.MiGrror = models.MiGrrorParams{SyncThreshold: 512 << 10, MinInterval: models.Duration(time.Second), Trigger: models.Duration(14 * time.Second)}
	return append(plan, Step{Scenario: check(mk(small, small/2, 512<<10)), Technique: models.PreCopy, Check: true},
		Step{Scenario: mirror, Technique: models.MiGrror, Check: true})
}

// CalibrateOptions configure Calibrate.
type CalibrateOptions struct {
	// Plan is the migrations to run (default DefaultPlan()).
	Plan []Step
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Emit, when set, receives every calibration record as soon as it exists.
	Emit func(models.Record) error
	// WarmupMigrations is how many throwaway migrations (of the plan's first
	// step, renamed WarmupScenarioPrefix...) run before the calibration's:
	// the first podman, runc and CRIU operations of a fresh testbed are
	// slower (an emulator translating code for the first time, cold caches),
	// and a calibration fitted on them overestimates every later migration.
	// Their records (role models.RoleWarmup) are kept in CalibrateResult.Warmup, never fitted.
	WarmupMigrations int
	// Repeat runs the plan this many times (repetitions 0..Repeat-1; 0 and 1:
	// once) and fits over all of them: each fixed cost then comes from
	// several migrations instead of one, whose own noise it would carry.
	Repeat int
	// AfterRepetition, when set, runs after each repetition of the plan
	// (rep 0 to Repeat-1, also after a repetition whose migrations failed)
	// and before the fit. The demo measures its validation migrations there,
	// between the calibration's, so that a testbed that drifts over the run
	// drifts under both alike. Its error ends the calibration.
	AfterRepetition func(ctx context.Context, rep int) error
}

// WarmupScenarioPrefix starts the names of warm-up migrations' scenarios.
const WarmupScenarioPrefix = "warmup-"

// CalibrateResult is a calibration and what it was derived from.
type CalibrateResult struct {
	Calibration models.Calibration
	// Records are the calibration migrations' records (Role calibration).
	Records []models.Record
	// Warmup are the warm-up migrations' records (Role models.RoleWarmup).
	Warmup  []models.Record
	Samples Samples
	Link    *Link
	// Failed are the migrations that failed; the calibration is from the others.
	Failed []error
	// Took is the wall time of the calibration.
	Took time.Duration
}

// Calibrate measures the link, runs the plan's migrations and fits the
// calibration. A failed migration is left out and listed in CalibrateResult.Failed;
// Calibrate fails only when the others are not enough for the fit (the error says
// what is missing) or ctx is done.
func Calibrate(ctx context.Context, r Runner, lp LinkProber, opt CalibrateOptions) (*CalibrateResult, error) {
	start := time.Now()
	plan := opt.Plan
	if len(plan) == 0 {
		plan = DefaultPlan()
	}
	logf := func(format string, a ...any) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "[calibrate %5.0fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, a...)...)
		}
	}
	res := &CalibrateResult{}
	if err := warmUp(ctx, r, plan[0], opt, res, logf); err != nil {
		return res, err
	}
	if lp != nil {
		logf("measuring the link between the agents")
		l, err := lp.Link(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			logf("link measurement failed (latency will be 0): %v", err)
		} else {
			res.Link = &l
			logf("link: median round trip %s, %.1f MB/s bulk", models.Median(l.RTTs).Round(10*time.Microsecond), float64(l.Bytes)/max(l.Time.Seconds(), 1e-9)/1e6)
		}
	}
	names := map[string]bool{}
	steps := slices.Clone(plan)
	for rep := 1; rep < opt.Repeat; rep++ {
		steps = append(steps, plan...)
	}
	for i, st := range steps {
		if err := calibrateStep(ctx, r, st, i, len(steps), len(plan), opt, res, names, logf); err != nil {
			return res, err
		}
		if rep := i / len(plan); opt.AfterRepetition != nil && (i+1)%len(plan) == 0 {
			if err := opt.AfterRepetition(ctx, rep); err != nil {
				return res, err
			}
		}
	}
	fitted, _ := splitRole(res.Records, models.RoleCheck)
	kept := Representative(fitted)
	for _, r := range fitted {
		if len(r.Flags) > 0 {
			logf("left out of the fit: %s %s rep %d (%s)", r.Scenario, r.Technique, r.Repetition, strings.Join(r.Flags, "; "))
		}
	}
	res.Samples.Extract(kept...)
	scen := res.Calibration.Scenarios
	c, err := Fit(res.Samples, res.Link)
	c.Scenarios = scen
	res.Calibration = c
	res.Took = time.Since(start)
	if err != nil {
		return res, errors.Join(append(res.Failed, fmt.Errorf("calibration fit: %w", err))...)
	}
	res.Calibration.HostPace = FitHostPace(ctx, c, kept)
	res.Calibration.Spread = Deviations(ctx, res.Calibration, kept)
	res.Calibration.Envelope = EnvelopeOf(kept)
	res.Calibration.Noise = NoiseOf(kept)
	res.Calibration.ModelErrors = CheckErrors(ctx, res.Calibration, kept, flagChecks(res.Records, res.Calibration.Envelope))
	for i := range res.Records {
		if r := &res.Records[i]; r.Role == models.RoleCheck && len(r.Flags) > 0 {
			logf("check left out: %s %s rep %d (%s)", r.Scenario, r.Technique, r.Repetition, strings.Join(r.Flags, "; "))
		}
	}
	logf("done in %s", res.Took.Round(time.Second))
	return res, nil
}

// calibrateStep runs step i of n (repetition i/planLen) and keeps its record;
// a failed migration is listed in res.Failed, only an interruption or a
// record that cannot be emitted is returned.
func calibrateStep(ctx context.Context, r Runner, st Step, i, n, planLen int, opt CalibrateOptions, res *CalibrateResult, names map[string]bool, logf func(string, ...any)) error {
	role, check := models.RoleCalibration, ""
	if st.Check {
		role, check = models.RoleCheck, ", a check: not fitted"
	}
	logf("migration %d/%d: %s, %s (%s, %s/s over %s%s)", i+1, n, st.Scenario.Name, st.Technique,
		st.Scenario.Memory.Size, models.ByteSize(st.Scenario.Workload.DirtyRate), models.ByteSize(st.Scenario.Workload.WWSBytes(st.Scenario.Memory)), check)
	failed, err := runKept(ctx, r, st.Scenario, st.Technique, i/planLen, role, &res.Records, opt, logf, "  FAILED: %v")
	if err != nil {
		return err
	}
	if failed != nil {
		res.Failed = append(res.Failed, fmt.Errorf("%s %s: %w", st.Scenario.Name, st.Technique, failed))
		return nil
	}
	if !names[st.Scenario.Name] && !st.Check {
		names[st.Scenario.Name] = true
		res.Calibration.Scenarios = append(res.Calibration.Scenarios, st.Scenario.Name)
	}
	return nil
}

// runKept runs one migration, keeps its record under role (emitting it) and
// logs its metrics. A failed migration is logged with failure's format and
// returned as failed; err is an interruption or a record that could not be
// emitted.
func runKept(ctx context.Context, r Runner, s models.Scenario, technique string, rep int, role models.Role, kept *[]models.Record,
	opt CalibrateOptions, logf func(string, ...any), failure string) (failed, err error) {
	rec, rerr := r.Run(ctx, s, technique, rep)
	if err := keep(rec, role, kept, opt.Emit); err != nil {
		return nil, err
	}
	if rerr != nil {
		if ctx.Err() != nil {
			return nil, rerr
		}
		logf(failure, rerr)
		return rerr, nil
	}
	logMetrics(logf, rec.Metrics)
	return nil, nil
}

// warmUp runs opt.WarmupMigrations throwaway migrations of step st and keeps
// their records in res.Warmup. A failed warm-up is reported and the
// calibration goes on (only an interruption stops it).
func warmUp(ctx context.Context, r Runner, st Step, opt CalibrateOptions, res *CalibrateResult, logf func(string, ...any)) error {
	s := st.Scenario
	s.Name = WarmupScenarioPrefix + strings.TrimPrefix(s.Name, PlanScenarioPrefix)
	for i := 0; i < opt.WarmupMigrations; i++ {
		logf("warm-up migration %d/%d: %s, %s (not fitted: the testbed's first operations are slower)", i+1, opt.WarmupMigrations, s.Name, st.Technique)
		if _, err := runKept(ctx, r, s, st.Technique, i, models.RoleWarmup, &res.Warmup, opt, logf, "  warm-up FAILED (the calibration goes on): %v"); err != nil {
			return err
		}
	}
	return nil
}

// keep gives a migration's record its role, appends it to kept and emits it
// (emit may be nil); a runner that failed before it had a record has none.
func keep(rec models.Record, role models.Role, kept *[]models.Record, emit func(models.Record) error) error {
	if rec.Scenario == "" {
		return nil
	}
	rec.Role = role
	*kept = append(*kept, rec)
	if emit == nil {
		return nil
	}
	return emit(rec)
}

// logMetrics is a migration's progress line.
func logMetrics(logf func(string, ...any), m models.Metrics) {
	logf("  downtime %.2fs, total %.2fs, %d live rounds, %.1f MiB", m.DowntimeS, m.TotalTimeS, m.LiveRounds, float64(m.BytesSent)/(1<<20))
}

// Describe renders a calibration for a terminal: the parameters and every fit.
func Describe(c models.Calibration) string {
	var b strings.Builder
	co := c.Costs
	fmt.Fprintf(&b, "testbed %s (%s)\n", c.Testbed, c.Created)
	fmt.Fprintf(&b, "  network:   bandwidth %.2f MB/s (live rounds %.2f MB/s), latency %s\n", float64(c.Network.Bandwidth)/1e6,
		float64(c.Network.LiveRate())/1e6, c.Network.Latency)
	fmt.Fprintf(&b, "  live round: setup %s + %s/page, %s beyond the pages\n", co.RoundSetup, co.DumpPerPage, co.RoundOverhead)
	fmt.Fprintf(&b, "  final dump: freeze %s + final setup %s + round setup + %s/page, %s beyond the pages\n",
		co.Freeze, co.FinalSetup, co.FinalPerPage(), co.FinalOverhead)
	if co.ChainedFinalSetup > 0 {
		fmt.Fprintf(&b, "              final setup %s after live rounds (a chained checkpoint)\n", co.ChainedFinalSetup)
	}
	fmt.Fprintf(&b, "  transfer:  setup %s\n", co.TransferSetup)
	fmt.Fprintf(&b, "  restore:   %s + %s/page (all pages) + %s/page (final round), resume %s\n", co.RestoreBase, co.RestorePerPage,
		co.RestorePerFinalPage, co.Resume)
	if co.ChainedRestoreBase > 0 {
		fmt.Fprintf(&b, "             fixed %s for a chain of images (after live rounds)\n", co.ChainedRestoreBase)
	}
	if co.DirtyPollPeriod() > 0 {
		fmt.Fprintf(&b, "  dirty memory: measured in %s, every %s while a mirror waits\n", co.DirtyScan, models.Duration(co.DirtyPollPeriod()))
	}
	if co.Snapshot > 0 {
		fmt.Fprintf(&b, "  snapshot:  a dump takes its dirty set %s after it starts (the workload writes until then)\n", co.Snapshot)
	}
	fmt.Fprintf(&b, "  memory:    base %s; the runtime dirties %s of it in every round and %s\n", c.BaseMemory, c.RuntimeHot, c.RuntimeWrites())
	for _, f := range c.Fits {
		fmt.Fprintf(&b, "  fit %-11s %s = %.4g + %.4g x %s  (R² %.3f, n %d)\n", f.Name+":", f.Y, f.Intercept, f.Slope, f.X, f.R2, f.N)
	}
	if len(c.Scenarios) > 0 {
		fmt.Fprintf(&b, "  calibration scenarios: %s\n", strings.Join(c.Scenarios, ", "))
	}
	if c.HostPace != nil {
		fmt.Fprintf(&b, "  host pace: %s\n", c.HostPace)
	}
	if len(c.Spread) > 0 {
		fmt.Fprintf(&b, "  spread (measured / predicted, over %d migrations): %s\n", len(c.Spread), spreadRanges(c.Spread))
	}
	var floors []string
	for _, n := range c.Noise {
		if n.Metric == "downtime_s" {
			floors = append(floors, fmt.Sprintf("%s %.1f %%", n.Technique, 100*n.FloorMAPE))
		}
	}
	if len(floors) > 0 {
		fmt.Fprintf(&b, "  noise floor (downtime MAPE of each repeated step's median): %s\n", strings.Join(floors, ", "))
	}
	if ts := modelErrorTechniques(c); len(ts) > 0 {
		var es []string
		for _, t := range ts {
			e := c.ModelErrors[t]
			es = append(es, fmt.Sprintf("%s %.1f / %.1f / %.1f %%", t, 100*e.DowntimeS, 100*e.TotalTimeS, 100*e.Bytes))
		}
		fmt.Fprintf(&b, "  model error on the unfitted check migrations (downtime / total time / bytes, log RMS; widens every interval): %s\n",
			strings.Join(es, ", "))
	}
	if g := c.Envelope.Bounds(); g != "" {
		fmt.Fprintf(&b, "  run guard (from the calibration's %d migrations): %s\n", c.Envelope.Migrations, g)
	}
	b.WriteString(describeApps(c.Apps, c.AppLevels, c.AppErrors))
	return b.String()
}
