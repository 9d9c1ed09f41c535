package real

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/image"
	"github.com/migrlab/migrlab/real/probe"
)

// Your own container (a scenario's app): Run starts the app's container
// from its image instead of the synthetic workload, waits for its probe,
// runs its check once (a check that fails before the migration refuses the
// run), starts its load through the source agent's relay and probes it from
// the source agent. Right before the final dump the load is paused (its
// connections closed), the check taken and the probing of the source paused
// (a CRIU dump fails on a connected TCP socket); after the restore the
// target must answer its probe and give the same check, or its copy is
// rejected and the container rolled back to the source. Then the load
// resumes against the target.

// Timeouts of an app's hooks.
const (
	// appProbeTimeout bounds one probe of an app (a command under TCG
	// takes a while to start).
	appProbeTimeout = 2 * time.Second
	// appStartWait bounds the wait for an app's first answer.
	appStartWait = 2 * time.Minute
	// appCheckTimeout bounds one run of the check.
	appCheckTimeout = 5 * time.Minute
	// appLoadSettle is how long a paused load's last bytes get to reach the
	// service before the check.
	appLoadSettle = 500 * time.Millisecond
)

// appHooks is what an app's migration drives beside models.Env: the agents
// in a run, a fake in tests.
type appHooks interface {
	// pauseLoad stops the load and closes its connections (no-op without one).
	pauseLoad(ctx context.Context) error
	// resumeLoad lets the load run again against the service at addr.
	resumeLoad(ctx context.Context, addr string) error
	// pauseProbe pauses (or resumes) the probing of addr; a pause returns
	// once no probe of addr is in flight.
	pauseProbe(ctx context.Context, addr string, paused bool) error
	// check runs the app's check against the service at addr and returns
	// the digest it printed.
	check(ctx context.Context, addr string) (string, error)
}

// appRun is the state of an app in one Run.
type appRun struct {
	app   models.App
	hooks appHooks
	// jobID is the load's job on the source agent ("" without a load).
	jobID string
	// before and after are the check's digests around the migration;
	// rolledBack is the check's digest on the source after a rollback
	// (rollbackErr when it failed).
	before, after, rolledBack string
	rollbackErr               error
	// quiesce is how long the load was paused before the final dump began.
	quiesce time.Duration
	// load is what the load did (set when it is stopped).
	load *agent.JobStatus
}

// appEnv is a models.Env of an app: its StopAndCopy quiesces the app and
// takes the check's digest before the final dump.
type appEnv struct {
	models.Env
	a   *appRun
	src string
	// clock leaves the quiesce out of the migration's time (nil: kept).
	clock interface{ Exclude(time.Duration) }
}

// StopAndCopy pauses the load, takes the check's digest on the source,
// pauses the probing of the source, then freezes and dumps. The quiesce
// is the harness's, not the migration's: it is recorded apart
// (app_quiesce_s) and left out of the migration's times.
func (e appEnv) StopAndCopy(ctx context.Context) (models.Round, error) {
	start := time.Now()
	if err := e.a.hooks.pauseLoad(ctx); err != nil {
		return models.Round{}, fmt.Errorf("pausing the load before the final dump: %w", err)
	}
	if e.a.app.Check.Exec != "" {
		d, err := e.a.hooks.check(ctx, e.src)
		if err != nil {
			return models.Round{}, fmt.Errorf("app.check.exec before the freeze: %w", err)
		}
		e.a.before = d
	}
	if err := e.a.hooks.pauseProbe(ctx, e.src, true); err != nil {
		return models.Round{}, fmt.Errorf("pausing the probe of the source before the final dump: %w", err)
	}
	e.a.quiesce = time.Since(start)
	if e.clock != nil {
		e.clock.Exclude(e.a.quiesce)
	}
	return e.Env.StopAndCopy(ctx)
}

// agentHooks are an app's hooks through the source agent.
type agentHooks struct {
	r *runner
}

func (h agentHooks) pauseLoad(ctx context.Context) error {
	if h.r.app.jobID == "" {
		return nil
	}
	_, err := h.r.src.Agent.PauseJob(ctx, h.r.app.jobID, agent.PauseRequest{Settle: appLoadSettle})
	return err
}

func (h agentHooks) resumeLoad(ctx context.Context, addr string) error {
	if h.r.app.jobID == "" {
		return nil
	}
	_, err := h.r.src.Agent.ResumeJob(ctx, h.r.app.jobID, agent.ResumeRequest{Backend: addr})
	return err
}

