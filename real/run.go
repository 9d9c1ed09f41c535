package real

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/probe"
	"github.com/migrlab/migrlab/real/workload"
)

// Defaults of Options.
const (
	// DefaultHostPort is the host port the first container's probe port is
	// published on (the i-th container uses DefaultHostPort+i).
	DefaultHostPort = 17000
	// DefaultProbeInterval is the probe monitor's interval.
	DefaultProbeInterval = 20 * time.Millisecond
	// DefaultWarmup is how long the workload runs on the source before the
	// migration starts (after it first answered).
	DefaultWarmup = 5 * time.Second
	// DefaultStepTimeout bounds every agent operation (podman under TCG
	// takes 5-30 s per operation).
	DefaultStepTimeout = 10 * time.Minute
)

// Options configure Run. Zero values mean defaults.
type Options struct {
	// Source and Target name the hosts (default: the testbed's first two).
	Source, Target string
	// Image of the workload (default agent.DefaultImage).
	Image string
	// HostPort of the first container (default DefaultHostPort).
	HostPort int
	// Warmup before the migration starts (default DefaultWarmup; negative: none).
	Warmup time.Duration
	// ProbeInterval of the client-side probe (default DefaultProbeInterval).
	ProbeInterval time.Duration
	// PollInterval of WaitDirty (default DefaultPollInterval).
	PollInterval time.Duration
	// StepTimeout bounds every step (default DefaultStepTimeout).
	StepTimeout time.Duration
	// Keep leaves the migrated containers running on the target (default:
	// removed after the measurement).
	Keep bool
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Provenance is the base provenance of the record (tool, version,
	// commit); Run adds the hosts' facts.
	Provenance models.Provenance
	// Inject, when set, injects a fault into the first container's
	// migration (see Fault); the record's Fault says what happened.
	Inject *Fault
	// Retries is how many times a migration that failed and was rolled
	// back is run again (not after an interruption).
	Retries int
	// Interrupt is the action of the sigint and kill faults (the CLI sends
	// itself SIGINT or SIGKILL); nil: Run cancels its own context (sigint;
	// kill needs an Interrupt).
	Interrupt func()
	// LinkCapacity is what the private link carries, in bytes per second of
	// payload (a calibration's, models.Calibration.Capacity); a scenario's
	// network asking for more is refused. Zero: a shaped run measures it first
	// with a 4 MiB transfer.
	LinkCapacity models.Rate
	// ForceLink shapes a network above LinkCapacity anyway.
	ForceLink bool
}

func (o Options) withDefaults(tb *Testbed) Options {
	if o.Source == "" {
		o.Source = tb.Hosts[0].Name
	}
	if o.Target == "" {
		o.Target = tb.Hosts[1].Name
	}
	if o.Image == "" {
		o.Image = agent.DefaultImage
	}
	if o.HostPort == 0 {
		o.HostPort = DefaultHostPort
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = DefaultStepTimeout
	}
	return o
}

// Member is one migrated container of a run.
type Member struct {
	// Name and ID of the container.
	Name, ID string
	// SourceAddr and TargetAddr are the workload's probe addresses on the
	// source's and the target's private-link address.
	SourceAddr, TargetAddr string
	// Result is what the technique did.
	Result models.Result
	// Probe is the client-side view of the migration.
	Probe probe.Migration
	// Verify is the workload's memory verification on the target.
	Verify probe.Reply
	// First is the workload's first answer on the source: its nonce and
	// counter prove a process continued when the probe monitor itself was
	// lost (it runs in the source's agent).
	First probe.Reply
	// Extra are the agents' measurements (see Env.Extra).
	Extra map[string]float64
	// Predicted holds the dirty bytes measured after each live round.
	Predicted map[int]int64
}

// Outcome is the result of Run.
type Outcome struct {
	// Record is the run's record (backend real).
	Record models.Record
	// Group holds the members' results.
	Group models.GroupResult
	// Members in order.
	Members []Member
	// Source and Target are the hosts.
	Source, Target *Host
}

// Run migrates repetition rep of scenario s with the named technique on the
// testbed: it starts Group.Containers workload containers on the source
// (memory, dirty rate, WWS, hot split and a derived seed from the scenario),
// probes them from the source host over the private link, migrates them with
// the technique's policy over Env (in parallel through Parallel for a
// parallel group), removes the source copies once the target confirms,
// checks the workloads' continuity (same nonce, counters continued, memory
// verified) and returns the record. On a failure before the target confirmed,
// every container is rolled back to run on the source (and then removed).
func Run(ctx context.Context, tb *Testbed, s models.Scenario, technique string, rep int, opt Options) (*Outcome, error) {
	s = s.WithDefaults()
	opt = opt.withDefaults(tb)
	out := &Outcome{Record: models.Record{Schema: models.RecordSchema, Scenario: s.Name, Technique: technique,
		Backend: models.BackendReal, Repetition: rep, Seed: models.DeriveSeed(s, rep), Params: s}}
	fail := func(err error) (*Outcome, error) {
		out.Record.Error = err.Error()
		return out, err
	}
	if err := s.Validate(); err != nil {
		return fail(err)
	}
	t, err := models.NewTechnique(technique, s)
	if err != nil {
		return fail(err)
	}
	out.Record.Technique = t.Name()
	if err := refuseApp(s, opt); err != nil {
		return fail(err)
	}
	if s.Memory.Growing() && !s.App.Enabled() {
		return fail(fmt.Errorf("memory.initial: the synthetic workload holds all of memory.size from its start and does not grow; " +
			"a growing memory describes an app (`migrlab profile` measures it): remove memory.initial and memory.growth, or give the scenario an app"))
	}
	if out.Source, err = tb.Host(opt.Source); err != nil {
		return fail(err)
	}
	if out.Target, err = tb.Host(opt.Target); err != nil {
		return fail(err)
	}
	out.Record.Provenance = provenance(opt.Provenance, tb, out.Source, out.Target)
	if f := opt.Inject; f != nil && f.Kind == FaultKill && opt.Interrupt == nil {
		return fail(fmt.Errorf("--inject %s: killing the orchestrator is done by `migrlab run` itself; the library cannot kill its caller", f))
	}
	if err := checkNoPendingRecovery(tb); err != nil {
		return fail(err)
	}
	r := &runner{s: s, opt: opt, tb: tb, src: out.Source, dst: out.Target, out: out}
	if err := r.checkLink(ctx); err != nil {
		return fail(err)
	}
	defer r.cleanup()
	if err := r.start(ctx, t.Name(), rep); err != nil {
		return fail(err)
	}
	if err := r.shapeLink(ctx); err != nil {
		return fail(err)
	}
	if opt.Inject != nil {
		return r.faulted(ctx, t)
	}
	if err := r.migrate(ctx, t, nil); err != nil {
		return fail(err)
	}
	if err := r.check(ctx); err != nil {
		r.record()
		return fail(err)
	}
	r.record()
	return out, nil
}

// runner holds the state of one Run.
type runner struct {
	s        models.Scenario
	opt      Options
	tb       *Testbed
	src, dst *Host
	out      *Outcome
	envs     []*Env
	probeID  string
	probes   agent.ProbeResult
	// abortErr is the error of the last rollback (nil: it worked).
	abortErr error
	// failedAt is when the last migration failed; answeredAt when its
	// workload answered on the source again after the rollback.
	failedAt, answeredAt time.Time
	// cpu are the orchestrator's and the hosts' CPU shares during the
	// last migration (models.Extra* keys; those measured).
	cpu map[string]float64
	// pace is the hosts' paces right before the migration (readPace).
	pace map[string]float64
	// shaper enforces the scenario's network (nil: the native link);
	// linkRTT is the round trip measured before the migration and
	// linkCapacity what the shaped rate was checked against.
	shaper       *shaper
	linkRTT      time.Duration
	linkCapacity float64
	// app is the scenario's own container (nil: the synthetic workload).
	app *appRun
}

func (r *runner) logf(format string, a ...any) {
	if r.opt.Progress != nil {
		fmt.Fprintf(r.opt.Progress, format+"\n", a...)
	}
}

func (r *runner) step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.opt.StepTimeout)
}

