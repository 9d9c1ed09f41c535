package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/migrlab/migrlab/models"
)

// DefaultMaxEvents bounds a single simulated migration unless
// Simulator.MaxEvents says otherwise.
const DefaultMaxEvents = 50_000_000

// Simulator runs scenarios in virtual time. The zero value is ready to use.
type Simulator struct {
	// Exhaustive replaces the occupancy math of the pages model by a per-page
	// bitset written by a seeded generator (slow; for validation).
	Exhaustive bool
	// MaxEvents bounds each run (0: DefaultMaxEvents).
	MaxEvents uint64
	// Trace, when set, receives one line per simulated step.
	Trace func(line string)
}

// Outcome is one simulated repetition of a scenario with one technique.
type Outcome struct {
	// Group holds one result per container (one member without a group).
	Group models.GroupResult
	// Seed is models.DeriveSeed(scenario, repetition).
	Seed uint64
	// Events is how many events the engine processed.
	Events uint64
}

// Parallel runs functions as concurrent processes of an engine: the simulator's
// models.Parallel. Run must be called from a process of E.
type Parallel struct {
	// E is the engine whose processes run the functions.
	E *Engine
}

var _ models.Parallel = Parallel{}

// Run implements models.Parallel: one process per fn, all started at the
// current virtual time; it returns when all have returned.
func (pr Parallel) Run(ctx context.Context, fns []func(ctx context.Context) error) []error {
	self := pr.E.Current()
	if self == nil {
		panic("sim: Parallel.Run called outside a process")
	}
	procs := make([]*Process, len(fns))
	for i, fn := range fns {
		procs[i] = pr.E.Go(func(*Process) error { return fn(ctx) })
	}
	errs := make([]error, len(fns))
	for i, c := range procs {
		self.Wait(c.Done())
		errs[i] = c.Err()
	}
	return errs
}

// Run simulates repetition rep of scenario s with the named technique and
// returns its record (backend "sim"; provenance is left to the caller).
func Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	return Simulator{}.Run(ctx, s, technique, rep)
}

// Run simulates repetition rep of scenario s (defaults applied, validated) with
// the named technique. On failure the record carries the error too.
func (sm Simulator) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	s = s.WithDefaults()
	if err := validate(s); err != nil {
		rec := newRecord(s, technique, rep, models.DeriveSeed(s, rep))
		rec.Error = err.Error()
		return rec, err
	}
	return sm.run(ctx, s, technique, rep)
}

// validate checks a scenario for the simulator: valid, and with a link (a
// scenario without a network runs on a real testbed's own link; simulated,
// it needs a calibration's, models.Calibration.Apply).
func validate(s models.Scenario) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Network.Native() {
		return models.ErrNoLink
	}
	return nil
}

// run is Run for a scenario that is already validated.
func (sm Simulator) run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	t, err := models.NewTechnique(technique, s)
	if err == nil {
		var out Outcome
		out, err = sm.simulate(ctx, &s, t, rep, models.DeriveSeed(s, rep), nil)
		rec := RecordOf(s, t.Name(), rep, out)
		if err != nil {
			rec.Error = err.Error()
		}
		return rec, err
	}
	rec := newRecord(s, technique, rep, models.DeriveSeed(s, rep))
	rec.Error = err.Error()
	return rec, err
}

// Simulate runs technique t on repetition rep of scenario s (defaults applied,
// validated): one container, or Group.Containers of them sequentially or in
// parallel over one shared link.
func (sm Simulator) Simulate(ctx context.Context, s models.Scenario, t models.Technique, rep int) (Outcome, error) {
	s = s.WithDefaults()
	if err := validate(s); err != nil {
		return Outcome{Seed: models.DeriveSeed(s, rep)}, err
	}
	return sm.simulate(ctx, &s, t, rep, models.DeriveSeed(s, rep), nil)
}

