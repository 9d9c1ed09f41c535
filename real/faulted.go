package real

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/probe"
)

// faulted migrates with the fault of opt.Inject injected, checks what the
// fault left (exactly one copy running, counter continued, memory intact,
// no checkpoint data left), then retries the same migration on the same
// containers (opt.Retries times at most, not after an interruption).
func (r *runner) faulted(ctx context.Context, t models.Technique) (*Outcome, error) {
	f := *r.opt.Inject
	out := r.out
	rep := &models.FaultReport{Spec: f.String()}
	out.Record.Fault = rep
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupt := r.opt.Interrupt
	if interrupt == nil {
		interrupt = cancel
	}
	in := &injector{f: f, src: r.src, dst: r.dst, interrupt: interrupt, logf: r.logf, reshape: r.reshape}
	r.logf("fault: injecting %s into %s's migration", f, r.out.Members[0].Name)
	defer in.healTarget()
	merr := r.migrate(runCtx, t, in)
	injected, ierr := in.result()
	rep.Injected = injected
	if !injected && ierr != nil {
		r.logf("fault: not injected: %v", ierr)
	}
	// From here on the run's context may be cancelled (sigint): the checks
	// and the cleanup still run, bounded.
	vctx, vcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*r.opt.StepTimeout)
	defer vcancel()
	if merr == nil {
		rep.Outcome = "completed"
		if err := r.check(vctx); err != nil {
			rep.Check = err.Error()
			r.record()
			out.Record.Error = err.Error()
			return out, err
		}
		rep.Verified, rep.Cleaned = true, r.cleaned(vctx, false) == nil
		r.record()
		return out, r.interrupted(ctx, f, nil)
	}
	lost := r.stateLost()
	rep.Error = explain(f, merr, r.abortErr == nil, lost)
	r.logf("fault: the migration failed: %s", rep.Error)
	if r.abortErr != nil {
		rep.Outcome = "rollback failed"
		rep.Check = r.abortErr.Error()
	} else {
		check := r.checkRollback
		rep.Outcome = "rolled back"
		if lost != "" {
			rep.Outcome, rep.StateLost, check = "restarted, state lost", true, r.checkRestarted
		}
		if err := check(vctx); err != nil {
			rep.Check = err.Error()
		} else {
			rep.Verified = true
			rep.RollbackS = r.answeredAt.Sub(r.failedAt).Seconds()
		}
		if err := r.cleaned(vctx, true); err != nil {
			rep.Check = strings.TrimPrefix(rep.Check+"; "+err.Error(), "; ")
		} else {
			rep.Cleaned = true
		}
	}
	if !rep.Verified || ctx.Err() != nil || runCtx.Err() != nil || r.opt.Retries < 1 {
		out.Record.Error = rep.Error
		if rep.Check != "" {
			out.Record.Error += "; after the rollback: " + rep.Check
		}
		return out, r.interrupted(ctx, f, fmt.Errorf("%s (%s)", rep.Error, rep.Outcome))
	}
	var err error
	for k := 1; k <= r.opt.Retries; k++ {
		rep.Retried = true
		r.logf("fault: retrying the migration (%d of %d)", k, r.opt.Retries)
		if err = r.prepare(ctx); err == nil {
			if err = r.startProbe(ctx); err == nil {
				if err = r.migrate(ctx, t, nil); err == nil {
					err = r.check(ctx)
					break
				}
			}
		}
		if r.abortErr != nil || ctx.Err() != nil {
			break
		}
		if r.probeID != "" {
			r.src.Agent.StopProbe(vctx, r.probeID)
			r.probeID = ""
		}
	}
	r.record()
	if err != nil {
		rep.RetryError = err.Error()
		out.Record.Error = "retry after the fault: " + err.Error()
		return out, err
	}
	return out, nil
}

// interrupted returns err, or an interruption error when the fault was a
// SIGINT (the CLI then exits 130).
func (r *runner) interrupted(ctx context.Context, f Fault, err error) error {
	if f.Kind != FaultSigint {
		return err
	}
	return fmt.Errorf("interrupted by the injected %s; the workload was rolled back and checked: %w", f, context.Canceled)
}

