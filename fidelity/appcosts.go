package fidelity

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// An app's own costs. The calibration measures checkpoints and restores of
// the synthetic workload: one process and its buffer. An app dumps and
// restores its own processes, threads, files and sockets beside its memory,
// which on the TCG testbed took Redis and memcached 12-35 % longer per phase
// than the calibration predicted for the same pages. Before an app is
// validated, probe migrations of its own container (ProbeScenario: a cold
// one and a pre-copy of ProbeRounds live rounds, each several times, after a cold
// warm-up migration, each beside the same migration of a synthetic
// reference, ReferenceScenario) measure how its phases depart from the
// calibration's prediction, over how far the testbed departed from it then;
// the calibration keeps those factors per app (Calibration.Apps) and Apply
// scales the app's costs by them. They are the app's calibration: their
// records have the role probe (the warm-up's warmup), are predicted and
// shown, and never scored. The pre-copy stops by a rule of its own, so no
// validation migration repeats it.

// ProbeSuffix ends the scenario name of an app's probe migrations.
const ProbeSuffix = "-probe"

// ReferenceSuffix ends the scenario name of the synthetic reference
// migrations run beside an app's probes (ReferenceScenario).
const ReferenceSuffix = "-reference"

// ProbeRounds is the pre-copy probe's number of live rounds: as many as
// the validation migrations' pre-copies take, so that its rounds after the
// first are as short as theirs and span as many of a filling app's slabs
// and heap extensions. With two, the load's pace came from one round after
// the full copy and a final dump, 7-8 s in all, in which a memcached met
// no slab or one; refitted instead from one validation pre-copy of the
// same app (five or six live rounds), the apps of the learned sets K-Q
// scored the other repetition's pre-copy bytes 6.8 % where their four
// two-round probes scored 11.3 % (MiGrror 11.2 against 12.0 %; memcached's
// pace 0.44-0.89 of its profile's, not 0.35-0.82).
const ProbeRounds = 5

// DefaultProbeReps is how many times each probe migration runs by default
// (demo and compare --probe-reps). One probe of each kind rested the app's
// factors on single migrations: a held-out memcached's cold probe, its
// first migration on the testbed, took 11.6 s where its six validation
// migrations took 8.2-10.1 s, and every prediction of it came out 27-50 %
// long. With several of each the factors are medians, and the scatter
// between a probe's repetitions is the testbed's noise, which probeError
// leaves out of the app's error (the prediction's interval carries that
// noise already). What is left of a median's own scatter is the factors'
// sampling error, which no interval carries: refitted from one of their two
// repetitions, the twelve apps of six learned held-out runs (sets C-H) were
// predicted 1.3-2.5 points worse in downtime MAPE than from both (cold
// 12.3 against 10.6 %, pre-copy 15.8 against 14.1 %, MiGrror 13.5 against
// 11.0 %), which puts that error at about half the apps' error beyond the
// testbed's noise; four repetitions halve it again, for about two minutes
// more per app under TCG.
const DefaultProbeReps = 4

// ProbeScenario is the probe of app scenario s: s migrated cold and with a
// pre-copy that stops after ProbeRounds live rounds (a one-page
// threshold), reps times each, named s.Name plus ProbeSuffix so that no
// validation migration is paired with it.
func ProbeScenario(s models.Scenario, reps int) models.Scenario {
	s = s.WithDefaults()
	s.Name += ProbeSuffix
	s.Techniques = []string{models.Cold, models.PreCopy}
	s.Repetitions = reps
	s.PreCopy.Stop = models.StopRules{Threshold: models.ByteSize(s.Memory.PageSize), MaxRounds: ProbeRounds}
	return s
}