// simulate is Simulate for a validated scenario whose seed is known. With a
// scratch (a sweep worker's), the members' rounds live in it: the outcome is
// valid until the next call with the same scratch. s is read, never
// modified (the environments hold it while the run lasts).
func (sm Simulator) simulate(ctx context.Context, s *models.Scenario, t models.Technique, rep int, seed uint64, sc *scratch) (Outcome, error) {
	out := Outcome{Seed: seed}
	e := NewEngine()
	e.MaxEvents = sm.MaxEvents
	if e.MaxEvents == 0 {
		e.MaxEvents = DefaultMaxEvents
	}
	link := NewLink(e, s.Network, s.Costs.TransferSetup.Duration())
	n := max(s.Group.Containers, 1)
	envs := make([]models.Env, n)
	for i := range envs {
		env := NewEnv(e, link, s, NewMemory(*s, models.MemberSeed(out.Seed, i), sm.Exhaustive), i)
		env.SetTrace(sm.Trace)
		sc.lend(env, i)
		envs[i] = env
	}
	err := e.Run(ctx, func(*Process) error {
		if n == 1 {
			r, err := t.Migrate(ctx, envs[0])
			out.Group.Members = []models.Result{r}
			return err
		}
		var err error
		out.Group, err = models.MigrateGroup(ctx, t, envs, s.Group.Mode, Parallel{e})
		return err
	})
	out.Events = e.Events()
	sc.keep(out.Group.Members)
	if err == nil {
		err = covered(*s, out.Group.End())
	}
	return out, err
}

// covered refuses a run that outlasted one of its traces.
func covered(s models.Scenario, end time.Duration) error {
	for _, tr := range []struct {
		field string
		t     models.Trace
	}{{"workload.rate_trace", s.Workload.RateTrace}, {"network.bandwidth_trace", s.Network.BandwidthTrace}} {
		if !tr.t.Covers(end) {
			return fmt.Errorf("%s.until: the run reached %s but the trace ends at %s", tr.field, end, tr.t.Until)
		}
	}
	return nil
}

func newRecord(s models.Scenario, technique string, rep int, seed uint64) models.Record {
	return models.Record{Schema: models.RecordSchema, Scenario: s.Name, Technique: technique,
		Backend: models.BackendSim, Repetition: rep, Seed: seed, Params: s}
}

// RecordOf turns an outcome into a record with backend "sim". A single
// container's record holds models.MetricsOf and models.RoundsOf its result
// (post-copy adds Extra postcopy_faults and postcopy_stall_s). A
// group's record holds the group downtime (first freeze to last resume) in
// GroupDowntimeS, the longest member downtime in DowntimeS, the group's end in
// TotalTimeS, bytes and pages summed, the most live rounds of any member,
// converged only if every member converged (StopReason: the first member's
// that did not, else the first member's), every member's rounds in member
// order (indices restart at 0 per member), and Extra members and
// mean_member_downtime_s.
func RecordOf(s models.Scenario, technique string, rep int, out Outcome) models.Record {
	return recordOf(s, technique, rep, out, true)
}

// recordOf is RecordOf, with or without the per-round detail.
func recordOf(s models.Scenario, technique string, rep int, out Outcome, rounds bool) models.Record {
	rec := newRecord(s, technique, rep, out.Seed)
	ms := out.Group.Members
	switch len(ms) {
	case 0:
		return rec
	case 1:
		rec.Metrics = models.MetricsOf(ms[0])
		if rounds {
			rec.Rounds = models.RoundsOf(ms[0])
		}
		if pc := ms[0].PostCopy; pc != nil {
			rec.Metrics.Extra = map[string]float64{"postcopy_faults": float64(pc.Faults), "postcopy_stall_s": pc.StallTime.Seconds()}
		}
		return rec
	}
	rec.Metrics = out.Group.Metrics()
	if rounds {
		for _, r := range ms {
			rec.Rounds = append(rec.Rounds, models.RoundsOf(r)...)
		}
	}
	return rec
}

// AnalyticRecord evaluates the closed-form model of package models
// (models.AnalyticMigration) for the technique and returns it as a record with
// backend "analytic". ok is false when the model does not apply to the
// scenario (traces, groups).
func AnalyticRecord(s models.Scenario, technique string, rep int) (rec models.Record, ok bool, err error) {
	s = s.WithDefaults()
	rec = newRecord(s, technique, rep, models.DeriveSeed(s, rep))
	rec.Backend = models.BackendAnalytic
	r, err := models.AnalyticMigration(s, technique)
	if errors.Is(err, models.ErrNotApplicable) {
		return rec, false, nil
	}
	if err != nil {
		rec.Error = err.Error()
		return rec, true, err
	}
	rec.Technique = r.Technique
	rec.Metrics = models.MetricsOf(r)
	rec.Rounds = models.RoundsOf(r)
	return rec, true, nil
}