// explain turns the failure of a faulted migration into what happened and
// what a user can do about it; it says where the workload runs only when
// the rollback completed (rolledBack), and that its state was lost when the
// rollback had to start it again from its image (lost: why).
func explain(f Fault, err error, rolledBack bool, lost string) string {
	msg := err.Error()
	var ae *agent.AgentError
	answered := errors.As(err, &ae)
	var hint string
	switch {
	case errors.Is(err, context.Canceled):
		hint = "the orchestrator was interrupted; run the migration again"
	case errors.Is(err, agent.ErrCut) || f.Kind == FaultTargetUnreachable && !answered:
		hint = "the orchestrator lost its connection to the target's agent (the private link kept working): the source resumes " +
			"only once the target answers again and confirms that it holds no copy; check the orchestrator's connection to the " +
			"target (ssh) and run the migration again"
	case strings.Contains(msg, "no space left on device") || strings.Contains(msg, "not enough free space"):
		hint = "the target ran out of disk space for the checkpoint data; free space in /var/lib/migrlab on it (df -h) and run the migration again"
	case strings.Contains(msg, "no progress for") || strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "no route to host"):
		hint = "the private link between the hosts stopped carrying data; check it (ip link, tc qdisc) and run the migration again"
	case !answered:
		hint = "an agent went away mid-migration (it restarts by itself: systemctl status migrlab-agent); run the migration again"
	case strings.Contains(ae.Msg, "sending to") || strings.Contains(ae.Msg, "refused the transfer") || strings.Contains(ae.Msg, "no migration of"):
		hint = "the transfer to the target failed: the target's agent went away or lost the migration (it restarts by itself: systemctl status migrlab-agent); run the migration again"
	case strings.Contains(ae.Op, "/rounds") || strings.Contains(ae.Op, "/checkpoint"):
		hint = "the checkpoint on the source failed (CRIU's log lines follow); the workload keeps running on the source; run the migration again"
	case strings.Contains(ae.Op, "/restore"):
		hint = "the restore on the target failed (CRIU's log lines follow); the workload runs on the source again; run the migration again"
	default:
		hint = "run the migration again"
	}
	switch cause, _, _ := strings.Cut(hint, ";"); {
	case !rolledBack:
		hint = cause + "; the rollback did not complete, so the workload may run on neither host (a CRIU killed while " +
			"dumping can take its process with it): run `migrlab recover` on this testbed, then the migration again"
	case lost != "":
		hint = cause + "; the workload's process did not survive it (" + lost + "): it was started again from its image " +
			"on the source and runs there once, its memory state LOST; run the migration again"
	}
	if i := strings.IndexByte(msg, '\n'); i > 0 && i < 400 {
		msg = msg[:i]
	} else if len(msg) > 400 {
		msg = msg[:400] + "..."
	}
	return fmt.Sprintf("%s: %s", hint, msg)
}