func (h agentHooks) pauseProbe(ctx context.Context, addr string, paused bool) error {
	if h.r.probeID == "" {
		return nil
	}
	return h.r.src.Agent.PauseProbe(ctx, h.r.probeID, addr, paused)
}

func (h agentHooks) check(ctx context.Context, addr string) (string, error) {
	res, err := h.r.src.Agent.Exec(ctx, agent.ExecRequest{Cmd: h.r.app.app.Check.Exec, Addr: addr, Timeout: appCheckTimeout})
	if err != nil {
		return "", err
	}
	if res.Error != "" {
		return "", fmt.Errorf("against %s: %s", addr, res.Error)
	}
	d := strings.TrimSpace(res.Stdout)
	if d == "" {
		return "", fmt.Errorf("against %s: it printed no digest", addr)
	}
	return d, nil
}

// refuseApp refuses what an app's run cannot do yet.
func refuseApp(s models.Scenario, opt Options) error {
	if !s.App.Enabled() {
		return nil
	}
	if s.Group.Containers > 1 {
		return fmt.Errorf("group.containers: an app migrates as one container on a testbed; set group.containers to 1 (got %d)", s.Group.Containers)
	}
	if f := opt.Inject; f != nil && (f.Kind == FaultKill || f.Kind == FaultSourceAgentKill) {
		return fmt.Errorf("--inject %s: an app's load and probe run in the source's agent and this fault kills the process that drives them; "+
			"inject another fault for app.image %s (agent-kill, disk-full, target-unreachable, link-cut, checkpoint-fail, restore-fail, sigint)", f, s.App.Image)
	}
	return nil
}

// spec is the app's probe as the probe monitor takes it.
func appSpec(a models.App) probe.Spec {
	return probe.Spec{TCP: a.Probe.TCP, UDP: a.Probe.UDP, Send: a.Probe.Send, Expect: a.Probe.Expect,
		HTTPPath: a.Probe.HTTP.Path, HTTPStatus: a.Probe.HTTP.Status, Exec: a.Probe.Exec}
}

// launchApp starts the app's container as name on the source once its
// image is on both hosts, waits for its probe, runs its check once and
// starts its load.
func (r *runner) launchApp(ctx context.Context, name string) error {
	a := r.s.App
	r.app = &appRun{app: a, hooks: agentHooks{r: r}}
	port := strconv.Itoa(r.opt.HostPort)
	m := Member{Name: name, SourceAddr: net.JoinHostPort(r.src.PrivateAddr, port), TargetAddr: net.JoinHostPort(r.dst.PrivateAddr, port)}
	sctx, cancel := r.step(ctx)
	err := errors.Join(r.src.Agent.Remove(sctx, name), r.dst.Agent.Remove(sctx, name))
	if err == nil {
		err = r.ensureImage(sctx)
	}
	cancel()
	if err != nil {
		return err
	}
	r.logf("%s: starting %s on %s (%s), service port %d published at %s", name, a.Image, r.src.Name, strings.Join(a.Args, " "), a.Port, port)
	sctx, cancel = r.step(ctx)
	c, err := r.src.Agent.Create(sctx, agent.WorkloadSpec{Name: name, Image: a.Image, Args: a.Args, Env: a.Env,
		ContainerPort: a.Port, HostPort: r.opt.HostPort})
	cancel()
	if err != nil {
		if perr := portClash(err, r.opt.HostPort, r.src.Name); perr != nil {
			return perr
		}
		return fmt.Errorf("app.image %s: %w", a.Image, err)
	}
	m.ID = c.ID
	r.out.Members = append(r.out.Members, m)
	if err := r.waitApp(ctx, r.src, m.SourceAddr, appStartWait); err != nil {
		return fmt.Errorf("%s: the app does not answer its probe at %s within %s (is app.port %d the port it listens on, and app.probe right?): %w",
			name, m.SourceAddr, appStartWait, a.Port, err)
	}
	if a.Check.Exec != "" {
		sctx, cancel = context.WithTimeout(ctx, appCheckTimeout)
		d, err := r.app.hooks.check(sctx, m.SourceAddr)
		cancel()
		if err != nil {
			return fmt.Errorf("app.check.exec fails before the migration started, so it cannot judge one; fix the check: %w", err)
		}
		r.logf("%s: check before the migration: %s", name, d)
	}
	if a.Load.Exec != "" {
		sctx, cancel = r.step(ctx)
		job, err := r.src.Agent.StartJob(sctx, agent.JobRequest{Cmd: a.Load.Exec, Backend: m.SourceAddr})
		cancel()
		if err != nil {
			return fmt.Errorf("app.load.exec: %w", err)
		}
		r.app.jobID = job.ID
		r.logf("%s: load started on %s (through the relay at %s)", name, r.src.Name, job.Relay)
	}
	return nil
}

