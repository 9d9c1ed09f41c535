package real

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
)

// migrate runs the technique over the Envs; on failure it rolls every
// container that did not resume on the target back onto the source.
func (r *runner) migrate(ctx context.Context, t models.Technique, in *injector) error {
	r.logf("migrating %d container(s) %s -> %s with %s", len(r.envs), r.src.Name, r.dst.Name, t.Name())
	j := r.journal()
	r.pace = r.readPace(ctx, false)
	cpuStart := r.readCPU(ctx)
	epoch := time.Now()
	envs := make([]models.Env, len(r.envs))
	for i, e := range r.envs {
		e.StartClock(epoch)
		envs[i] = e
	}
	if in != nil {
		envs[0] = faultEnv{Env: r.envs[0], in: in}
	}
	if r.app != nil {
		r.app.before, r.app.after = "", ""
		envs[0] = appEnv{Env: envs[0], a: r.app, src: r.out.Members[0].SourceAddr, clock: r.envs[0]}
	}
	if r.shaper != nil {
		// The bandwidth trace's time runs from the migration's start, as
		// in the simulator.
		r.shaper.replay(ctx, epoch)
	}
	var err error
	if len(r.envs) == 1 {
		var res models.Result
		res, err = t.Migrate(ctx, envs[0])
		r.out.Group.Members = []models.Result{res}
	} else {
		r.out.Group, err = models.MigrateGroup(ctx, t, envs, r.s.Group.Mode, Parallel{})
	}
	if r.shaper != nil {
		r.shaper.endReplay()
		if u := r.s.Network.BandwidthTrace.Until; u > 0 && time.Since(epoch) > u.Duration() {
			r.logf("link: the migration took %s, longer than network.bandwidth_trace covers (until %s): its last step held to the end", time.Since(epoch).Round(time.Millisecond), u)
		}
	}
	r.cpu = cpuStart.shares(r.readCPU(ctx))
	if err == nil {
		// The copy on the target runs and the probe watches it; the
		// verification can wait the pace's fraction of a second.
		maps.Copy(r.pace, r.readPace(ctx, true))
	}
	for i := range r.out.Members {
		if i < len(r.out.Group.Members) {
			r.out.Members[i].Result = r.out.Group.Members[i]
		}
		r.out.Members[i].Extra = r.envs[i].Extra()
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opt.StepTimeout)
	defer cancel()
	r.abortErr = nil
	if err != nil {
		r.failedAt = time.Now()
		r.logf("migration failed: %v", err)
		j.phase(phaseRollingBack)
		err = r.rollBack(actx, err, r.envs)
		if r.abortErr == nil {
			j.done()
			r.appRolledBack(actx)
		}
		r.appResume(actx, false)
		return err
	}
	j.phase(phaseVerifying)
	// Every copy on the target must answer with intact memory before its
	// source copy and checkpoint are removed; a copy that does not is
	// removed and the container runs on the source again.
	var rejected []*Env
	for i, e := range r.envs {
		confirm := r.confirmOnTarget
		if r.app != nil {
			confirm = r.confirmApp
		}
		if verr := confirm(actx, r.out.Members[i]); verr != nil {
			r.logf("%s: the copy on %s failed its verification: %v", e.c.Name, r.dst.Name, verr)
			e.Reject()
			rejected = append(rejected, e)
			err = errors.Join(err, fmt.Errorf("%s: the copy on the target failed its verification (the source copy is kept): %w", e.c.Name, verr))
		}
	}
	if len(rejected) > 0 {
		r.failedAt = time.Now()
		j.phase(phaseRollingBack)
		err = r.rollBack(actx, err, rejected)
		if r.abortErr == nil {
			r.appRolledBack(actx)
		}
	}
	r.appResume(actx, len(rejected) == 0)
	j.phase(phaseFinishing)
	var finishErr error
	for _, e := range r.envs {
		if !e.Resumed() {
			continue
		}
		if ferr := e.Finish(actx); ferr != nil {
			finishErr = errors.Join(finishErr, fmt.Errorf("%s: %w", e.c.Name, ferr))
		}
	}
	if r.abortErr == nil && finishErr == nil {
		j.done()
	}
	return errors.Join(err, finishErr)
}