var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerName names the i-th container of a run.
func containerName(scenario, technique string, rep, i int) string {
	n := strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(scenario), "-"), "-.")
	if len(n) > 40 {
		n = n[:40]
	}
	return fmt.Sprintf("migrlab-%s-%s-r%d-c%d", n, technique, rep, i+1)
}

// WorkloadArgs maps a scenario's memory and workload onto the workload's
// arguments: those of the workload.Config it describes (see
// real/workload.Config.Args, whose inverse is real/workload.ParseArgs).
func WorkloadArgs(s models.Scenario, seed uint64, port int) []string {
	return workload.Config{
		Memory:   models.Memory{Size: s.Memory.Size, PageSize: workload.PageSize},
		Workload: s.Workload,
		Seed:     seed,
		Listen:   net.JoinHostPort("0.0.0.0", strconv.Itoa(port)),
	}.Args()
}

// start creates the containers (the app's, or the synthetic workloads) on
// the source, waits until they answer, prepares one Env per container,
// lets them warm up and starts the probe monitor.
func (r *runner) start(ctx context.Context, technique string, rep int) error {
	if r.s.App.Enabled() {
		if err := r.launchApp(ctx, containerName(r.s.Name, technique, rep, 0)); err != nil {
			return err
		}
	}
	for i := 0; !r.s.App.Enabled() && i < max(r.s.Group.Containers, 1); i++ {
		if err := r.launchWorkload(ctx, i, containerName(r.s.Name, technique, rep, i)); err != nil {
			return err
		}
	}
	launched := time.Now() // the containers answer and the app's load runs
	if err := r.prepare(ctx); err != nil {
		return err
	}
	if !r.warmUp(ctx, launched) {
		return ctx.Err()
	}
	if err := r.loadAlive(ctx); err != nil {
		return err
	}
	return r.startProbe(ctx)
}