// loadAlive refuses a load that ended before the migration began.
func (r *runner) loadAlive(ctx context.Context) error {
	if r.app == nil || r.app.jobID == "" {
		return nil
	}
	sctx, cancel := r.step(ctx)
	defer cancel()
	st, err := r.src.Agent.JobStatus(sctx, r.app.jobID)
	if err != nil {
		return err
	}
	if !st.Running {
		return fmt.Errorf("app.load.exec ended (exit status %d) before the migration began; a load must run until it is stopped; its output ends with: %s",
			st.ExitCode, lastLines(st.Output, 5))
	}
	return nil
}

// ensureImage makes sure both hosts hold the app's image under the same
// ID, loading app.archive where it is missing or different, or without an
// archive pulling it from its registry where it is missing.
func (r *runner) ensureImage(ctx context.Context) error {
	a := r.s.App
	var want string
	if a.Archive != "" {
		id, tags, err := image.ArchiveImageID(a.Archive)
		if err != nil {
			return fmt.Errorf("app.archive: %w", err)
		}
		if !hasTag(tags, a.Image) {
			return fmt.Errorf("app.archive %s holds %s, not app.image %s: name one of its tags", a.Archive, strings.Join(tags, ", "), a.Image)
		}
		want = id
	}
	ids := map[string]string{}
	for _, h := range []*Host{r.src, r.dst} {
		info, err := h.Agent.Image(ctx, a.Image)
		if err != nil {
			return err
		}
		if want != "" && info.ID != want {
			if info, err = r.loadArchive(ctx, h); err != nil {
				return err
			}
		}
		if !info.Present && a.Archive == "" {
			r.logf("%s: pulling %s", h.Name, a.Image)
			pulled, err := h.Agent.PullImage(ctx, a.Image)
			if err != nil {
				return fmt.Errorf("app.image: %s is not on %s and pulling it failed (%v): give app.archive (an image archive, podman save) "+
					"to load it on the hosts, make its registry reachable from them, or load it there yourself (podman load)", a.Image, h.Name, err)
			}
			info = pulled
		}
		if !info.Present {
			return fmt.Errorf("app.image: %s is not on %s: give app.archive (an image archive, podman save) to load it on the hosts, or load it there yourself (podman load)", a.Image, h.Name)
		}
		ids[h.Name] = info.ID
	}
	if ids[r.src.Name] != ids[r.dst.Name] {
		return fmt.Errorf("app.image: %s is %s on %s but %s on %s; a restore needs the same image on both hosts: load one archive on both (app.archive)",
			a.Image, ids[r.src.Name], r.src.Name, ids[r.dst.Name], r.dst.Name)
	}
	return nil
}