// rollBack aborts envs (every container that did not resume on the target,
// or whose copy there was rejected) after cause; a rollback that fails is
// kept in r.abortErr (the journal entry then stays, for `migrlab recover`).
func (r *runner) rollBack(ctx context.Context, cause error, envs []*Env) error {
	for _, e := range envs {
		if aerr := e.Abort(ctx); aerr != nil {
			r.abortErr = errors.Join(r.abortErr, fmt.Errorf("%s: %w", e.c.Name, aerr))
		}
	}
	if r.abortErr != nil {
		hint := "run `migrlab recover` on the testbed"
		if r.tb != nil {
			hint = fmt.Sprintf("the journal in %s keeps the migration: run `migrlab recover --testbed %s`", journalDir(r.tb), r.tb.Name)
		}
		r.logf("the rollback did not complete; %s", hint)
		return errors.Join(cause, fmt.Errorf("rollback failed (%s): %w", hint, r.abortErr))
	}
	if lost := r.stateLost(); lost != "" {
		return errors.Join(cause, fmt.Errorf("rolled back by starting it again from its image on %s, its memory state LOST (%s)", r.src.Name, lost))
	}
	return cause
}

// stateLost returns why the last rollback had to start containers again
// from their images, their memory state lost ("": none had to).
func (r *runner) stateLost() string {
	var why []string
	for _, e := range r.envs {
		if l := e.StateLost(); l != "" {
			why = append(why, e.c.Name+": "+l)
		}
	}
	return strings.Join(why, "; ")
}

// confirmOnTarget checks that member m's copy on the target answers and that
// its memory is intact (the workload recomputes its checksum), from the
// source host over the private link, before the source copy is removed.
func (r *runner) confirmOnTarget(ctx context.Context, m Member) error {
	if err := r.waitAnswer(ctx, r.src, m.TargetAddr, 2*time.Minute); err != nil {
		return fmt.Errorf("it does not answer at %s: %w", m.TargetAddr, err)
	}
	vctx, cancel := r.step(ctx)
	defer cancel()
	v, err := r.src.Agent.Verify(vctx, m.TargetAddr)
	switch {
	case err != nil:
		return fmt.Errorf("memory verification: %w", err)
	case v.Verify == nil:
		return errors.New("memory verification: not a verify reply")
	case !v.Verify.Match:
		return fmt.Errorf("memory corrupted: checksum recomputed over the memory is %s, the incremental one is %s (after %d writes)",
			v.Verify.Full, v.Verify.Incremental, v.Verify.Writes)
	}
	return nil
}

// check analyses the probes (client-side downtime, same nonce, counters
// continued), verifies the workloads' memory on the target, and checks that
// exactly one copy of each container runs: on the target.
func (r *runner) check(ctx context.Context) error {
	if r.app != nil {
		return r.checkApp(ctx)
	}
	// Wait until every workload answers on the target, then a little more
	// so that the monitor has recorded the first answers.
	for _, m := range r.out.Members {
		if err := r.waitAnswer(ctx, r.src, m.TargetAddr, 2*time.Minute); err != nil {
			return fmt.Errorf("%s: the workload does not answer on the target at %s after the migration: %w", m.Name, m.TargetAddr, err)
		}
	}
	sleepCtx(ctx, time.Second)
	sctx, scancel := r.step(ctx)
	defer scancel()
	res, err := r.src.Agent.StopProbe(sctx, r.probeID)
	r.probeID = ""
	if monitorLost(err) {
		return r.checkWithoutMonitor(ctx, r.dst, r.src, func(m Member) string { return m.TargetAddr })
	}
	if err != nil {
		return err
	}
	r.probes = res
	var errs []error
	for i := range r.out.Members {
		m := &r.out.Members[i]
		if m.Probe, err = probe.Analyze(res.Answers, m.SourceAddr, m.TargetAddr); err != nil {
			errs = append(errs, fmt.Errorf("%s: probe: %w", m.Name, err))
			continue
		}
		if err := m.Probe.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
		r.logf("%s: client-side downtime %.3fs (last answer from %s, first from %s; nonce same: %v, counters continued: %v)",
			m.Name, m.Probe.Downtime.Seconds(), m.SourceAddr, m.TargetAddr, m.Probe.NonceUnchanged, m.Probe.CounterContinued)
		vctx, vcancel := r.step(ctx)
		m.Verify, err = r.src.Agent.Verify(vctx, m.TargetAddr)
		vcancel()
		if err == nil {
			err = m.Probe.CheckVerify(m.Verify)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: memory verification on the target: %w", m.Name, err))
		} else {
			r.logf("%s: memory verified on %s after %d writes", m.Name, r.dst.Name, m.Verify.Verify.Writes)
		}
		errs = append(errs, r.onlyOn(ctx, *m, r.dst, r.src))
	}
	return errors.Join(errs...)
}