// warmUp waits Options.Warmup. An app's warmup counts from launched (it
// answered and its load started), as its profile's does (Profile waits
// right after the same launch): counted after preparing the Envs, a growing
// container would migrate older, and larger, than profiled. The synthetic
// workload's memory is all there from its first answer, and the
// calibration was measured with its warmup after preparing, so it keeps
// that. It reports false when ctx ended first.
func (r *runner) warmUp(ctx context.Context, launched time.Time) bool {
	if r.opt.Warmup <= 0 {
		return true
	}
	if r.app == nil {
		r.logf("warming up for %s", r.opt.Warmup)
		return sleepCtx(ctx, r.opt.Warmup)
	}
	elapsed := time.Since(launched)
	r.logf("warming up for %s from the launch (%s of it spent preparing)", r.opt.Warmup, elapsed.Round(time.Millisecond))
	return sleepCtx(ctx, warmupLeft(r.opt.Warmup, elapsed))
}

// warmupLeft is what remains of warmup after elapsed (never negative).
func warmupLeft(warmup, elapsed time.Duration) time.Duration {
	return max(warmup-elapsed, 0)
}

// launchWorkload starts the i-th synthetic workload container as name on
// the source and waits for its first answer.
func (r *runner) launchWorkload(ctx context.Context, i int, name string) error {
	port := r.opt.HostPort + i
	m := Member{Name: name,
		SourceAddr: net.JoinHostPort(r.src.PrivateAddr, strconv.Itoa(port)),
		TargetAddr: net.JoinHostPort(r.dst.PrivateAddr, strconv.Itoa(port))}
	sctx, cancel := r.step(ctx)
	// Leftovers of an interrupted run with the same name.
	err := errors.Join(r.src.Agent.Remove(sctx, name), r.dst.Agent.Remove(sctx, name))
	cancel()
	if err != nil {
		return err
	}
	args := WorkloadArgs(r.s, models.MemberSeed(r.out.Record.Seed, i), probe.DefaultPort)
	r.logf("%s: starting %s on %s (%s)", name, r.opt.Image, r.src.Name, strings.Join(args, " "))
	sctx, cancel = r.step(ctx)
	c, err := r.src.Agent.Create(sctx, agent.WorkloadSpec{Name: name, Image: r.opt.Image,
		Args: args, HostPort: port})
	cancel()
	if err != nil {
		if perr := portClash(err, port, r.src.Name); perr != nil {
			return perr
		}
		return err
	}
	m.ID = c.ID
	m.First, err = r.firstAnswer(ctx, r.src, m.SourceAddr, 2*time.Minute)
	r.out.Members = append(r.out.Members, m)
	if err != nil {
		return fmt.Errorf("%s: the workload does not answer at %s: %w", name, m.SourceAddr, err)
	}
	return nil
}

// prepare makes one Env per container (a fresh migration token each).
func (r *runner) prepare(ctx context.Context) error {
	r.envs = nil
	for _, m := range r.out.Members {
		sctx, cancel := r.step(ctx)
		c, ok, err := r.src.Agent.Inspect(sctx, m.ID)
		if err == nil && !ok {
			err = fmt.Errorf("%s: not on the source %s", m.Name, r.src.Name)
		}
		if err == nil {
			var env *Env
			mem := int64(r.s.Memory.Size)
			if r.app != nil {
				mem = r.appMemory(sctx, c)
			}
			env, err = NewEnv(sctx, r.src, r.dst, c, EnvOptions{Memory: mem,
				PollInterval: r.opt.PollInterval, Progress: r.opt.Progress})
			if err == nil {
				r.envs = append(r.envs, env)
			}
		}
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// startProbe starts the probe monitor on the source over every member's
// source and target address.
func (r *runner) startProbe(ctx context.Context) error {
	var addrs []string
	for _, m := range r.out.Members {
		addrs = append(addrs, m.SourceAddr, m.TargetAddr)
	}
	sctx, cancel := r.step(ctx)
	defer cancel()
	req := agent.ProbeRequest{Addrs: addrs, Interval: r.opt.ProbeInterval}
	if r.app != nil {
		spec := appSpec(r.s.App)
		req.Spec, req.Timeout = &spec, appProbeTimeout
	}
	id, err := r.src.Agent.StartProbe(sctx, req)
	if err != nil {
		return err
	}
	r.probeID = id
	return nil
}

// waitAnswer waits until the workload at addr answers a probe sent by h's agent.
func (r *runner) waitAnswer(ctx context.Context, h *Host, addr string, timeout time.Duration) error {
	_, err := r.firstAnswer(ctx, h, addr, timeout)
	return err
}

// firstAnswer is waitAnswer that returns the answer.
func (r *runner) firstAnswer(ctx context.Context, h *Host, addr string, timeout time.Duration) (probe.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if rep, err := h.Agent.Probe(ctx, addr); err == nil {
			return rep, nil
		} else {
			last = err
		}
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return probe.Reply{}, fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