// checkRollback checks that every member runs on the source again, was
// restored or never stopped (same nonce, counters continued over the
// longest gap in its answers), has intact memory, and has no copy on the
// target.
func (r *runner) checkRollback(ctx context.Context) error {
	if r.app != nil {
		return r.checkAppRollback(ctx)
	}
	for _, m := range r.out.Members {
		if err := r.waitAnswer(ctx, r.src, m.SourceAddr, 2*time.Minute); err != nil {
			return fmt.Errorf("%s: the workload does not answer on the source %s after the rollback: %w", m.Name, r.src.Name, err)
		}
	}
	r.answeredAt = time.Now()
	sleepCtx(ctx, time.Second)
	sctx, scancel := r.step(ctx)
	res, err := r.src.Agent.StopProbe(sctx, r.probeID)
	scancel()
	r.probeID = ""
	if monitorLost(err) {
		return r.checkWithoutMonitor(ctx, r.src, r.dst, func(m Member) string { return m.SourceAddr })
	}
	if err != nil {
		return err
	}
	r.probes = res
	var errs []error
	for _, m := range r.out.Members {
		pm, err := probe.Analyze(res.Answers, m.SourceAddr, m.SourceAddr)
		if err == nil {
			err = pm.Err()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s on the source after the rollback: %w", m.Name, err))
			continue
		}
		vctx, vcancel := r.step(ctx)
		v, err := r.src.Agent.Verify(vctx, m.SourceAddr)
		vcancel()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: memory verification on the source: %w", m.Name, err))
		case v.Verify == nil || !v.Verify.Match:
			errs = append(errs, fmt.Errorf("%s: memory corrupted on the source after the rollback", m.Name))
		case v.Nonce != pm.LastSource.Reply.Nonce:
			errs = append(errs, fmt.Errorf("%s: restarted (nonce %s, was %s)", m.Name, v.Nonce, pm.LastSource.Reply.Nonce))
		default:
			r.logf("%s: rolled back to %s: nonce same, counter continued (longest gap %.2fs), memory verified",
				m.Name, r.src.Name, pm.Downtime.Seconds())
		}
		errs = append(errs, r.onlyOn(ctx, m, r.src, r.dst))
	}
	return errors.Join(errs...)
}

// checkRestarted checks what a rollback that started the workload again
// from its image left (its process had died with the failed step): every
// member answers on the source (a new process: a new nonce, its counter
// from zero), its memory verifies (an app: it answers its probe; its data
// is gone, so its check is not compared), and no copy is on the target.
func (r *runner) checkRestarted(ctx context.Context) error {
	var errs []error
	for _, m := range r.out.Members {
		var err error
		if r.app != nil {
			err = r.waitApp(ctx, r.src, m.SourceAddr, appStartWait)
		} else {
			_, err = verifyAt(ctx, r.src, m.SourceAddr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: started again from its image on %s: %w", m.Name, r.src.Name, err))
			continue
		}
		r.answeredAt = time.Now()
		r.logf("%s: started again from its image on %s: it answers, its (new) memory verified; its state before the migration is lost",
			m.Name, r.src.Name)
		errs = append(errs, r.onlyOn(ctx, m, r.src, r.dst))
	}
	if r.probeID != "" {
		sctx, cancel := r.step(ctx)
		if res, err := r.src.Agent.StopProbe(sctx, r.probeID); err == nil {
			r.probes = res
		}
		cancel()
		r.probeID = ""
	}
	return errors.Join(errs...)
}

// cleaned checks that no checkpoint data of the run's migrations is left on
// either host: received rounds and archives, exports, chains (after a
// rollback, also the target's container directory).
func (r *runner) cleaned(ctx context.Context, rolledBack bool) error {
	var errs []error
	for _, m := range r.out.Members {
		var paths []string
		for _, k := range []string{"in", "out"} {
			paths = append(paths, agentStateDir+"/"+k+"/"+m.ID)
		}
		srcPaths := append([]string{"/var/lib/containers/storage/overlay-containers/" + m.ID + "/userdata/chain",
			"/var/lib/containers/storage/overlay-containers/" + m.ID + "/userdata/pre-checkpoint"}, paths...)
		dstPaths := paths
		if rolledBack {
			dstPaths = append(dstPaths, "/var/lib/containers/storage/overlay-containers/"+m.ID)
		}
		for _, hp := range []struct {
			h     *Host
			paths []string
		}{{r.src, srcPaths}, {r.dst, dstPaths}} {
			out, err := hp.h.Exec(ctx, "for p in "+strings.Join(hp.paths, " ")+"; do [ -e \"$p\" ] && echo \"$p\"; done; true")
			if err != nil {
				errs = append(errs, err)
			} else if left := strings.Fields(out); len(left) > 0 {
				errs = append(errs, fmt.Errorf("checkpoint data left on %s: %s", hp.h.Name, strings.Join(left, " ")))
			}
		}
	}
	return errors.Join(errs...)
}