// loadArchive loads app.archive on h and returns the image there.
func (r *runner) loadArchive(ctx context.Context, h *Host) (agent.ImageInfo, error) {
	a := r.s.App
	f, err := os.Open(a.Archive)
	if err != nil {
		return agent.ImageInfo{}, fmt.Errorf("app.archive: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return agent.ImageInfo{}, err
	}
	r.logf("%s: loading %s (%.1f MiB) for %s", h.Name, a.Archive, float64(st.Size())/(1<<20), a.Image)
	if _, err := h.Agent.LoadImage(ctx, f, st.Size()); err != nil {
		return agent.ImageInfo{}, fmt.Errorf("app.archive %s on %s: %w", a.Archive, h.Name, err)
	}
	return h.Agent.Image(ctx, a.Image)
}

func hasTag(tags []string, name string) bool {
	for _, t := range tags {
		if t == name || t == name+":latest" || strings.TrimPrefix(t, "localhost/") == name {
			return true
		}
	}
	return false
}

// waitApp waits until the app at addr answers its probe from h's agent.
func (r *runner) waitApp(ctx context.Context, h *Host, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	spec := appSpec(r.s.App)
	var last error
	for {
		if last = h.Agent.ProbeApp(ctx, addr, spec); last == nil {
			return nil
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		}
	}
}

// appMemory is the app container's resident memory (what a first round
// sends), measured on the source; what the target's upload caps are sized by.
func (r *runner) appMemory(ctx context.Context, c agent.Container) int64 {
	d, err := r.src.Agent.Dirty(ctx, c.ID, c.PID)
	if err != nil || d.Resident == 0 {
		r.logf("%s: resident memory not measured (%v); assuming memory.size %s", c.Name, err, r.s.Memory.Size)
		return int64(r.s.Memory.Size)
	}
	mem := int64(d.Resident) * int64(max(d.PageSize, 4096))
	r.logf("%s: %.1f MiB resident", c.Name, float64(mem)/(1<<20))
	return mem
}

// confirmApp checks the app's copy on the target before the source copy is
// removed: it answers its probe and its check gives the digest taken
// before the freeze.
func (r *runner) confirmApp(ctx context.Context, m Member) error {
	if err := r.waitApp(ctx, r.src, m.TargetAddr, appStartWait); err != nil {
		return fmt.Errorf("it does not answer its probe at %s: %w", m.TargetAddr, err)
	}
	if r.app.app.Check.Exec == "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, appCheckTimeout)
	defer cancel()
	d, err := r.app.hooks.check(cctx, m.TargetAddr)
	if err != nil {
		return fmt.Errorf("app.check.exec after the restore: %w", err)
	}
	r.app.after = d
	if d != r.app.before {
		return fmt.Errorf("state check failed: app.check.exec printed %q before the freeze and %q after the restore", r.app.before, d)
	}
	r.logf("%s: check passed on %s: %s", m.Name, r.dst.Name, d)
	return nil
}

// appRolledBack takes the check on the source after a rollback, before the
// load resumes (a no-op before the final dump's quiesce: the load was never
// paused, so the state went on changing): the container that runs on the
// source again must hold the state it was frozen with.
func (r *runner) appRolledBack(ctx context.Context) {
	if r.app == nil || r.app.before == "" || len(r.out.Members) == 0 {
		return
	}
	m := r.out.Members[0]
	r.app.rolledBack, r.app.rollbackErr = "", nil
	if err := r.waitApp(ctx, r.src, m.SourceAddr, appStartWait); err != nil {
		r.app.rollbackErr = fmt.Errorf("it does not answer its probe on the source at %s after the rollback: %w", m.SourceAddr, err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, appCheckTimeout)
	defer cancel()
	d, err := r.app.hooks.check(cctx, m.SourceAddr)
	switch {
	case err != nil:
		r.app.rollbackErr = fmt.Errorf("app.check.exec after the rollback: %w", err)
	case r.stateLost() != "":
		// Started again from its image: its data is gone, the check cannot match.
		r.logf("%s: started again from its image on %s: app.check.exec printed %q (before the freeze: %q)", m.Name, r.src.Name, d, r.app.before)
	case d != r.app.before:
		r.app.rollbackErr = fmt.Errorf("state check failed after the rollback: app.check.exec printed %q before the freeze and %q on the source after the rollback", r.app.before, d)
	default:
		r.app.rolledBack = d
		r.logf("%s: check passed on %s after the rollback: %s", m.Name, r.src.Name, d)
	}
}

// appResume lets the app's load and probe go on after a migration: against
// the target when the copy there was kept, else against the source (rolled
// back).
func (r *runner) appResume(ctx context.Context, migrated bool) {
	if r.app == nil || len(r.out.Members) == 0 {
		return
	}
	m := r.out.Members[0]
	addr := m.TargetAddr
	if !migrated {
		addr = m.SourceAddr
		if err := r.app.hooks.pauseProbe(ctx, m.SourceAddr, false); err != nil {
			r.logf("%s: resuming the probe of the source: %v", m.Name, err)
		}
	}
	if err := r.app.hooks.resumeLoad(ctx, addr); err != nil {
		r.logf("%s: resuming the load against %s: %v", m.Name, addr, err)
	}
}

// checkApp analyses the probe (client-side downtime), stops the load and
// checks that exactly one copy runs, on the target.
func (r *runner) checkApp(ctx context.Context) error {
	m := &r.out.Members[0]
	// The load runs against the target for a moment: it follows the service.
	sleepCtx(ctx, 2*time.Second)
	sctx, scancel := r.step(ctx)
	defer scancel()
	res, err := r.src.Agent.StopProbe(sctx, r.probeID)
	r.probeID = ""
	if err != nil {
		return fmt.Errorf("%s: the probe monitor: %w", m.Name, err)
	}
	r.probes = res
	var errs []error
	if m.Probe, err = probe.Analyze(res.Answers, m.SourceAddr, m.TargetAddr); err != nil {
		errs = append(errs, fmt.Errorf("%s: probe: %w", m.Name, err))
	} else {
		r.logf("%s: client-side downtime %.3fs (last answer from %s, first from %s; the source's probing paused %.3fs before the final dump)",
			m.Name, m.Probe.Downtime.Seconds(), m.SourceAddr, m.TargetAddr, r.app.quiesce.Seconds())
	}
	r.stopLoad(sctx)
	return errors.Join(append(errs, r.onlyOn(ctx, *m, r.dst, r.src))...)
}

// stopLoad stops the app's load and keeps what it did.
func (r *runner) stopLoad(ctx context.Context) {
	if r.app == nil || r.app.jobID == "" {
		return
	}
	st, err := r.src.Agent.StopJob(ctx, r.app.jobID)
	r.app.jobID = ""
	if err != nil {
		r.logf("stopping the load: %v", err)
		return
	}
	r.app.load = &st
	if len(r.out.Members) > 0 {
		m := r.out.Members[0]
		r.logf("load: %d connections to the source, %d to the target; %d bytes sent to the source, %d to the target",
			st.Relay.Conns[m.SourceAddr], st.Relay.Conns[m.TargetAddr], st.Relay.Up[m.SourceAddr], st.Relay.Up[m.TargetAddr])
	}
	if !st.Running && st.ExitCode != -1 {
		r.logf("load: it had ended by itself (exit status %d): %s", st.ExitCode, lastLines(st.Output, 3))
	}
}

// appExtra are an app's measurements for the record.
func (r *runner) appExtra() map[string]float64 {
	if r.app == nil {
		return nil
	}
	x := map[string]float64{"app_quiesce_s": r.app.quiesce.Seconds()}
	if r.app.app.Check.Exec != "" && r.app.after != "" && r.app.after == r.app.before {
		x["app_check_passed"] = 1
	}
	if r.app.rolledBack != "" {
		x["app_rollback_check_passed"] = 1
	}
	if st := r.app.load; st != nil && len(r.out.Members) > 0 {
		m := r.out.Members[0]
		x["load_source_bytes"] = float64(st.Relay.Up[m.SourceAddr])
		x["load_target_bytes"] = float64(st.Relay.Up[m.TargetAddr])
		x["load_target_conns"] = float64(st.Relay.Conns[m.TargetAddr])
	}
	return x
}

// portClash names a host port another process or container holds (nil
// when err is not that): the fix is to free it or choose another.
func portClash(err error, port int, host string) error {
	msg := err.Error()
	if !strings.Contains(msg, "address already in use") && !strings.Contains(msg, "port is already allocated") {
		return nil
	}
	return fmt.Errorf("host port %d is already in use on %s (another container or service listens there): "+
		"stop it, or give another port with --host-port: %w", port, host, err)
}

// lastLines returns the last n lines of s, on one line.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// checkAppRollback checks an app after a rolled-back migration: it answers
// its probe on the source, its check there gave the digest taken before
// the freeze (once the load was paused for it), the probe saw the source
// answer again, and no copy is left on the target.
func (r *runner) checkAppRollback(ctx context.Context) error {
	m := &r.out.Members[0]
	if err := r.waitApp(ctx, r.src, m.SourceAddr, appStartWait); err != nil {
		return fmt.Errorf("%s: the app does not answer its probe on the source %s after the rollback: %w", m.Name, r.src.Name, err)
	}
	r.answeredAt = time.Now()
	sleepCtx(ctx, time.Second)
	var errs []error
	if r.probeID != "" {
		sctx, cancel := r.step(ctx)
		res, err := r.src.Agent.StopProbe(sctx, r.probeID)
		cancel()
		r.probeID = ""
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: the probe monitor: %w", m.Name, err))
		} else if pm, err := probe.Analyze(res.Answers, m.SourceAddr, m.SourceAddr); err != nil {
			errs = append(errs, fmt.Errorf("%s: probe after the rollback: %w", m.Name, err))
		} else {
			r.probes, m.Probe = res, pm
			r.logf("%s: rolled back to %s: it answers its probe again (longest gap %.2fs)", m.Name, r.src.Name, pm.Downtime.Seconds())
		}
	}
	if r.app.rollbackErr != nil {
		errs = append(errs, fmt.Errorf("%s: %w", m.Name, r.app.rollbackErr))
	}
	return errors.Join(append(errs, r.onlyOn(ctx, *m, r.src, r.dst))...)
}