// record fills the run's record: like the simulator's (sim.RecordOf) for one
// container or a group, plus the client-side downtime and the agents'
// measurements.
func (r *runner) record() {
	rec := &r.out.Record
	ms := r.out.Group.Members
	if len(ms) == 0 {
		return
	}
	rec.Metrics = r.out.Group.Metrics()
	for i, m := range ms {
		rounds := models.RoundsOf(m)
		for k := range rounds {
			if i >= len(r.envs) {
				break
			}
			if p, ok := r.envs[i].Predicted(k); ok && !rounds[k].Frozen {
				rounds[k].PredictedNext = p
			}
		}
		rec.Rounds = append(rec.Rounds, rounds...)
	}
	extra := map[string]float64{}
	maps.Copy(extra, rec.Metrics.Extra)
	if len(ms) == 1 {
		maps.Copy(extra, r.out.Members[0].Extra)
	} else {
		for i := range ms {
			for k, v := range r.out.Members[i].Extra {
				extra[fmt.Sprintf("c%d_%s", i+1, k)] = v
			}
		}
	}
	var probeMax float64
	for i, m := range r.out.Members {
		if m.Probe.FirstTarget.Addr == "" {
			continue
		}
		d := m.Probe.Downtime.Seconds()
		probeMax = max(probeMax, d)
		if len(ms) > 1 {
			extra[fmt.Sprintf("c%d_probe_downtime_s", i+1)] = d
		}
	}
	if len(ms) > 1 {
		if d, ok := groupProbeDowntime(r.out.Members); ok {
			extra["group_probe_downtime_s"] = d
		}
	}
	rec.Metrics.ProbeDowntimeS = probeMax
	for _, st := range r.probes.Stats {
		extra["probes_sent"] += float64(st.Sent)
		extra["probes_lost"] += float64(st.Lost)
	}
	// The orchestrator's and the hosts' CPU during the migration.
	maps.Copy(extra, r.cpu)
	maps.Copy(extra, r.pace)
	maps.Copy(extra, r.linkExtra())
	maps.Copy(extra, r.appExtra())
	rec.Metrics.Extra = extra
}

// groupProbeDowntime is the client-side group downtime: from the first
// member's last answer on the source to the last member's first answer on
// the target.
func groupProbeDowntime(ms []Member) (float64, bool) {
	var first, last time.Time
	for i, m := range ms {
		if m.Probe.FirstTarget.Addr == "" {
			return 0, false
		}
		if i == 0 || m.Probe.LastSource.At.Before(first) {
			first = m.Probe.LastSource.At
		}
		if i == 0 || m.Probe.FirstTarget.At.After(last) {
			last = m.Probe.FirstTarget.At
		}
	}
	return last.Sub(first).Seconds(), true
}

// cleanup removes the link's shaping, stops the probe and, unless Keep,
// removes the run's containers from both hosts.
func (r *runner) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), r.opt.StepTimeout)
	defer cancel()
	r.unshapeLink(ctx)
	if r.probeID != "" {
		r.src.Agent.StopProbe(ctx, r.probeID)
	}
	r.stopLoad(ctx)
	if r.opt.Keep {
		return
	}
	for _, m := range r.out.Members {
		for _, h := range []*Host{r.src, r.dst} {
			if err := h.Agent.Remove(ctx, m.Name); err != nil {
				r.logf("cleanup: %s on %s: %v", m.Name, h.Name, err)
			}
		}
	}
}

// provenance adds the testbed's facts to base: the orchestrator's own host
// entries are renamed orchestrator_*, the source's facts are the host facts,
// and the target's are added as target_* where they differ.
func provenance(base models.Provenance, tb *Testbed, src, dst *Host) models.Provenance {
	p := base
	p.Host = map[string]string{}
	for k, v := range base.Host {
		if !strings.HasPrefix(k, "orchestrator_") {
			k = "orchestrator_" + k
		}
		p.Host[k] = v
	}
	sf, tf := src.Facts.Map(tb.Accel), dst.Facts.Map(tb.Accel)
	for k, v := range sf {
		p.Host[k] = v
		if tf[k] != v {
			p.Host["target_"+k] = tf[k]
		}
	}
	p.Host["testbed"], p.Host["source"], p.Host["target"] = tb.Name, src.Name, dst.Name
	return p
}

// onlyOn checks that member m runs on host `on` and has no copy on `other`.
func (r *runner) onlyOn(ctx context.Context, m Member, on, other *Host) error {
	ictx, icancel := r.step(ctx)
	defer icancel()
	c, here, err := on.Agent.Inspect(ictx, m.ID)
	o, there, oerr := other.Agent.Inspect(ictx, m.ID)
	switch {
	case err != nil || oerr != nil:
		return errors.Join(err, oerr)
	case there:
		return fmt.Errorf("%s: a copy is still on %s (%s)", m.Name, other.Name, o.State)
	case !here || !c.Running:
		return fmt.Errorf("%s: not running on %s (%s)", m.Name, on.Name, c.State)
	}
	return nil
}