// ReferenceScenario is the synthetic reference of app scenario s: the
// calibration plan's small container (DefaultPlan's first step, a scenario
// the calibration is fitted on) on s's network, cold and pre-copy,
// reps times, named s.Name plus ReferenceSuffix. Each runs right
// before the app's probe of the same technique, so how far it departs
// from the calibration is the testbed's pace at that moment, not the
// model's error: the TCG testbed's calibration repetitions ran at x0.83,
// x0.95 and x1.19 of their fit in one held-out run, and probes measured in
// its fast first quarter of an hour scaled the apps' costs down by a fifth
// for migrations that ran in its slow last one. The app's factors are
// relative to it (AppCosts).
func ReferenceScenario(s models.Scenario, reps int) models.Scenario {
	ref := DefaultPlan()[0].Scenario
	ref.Name = s.Name + ReferenceSuffix
	ref.Network = s.WithDefaults().Network
	ref.Techniques = []string{models.Cold, models.PreCopy}
	ref.Repetitions = reps
	return ref.WithDefaults()
}

// RunProbes runs, for every app scenario, a cold warm-up migration of its
// probe (models.RoleWarmup, named WarmupScenarioPrefix plus the app's name:
// the calibration's warm-ups found a testbed's first operations slower, and
// an app's first migration loads files no migration read before), then the
// probe migrations (ProbeScenario, models.RoleProbe) reps times,
// repetition by repetition, the techniques' order turned by one each time,
// each right after the synthetic reference migration of the same technique
// (ReferenceScenario, also models.RoleProbe), and returns their records. A
// failed probe is reported on progress and the app's factors come from the
// others (or none); only an interruption, or reps below one, is returned.
func RunProbes(ctx context.Context, r Runner, scenarios []models.Scenario, reps int, progress io.Writer) ([]models.Record, error) {
	if reps < 1 {
		return nil, fmt.Errorf("probe repetitions: %d; an app's probe needs at least one of each migration (--probe-reps, default %d)", reps, DefaultProbeReps)
	}
	var out []models.Record
	run := func(s models.Scenario, t string, rep int, role models.Role) error {
		rec, err := r.Run(ctx, s, t, rep)
		rec.Role = role
		out = append(out, rec)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(orDiscard(progress), "warning: the %s %s of %s failed: %v\n", t, role, s.Name, err)
		}
		return nil
	}
	for _, s := range scenarios {
		if !s.App.Enabled() {
			continue
		}
		p, ref := ProbeScenario(s, reps), ReferenceScenario(s, reps)
		w := p
		w.Name, w.Repetitions = WarmupScenarioPrefix+s.Name, 1
		fmt.Fprintf(orDiscard(progress), "warming up %s: a cold migration of its own, not used (role warmup)\n", s.Name)
		if err := run(w, models.Cold, 0, models.RoleWarmup); err != nil {
			return out, err
		}
		for rep := range p.Repetitions {
			for i := range p.Techniques {
				t := p.Techniques[(i+rep)%len(p.Techniques)]
				fmt.Fprintf(orDiscard(progress), "probing %s (%s, %d of %d): the synthetic reference, then its own dump, transfer and restore costs (role probe, not scored)\n",
					s.Name, t, rep+1, p.Repetitions)
				if err := run(ref, t, rep, models.RoleProbe); err != nil {
					return out, err
				}
				if err := run(p, t, rep, models.RoleProbe); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// AppCosts is each probed app's factors under calibration c (whose own Apps
// are ignored), from its successful probe records (models.RoleProbe): per
// phase (final dump, final transfer, restore, live rounds), the factor by
// which c's costs must be scaled for the simulator to predict the probe as
// measured (the median over the app's probes), over the factor its
// synthetic references needed (ReferenceScenario: the testbed's pace while
// it was probed; none without references), and the pace at which its
// load must run for the pre-copy probe's later rounds to hold the pages
// they sent (models.Deviation.Pace, within minPace and maxPace). A load
// that waits for each reply (Redis's: one SET, its answer, the next)
// writes slower while a dump shares its container's CPU than when it was
// profiled at rest; a held-out Redis pre-copy sent 7.7 MiB where its
// profile's pace predicted 10.4. The bytes' ratio is left out: the profile
// measures an app's memory, and a ratio of bytes would not change the
// simulator's pages.
func AppCosts(ctx context.Context, c models.Calibration, recs []models.Record) map[string]models.Deviation {
	costs := appCosts(ctx, c, recs)
	if len(costs) == 0 {
		return nil
	}
	out := map[string]models.Deviation{}
	for name, a := range costs {
		out[name] = a.factors
	}
	return out
}

// appCost is an app's factors (relative to its references' level) and the
// level: the factors the references needed.
type appCost struct{ factors, level models.Deviation }

// measured is the factors that predict the app's probes as measured: its
// factors times the level they ran at.
func (a appCost) measured() models.Deviation {
	f := scaleDeviation(a.factors, a.level)
	f.Pace, f.Resident, f.RoundPages, f.Scenario = a.factors.Pace, a.factors.Resident, a.factors.RoundPages, a.factors.Scenario
	return f
}

func appCosts(ctx context.Context, c models.Calibration, recs []models.Record) map[string]appCost {
	c.Apps = nil
	byApp, refs := map[string][]models.Record{}, map[string][]models.Record{}
	for _, r := range recs {
		switch {
		case r.Role != models.RoleProbe:
		case strings.HasSuffix(r.Scenario, ProbeSuffix) && r.Params.App.Enabled():
			name := strings.TrimSuffix(r.Scenario, ProbeSuffix)
			byApp[name] = append(byApp[name], r)
		case strings.HasSuffix(r.Scenario, ReferenceSuffix) && !r.Params.App.Enabled():
			name := strings.TrimSuffix(r.Scenario, ReferenceSuffix)
			refs[name] = append(refs[name], r)
		}
	}
	out := map[string]appCost{}
	for name, rs := range byApp {
		// A phase's ratio is not its costs' factor: slower live rounds
		// leave more pages to the final dump and the restore. The factors
		// are the fixed point under which the probe's prediction matches
		// it phase by phase, a few steps from the first ratios.
		resident := residentRatio(ctx, c, rs)
		rounds := roundPages(rs)
		rs = asApp(rs, models.Deviation{Resident: resident, RoundPages: rounds})
		var f models.Deviation
		for range appCostSteps {
			ds := Deviations(ctx, c.Perturb(f), asApp(rs, f))
			if len(ds) == 0 {
				break
			}
			f = scaleDeviation(f, medianDeviation(ds))
			if f.Pace > 0 {
				f.Pace = min(max(f.Pace, minPace), maxPace)
			}
		}
		if f.FinalDump > 0 || f.Restore > 0 {
			level := medianDeviation(Deviations(ctx, c, refs[name]))
			level.Pace = 0
			f = divideDeviation(f, level)
			f.Scenario, level.Scenario = name, name
			f.Resident, f.RoundPages = resident, rounds
			out[name] = appCost{factors: f, level: level}
		}
	}
	return out
}

// WithAppCosts is c with the factors of the apps probed in recs
// (AppCosts) beside those c has for other apps, and each probed app's
// envelope: c's widened by its successful probes.
func WithAppCosts(ctx context.Context, c models.Calibration, recs []models.Record) models.Calibration {
	apps := appCosts(ctx, c, recs)
	if len(apps) == 0 {
		return c
	}
	c.Apps, c.AppLevels = maps.Clone(c.Apps), maps.Clone(c.AppLevels)
	if c.Apps == nil {
		c.Apps = map[string]models.Deviation{}
	}
	if c.AppLevels == nil {
		c.AppLevels = map[string]models.Deviation{}
	}
	for name, a := range apps {
		c.Apps[name] = a.factors
		if a.level.FinalDump > 0 || a.level.LiveRounds > 0 {
			c.AppLevels[name] = a.level
		}
	}
	c.AppEnvelopes = maps.Clone(c.AppEnvelopes)
	if c.AppEnvelopes == nil {
		c.AppEnvelopes = map[string]models.Envelope{}
	}
	for name := range apps {
		e := c.Envelope
		for _, r := range recs {
			if r.Role == models.RoleProbe && r.Scenario == name+ProbeSuffix && r.Backend == models.BackendReal && r.Error == "" {
				e.Widen(r)
			}
		}
		c.AppEnvelopes[name] = e
	}
	c.AppErrors = maps.Clone(c.AppErrors)
	if c.AppErrors == nil {
		c.AppErrors = map[string]models.ModelError{}
	}
	for name, a := range apps {
		// Under the level the probes ran at: what is left is the app's.
		f := a.measured()
		if e, ok := probeError(ctx, c.Perturb(f), name, asApp(recs, f)); ok {
			c.AppErrors[name] = e
		}
	}
	return c
}

// probeError is how far the simulator under calibration c (the app's own
// costs applied) misses app name's successful probe migrations in recs,
// beyond the testbed's noise: per metric, the square root of the mean over
// the probe's techniques of the squared bias, the mean log of measured over
// predicted less its sampling variance (squaredBias, as CheckErrors does
// for the check migrations; a technique probed once gives its square). The
// factors come from the same probes, phase by phase, so what is left is
// what one factor per phase cannot say: a cold and a chained dump that
// depart differently, a load that dirties otherwise while its container is
// dumped than it did when profiled. The times' noise is left out because
// every interval carries it already (the calibration's spread); counted
// here as well, an app's live intervals held every held-out migration. The
// bytes' is not: the synthetic workload sends the same pages every time
// (its spread's bytes within about 0.2 %), an app's dataset and load do
// not (a filling Redis's two cold probes dumped 3.26 and 3.51 MiB), so the
// probes' scatter of bytes beyond the spread's is added.
func probeError(ctx context.Context, c models.Calibration, name string, recs []models.Record) (models.ModelError, bool) {
	var probes []models.Record
	for _, r := range recs {
		if r.Role == models.RoleProbe && r.Scenario == name+ProbeSuffix {
			probes = append(probes, r)
		}
	}
	logs, order := cellLogErrors(ctx, c, probes, func(r models.Record) string { return r.Technique })
	if len(order) == 0 {
		return models.ModelError{}, false
	}
	var v [3]float64
	for _, t := range order {
		b := squaredBias(logs[t])
		for i := range v {
			v[i] += b[i] / float64(len(order))
		}
	}
	if vp, df := withinCells(logs, order, func(string) bool { return true }); df > 0 {
		v[2] += max(0, vp[2]-bytesNoise(c.Spread))
	}
	return models.ModelError{DowntimeS: math.Sqrt(v[0]), TotalTimeS: math.Sqrt(v[1]), Bytes: math.Sqrt(v[2])}, true
}

// bytesNoise is the variance of the logarithm of the deviations' bytes
// ratios (models.Deviation.Bytes), 0 with fewer than two.
func bytesNoise(ds []models.Deviation) float64 {
	var xs []float64
	for _, d := range ds {
		if d.Bytes > 0 {
			xs = append(xs, math.Log(d.Bytes))
		}
	}
	_, v := models.MeanVariance(xs)
	return v
}

// minPace and maxPace bound an app's pace (AppCosts): a probe whose later
// rounds sent a quarter or four times what its profile predicts measured
// something other than a load's pace.
const minPace, maxPace = 0.25, 4.0

// asApp is recs as an app's factors d would run them (d.OnApp: its load's
// pace, its resident memory and its growing curve), for predicting them as
// the app's own.
func asApp(recs []models.Record, d models.Deviation) []models.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Params = d.OnApp(out[i].Params)
	}
	return out
}

// residentRatio is the median over the cold migrations among an app's
// successful probes recs of the pages each dumped over the pages c
// predicts for it (its profile's resident memory at that age), or 0
// without one: how far the app's dataset at a migration's start departs
// from its profile's (models.Deviation.Resident).
func residentRatio(ctx context.Context, c models.Calibration, recs []models.Record) float64 {
	var xs []float64
	for _, r := range recs {
		if r.Technique != models.Cold || !r.Params.Memory.Growing() {
			continue
		}
		p, ok := predictMeasured(ctx, c, r)
		if m, q := r.Metrics.PagesSent, p.Metrics.PagesSent; ok && m > 0 && q > 0 {
			xs = append(xs, float64(m)/float64(q))
		}
	}
	if len(xs) == 0 {
		return 0
	}
	return models.Median(xs)
}

// splitRole separates the records of migrations of role from the others.
func splitRole(recs []models.Record, role models.Role) (others, of []models.Record) {
	for _, r := range recs {
		if r.Role == role {
			of = append(of, r)
		} else {
			others = append(others, r)
		}
	}
	return others, of
}

// appCostSteps is how many times AppCosts refines an app's factors.
const appCostSteps = 4

// medianDeviation is each phase's and the pace's median ratio over ds (0
// where none has it); the bytes' ratio is left out.
func medianDeviation(ds []models.Deviation) models.Deviation {
	med := func(f func(models.Deviation) float64) float64 {
		var xs []float64
		for _, d := range ds {
			if x := f(d); x > 0 {
				xs = append(xs, x)
			}
		}
		return models.Median(xs)
	}
	return models.Deviation{
		FinalDump:     med(func(d models.Deviation) float64 { return d.FinalDump }),
		FinalTransfer: med(func(d models.Deviation) float64 { return d.FinalTransfer }),
		Restore:       med(func(d models.Deviation) float64 { return d.Restore }),
		LiveRounds:    med(func(d models.Deviation) float64 { return d.LiveRounds }),
		Pace:          med(func(d models.Deviation) float64 { return d.Pace })}
}

// scaleDeviation is f's factors times d's, phase by phase and pace (a zero
// factor counts as 1, a zero in both stays zero).
func scaleDeviation(f, d models.Deviation) models.Deviation {
	mul := func(a, b float64) float64 {
		switch {
		case a == 0:
			return b
		case b == 0:
			return a
		}
		return a * b
	}
	return models.Deviation{FinalDump: mul(f.FinalDump, d.FinalDump), FinalTransfer: mul(f.FinalTransfer, d.FinalTransfer),
		Restore: mul(f.Restore, d.Restore), LiveRounds: mul(f.LiveRounds, d.LiveRounds), Pace: mul(f.Pace, d.Pace)}
}

// divideDeviation is f's factors over d's, phase by phase (a zero in d
// leaves f's; the pace is f's).
func divideDeviation(f, d models.Deviation) models.Deviation {
	div := func(a, b float64) float64 {
		if a > 0 && b > 0 {
			return a / b
		}
		return a
	}
	return models.Deviation{FinalDump: div(f.FinalDump, d.FinalDump), FinalTransfer: div(f.FinalTransfer, d.FinalTransfer),
		Restore: div(f.Restore, d.Restore), LiveRounds: div(f.LiveRounds, d.LiveRounds), Pace: f.Pace}
}

// describeApps is one line per app's factors, and one per app's error
// left after them.
func describeApps(apps, levels map[string]models.Deviation, errs map[string]models.ModelError) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(apps)) {
		d := apps[name]
		fmt.Fprintf(&b, "  app %s, its own costs over the calibration's (probe): final dump x%.2f, final transfer x%.2f, restore x%.2f, live rounds x%.2f",
			name, d.FinalDump, d.FinalTransfer, d.Restore, d.LiveRounds)
		if d.Pace > 0 {
			fmt.Fprintf(&b, "; its load wrote at x%.2f its profile's pace while it migrated", d.Pace)
			if d.Pace <= minPace || d.Pace >= maxPace {
				b.WriteString(" (the bound: its probes' later rounds are no pace of its profile's load, a heap marked whole or a load stalled by the dumps; its growth's and marks' timing, and its bytes, are uncertain beyond its intervals)")
			}
		}
		if d.RoundPages > 0 {
			fmt.Fprintf(&b, "; its live rounds dirtied %.0f pages more than its profile while it grew", d.RoundPages)
		}
		if d.Resident > 0 {
			fmt.Fprintf(&b, "; its cold probes dumped x%.2f the resident memory its profile holds at their age (its growth scaled so)", d.Resident)
		}
		b.WriteString("\n")
		if l, ok := levels[name]; ok {
			fmt.Fprintf(&b, "    beside its probes the testbed ran its synthetic references at x%.2f (final dump), x%.2f (final transfer), x%.2f (restore), x%.2f (live rounds) of the calibration: the factors above are over those\n",
				l.FinalDump, l.FinalTransfer, l.Restore, l.LiveRounds)
		}
		if e, ok := errs[name]; ok {
			fmt.Fprintf(&b, "    its probes still missed by %.0f %% (downtime), %.0f %% (total time), %.0f %% (bytes): its intervals are widened so\n",
				100*math.Expm1(e.DowntimeS), 100*math.Expm1(e.TotalTimeS), 100*math.Expm1(e.Bytes))
		}
	}
	return b.String()
}
