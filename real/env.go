package real

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// DefaultPollInterval is how often WaitDirty measures the dirty memory.
const DefaultPollInterval = 100 * time.Millisecond

// Env migrates one container from a source host to a target host. It
// implements models.Env on wall-clock time (since NewEnv). It does not
// implement models.PostCopyEnv: Podman and CRIU restore whole images, so
// post-copy is refused by the policy with models.ErrUnsupported.
type Env struct {
	src, dst *Host
	c        agent.Container
	token    string
	// origin tells the agents who runs the migration, for their records
	// (agent.Record): what `migrlab recover` reads without the journal.
	origin    agent.Origin
	memory    int64
	poll      time.Duration
	timeout   time.Duration
	progress  io.Writer
	start     time.Time
	pageBytes int64

	mu       sync.Mutex
	rounds   []agent.RoundReport
	final    *agent.CheckpointReport
	restored *agent.RestoreReport
	// predicted[k] is the last Dirty measured after round k+1 (what round k+2,
	// or the final dump, was expected to send).
	predicted map[int]int64
	resumed   bool
	// restoring is set once the target was asked to restore: from then on a
	// copy may run there, and the source may run again only after the
	// target confirmed that none does.
	restoring bool
	// lost is set by a rollback that had to start the container again from
	// its image (no complete checkpoint to restore): why its state was lost.
	lost string
	// scans are the wall times of the source agent's dirty-memory
	// measurements (Dirty after the first round): what a mirror that polls
	// for changes waits on beside PollInterval.
	scans []time.Duration
}

var _ models.Env = (*Env)(nil)

// EnvOptions tune an Env. Zero values mean defaults.
type EnvOptions struct {
	// Memory is the container's memory size in bytes, what Dirty reports
	// before the first round.
	Memory int64
	// PollInterval of WaitDirty (default DefaultPollInterval).
	PollInterval time.Duration
	// StepTimeout bounds each agent operation (default DefaultStepTimeout).
	StepTimeout time.Duration
	// Progress receives one line per step (nil: none).
	Progress io.Writer
}

// NewEnv prepares the migration of container c (running on src) to dst: it
// announces the migration to dst's agent with a fresh token. The Env's clock
// starts now.
func NewEnv(ctx context.Context, src, dst *Host, c agent.Container, opt EnvOptions) (*Env, error) {
	if src == dst || src.Name == dst.Name {
		return nil, fmt.Errorf("source and target are the same host %s", src.Name)
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	e := &Env{src: src, dst: dst, c: c, token: hex.EncodeToString(b[:]), memory: opt.Memory,
		poll: opt.PollInterval, progress: opt.Progress, pageBytes: 4096, predicted: map[int]int64{}}
	if e.poll <= 0 {
		e.poll = DefaultPollInterval
	}
	if e.timeout = opt.StepTimeout; e.timeout <= 0 {
		e.timeout = DefaultStepTimeout
	}
	// The target checks what arrives against what the source runs: the
	// image, the security profile (privileges, mounts, namespaces), the
	// source's certificate and upload caps. Inspect again for a current one.
	cur, ok, err := src.Agent.Inspect(ctx, c.ID)
	if err == nil && !ok {
		err = fmt.Errorf("%s: not on the source %s", c.Name, src.Name)
	}
	if err != nil {
		return nil, err
	}
	e.origin = originOf(src, dst, cur)
	in := agent.IncomingFor(cur, src.Name, e.token, opt.Memory)
	in.Origin = &e.origin
	if err := dst.Agent.Announce(ctx, in); err != nil {
		return nil, err
	}
	e.start = time.Now()
	return e, nil
}

// StartClock sets the time origin of Now to t. The members of a group share
// one origin, so that their freeze and resume instants compare (group
// downtime); Run starts the clock right before the technique runs.
func (e *Env) StartClock(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.start = t
}

// Exclude moves the time origin of Now forward by d: time the harness
// spent on its own before the final dump (an app's quiesce: its load
// paused, its check's digest taken) is not the migration's, and the
// simulator has no such step.
func (e *Env) Exclude(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.start = e.start.Add(d)
}

// Container returns the migrated container as it was on the source.
func (e *Env) Container() agent.Container { return e.c }

// Source and Target return the hosts.
func (e *Env) Source() *Host { return e.src }

// Target returns the target host.
func (e *Env) Target() *Host { return e.dst }

func (e *Env) logf(format string, a ...any) {
	if e.progress != nil {
		fmt.Fprintf(e.progress, "[%7.2fs] %s: "+format+"\n", append([]any{e.Now().Seconds(), e.c.Name}, a...)...)
	}
}

// step bounds one agent operation.
func (e *Env) step(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.timeout)
}

func (e *Env) send() agent.Send {
	return agent.Send{Target: e.dst.TransferAddr(), Token: e.token, Origin: &e.origin}
}

// originOf is what the agents record of a migration of c from src to dst
// by this process: the workload's probe addresses are the hosts' private
// addresses at the port c publishes.
func originOf(src, dst *Host, c agent.Container) agent.Origin {
	o := agent.Origin{Source: src.Name, Target: dst.Name, Orchestrator: orchestratorHost(), PID: os.Getpid(), Started: time.Now().UTC()}
	if c.HostPort > 0 {
		port := strconv.Itoa(c.HostPort)
		o.SourceAddr, o.TargetAddr = net.JoinHostPort(src.PrivateAddr, port), net.JoinHostPort(dst.PrivateAddr, port)
	}
	return o
}

// orchestratorHost names this machine in the agents' records.
func orchestratorHost() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// Now implements models.Env: the wall-clock time since NewEnv.
func (e *Env) Now() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Since(e.start)
}

// Round implements models.Env: CRIU pre-dump round K on the source (chained
// to round K-1), sent by the source agent to the target agent.
func (e *Env) Round(ctx context.Context) (models.Round, error) {
	e.mu.Lock()
	k := len(e.rounds) + 1
	e.mu.Unlock()
	ctx, cancel := e.step(ctx)
	defer cancel()
	start := e.Now()
	rep, err := e.src.Agent.Round(ctx, e.c.ID, agent.RoundRequest{Send: e.send(), Round: k})
	end := e.Now()
	if err != nil {
		return models.Round{}, err
	}
	if want := int64(rep.Stats.PagesWritten) * e.pageBytes; rep.PagesBytes != want {
		return models.Round{}, fmt.Errorf("round %d: CRIU reports %d pages written (%d bytes) but the images hold %d bytes of pages",
			k, rep.Stats.PagesWritten, want, rep.PagesBytes)
	}
	e.mu.Lock()
	e.rounds = append(e.rounds, rep)
	e.mu.Unlock()
	kind := models.RoundDelta
	if k == 1 {
		kind = models.RoundFull
	}
	e.logf("round %d: %d pages (%.1f MiB) dumped in %.2fs (frozen %.3fs), %d bytes sent in %.2fs (%.1f MB/s)",
		k, rep.Stats.PagesWritten, float64(rep.PagesBytes)/(1<<20), rep.DumpTime.Seconds(), rep.Stats.FrozenTime.Seconds(),
		rep.Transfer.Bytes, rep.Transfer.Time.Seconds(), rep.Transfer.Throughput()/1e6)
	return models.Round{Kind: kind, Start: start, End: end, Bytes: rep.Transfer.Bytes, Pages: int64(rep.Stats.PagesWritten),
		DumpTime: rep.DumpTime, TransferTime: rep.Transfer.Time}, nil
}

// Dirty implements models.Env: the container's resident soft-dirty pages on
// the source (CRIU's pre-dump clears the bits), times the page size; before
// the first round, the container's memory size.
func (e *Env) Dirty(ctx context.Context) (int64, error) {
	e.mu.Lock()
	k := len(e.rounds)
	e.mu.Unlock()
	if k == 0 && e.memory > 0 {
		return e.memory, nil
	}
	ctx, cancel := e.step(ctx)
	defer cancel()
	t0 := time.Now()
	d, err := e.src.Agent.Dirty(ctx, e.c.ID, e.c.PID)
	if err != nil {
		return 0, err
	}
	took := time.Since(t0)
	if d.PageSize > 0 {
		e.pageBytes = int64(d.PageSize)
	}
	if k > 0 {
		e.mu.Lock()
		e.predicted[k] = d.Bytes()
		e.scans = append(e.scans, took)
		e.mu.Unlock()
	}
	return d.Bytes(), nil
}

// WaitDirty implements models.Env by polling Dirty every PollInterval.
func (e *Env) WaitDirty(ctx context.Context, atLeast int64, notBefore, deadline time.Duration) (models.WaitResult, error) {
	for {
		d, err := e.Dirty(ctx)
		if err != nil {
			return models.WaitResult{}, err
		}
		now := e.Now()
		if d >= atLeast && now >= notBefore {
			return models.WaitResult{Dirty: d}, nil
		}
		if now >= deadline {
			return models.WaitResult{Dirty: d, Deadline: true}, nil
		}
		wait := min(e.poll, deadline-now)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return models.WaitResult{Dirty: d}, ctx.Err()
		case <-t.C:
		}
	}
}

// StopAndCopy implements models.Env: podman's checkpoint on the source
// (freeze, final dump chained to the last pre-dump round, export), sent with
// the pre-checkpoint link to the target. The round starts when the source
// agent calls podman (the freeze follows within CRIU's freezing time).
func (e *Env) StopAndCopy(ctx context.Context) (models.Round, error) {
	e.mu.Lock()
	n := len(e.rounds)
	e.mu.Unlock()
	ctx, cancel := e.step(ctx)
	defer cancel()
	t0 := e.Now()
	rep, err := e.src.Agent.Checkpoint(ctx, e.c.ID, agent.CheckpointRequest{Send: e.send(), Rounds: n})
	end := e.Now()
	if err != nil {
		return models.Round{}, err
	}
	e.mu.Lock()
	e.final = &rep
	e.mu.Unlock()
	e.logf("final dump after %d rounds: %d pages, checkpoint %.2fs (frozen %.3fs), archive %.1f MiB sent in %.2fs (%.1f MB/s)",
		n, rep.Stats.PagesWritten, rep.DumpTime.Seconds(), rep.Stats.FrozenTime.Seconds(),
		float64(rep.Transfer.Bytes)/(1<<20), rep.Transfer.Time.Seconds(), rep.Transfer.Throughput()/1e6)
	return models.Round{Kind: models.RoundFinal, Frozen: true, Start: t0 + rep.Queued, End: end,
		Bytes: rep.Transfer.Bytes, Pages: int64(rep.Stats.PagesWritten), DumpTime: rep.DumpTime,
		TransferTime: rep.Transfer.Time}, nil
}

// Resume implements models.Env: podman's restore (import) on the target,
// confirmed running by the target agent.
func (e *Env) Resume(ctx context.Context) (models.ResumeInfo, error) {
	ctx, cancel := e.step(ctx)
	defer cancel()
	e.mu.Lock()
	e.restoring = true
	e.mu.Unlock()
	start := e.Now()
	rep, err := e.dst.Agent.Restore(ctx, e.c.ID)
	end := e.Now()
	if err != nil {
		return models.ResumeInfo{}, err
	}
	e.mu.Lock()
	e.restored, e.resumed = &rep, true
	e.mu.Unlock()
	pages := int64(rep.Stats.PagesRestored)
	if pages == 0 {
		for _, r := range e.rounds {
			pages += int64(r.Stats.PagesWritten)
		}
		if e.final != nil {
			pages += int64(e.final.Stats.PagesWritten)
		}
	}
	e.logf("restored on %s in %.2fs (pid %d)", e.dst.Name, rep.RestoreTime.Seconds(), rep.Container.PID)
	return models.ResumeInfo{Start: start, End: end, Pages: pages}, nil
}

// Resumed reports whether the container was confirmed running on the target.
func (e *Env) Resumed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resumed
}

// Finish ends a migration whose copy on the target runs and was verified:
// only then is the source's copy (stopped, checkpointed) removed, with the
// chain and archives on both hosts.
func (e *Env) Finish(ctx context.Context) error {
	if !e.Resumed() {
		return errors.New("finish: the container was not confirmed running on the target")
	}
	ctx, cancel := e.step(ctx)
	defer cancel()
	var errs []error
	if err := e.src.Agent.Remove(ctx, e.c.ID); err != nil {
		errs = append(errs, fmt.Errorf("removing the source copy: %w", err))
	}
	if err := e.dst.Agent.Forget(ctx, e.c.ID, false); err != nil {
		errs = append(errs, fmt.Errorf("cleaning the target: %w", err))
	}
	return errors.Join(errs...)
}

// Reject marks a copy that resumed on the target as not to be kept (it
// failed its verification): Abort then removes it and runs the container
// on the source again.
func (e *Env) Reject() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resumed = false
}

// ErrTargetUnconfirmed means a rollback stopped short of resuming the
// source: the target was asked to restore and did not confirm that no copy
// runs there, so the source copy stays checkpointed (nothing runs, its data
// is kept) until `migrlab recover` can tell.
var ErrTargetUnconfirmed = errors.New("the target did not confirm that no copy runs there")

// Abort rolls back a migration that did not resume on the target (or whose
// copy there was rejected), so that exactly one copy runs: the target's
// state (received rounds, a created, failed or rejected container) is
// removed and the container runs on the source again (restored from its
// kept checkpoint if it was frozen). Once the target was asked to restore,
// the source runs again only if the target positively confirms that no copy
// runs and none can start there; otherwise Abort returns
// ErrTargetUnconfirmed and leaves the source checkpointed. After a resume on
// the target it is Finish.
func (e *Env) Abort(ctx context.Context) error {
	if e.Resumed() {
		return e.Finish(ctx)
	}
	ctx, cancel := e.step(ctx)
	defer cancel()
	var errs []error
	clean := e.forgetTarget(ctx)
	if e.restoreAsked() {
		if err := e.confirmNoTargetCopy(ctx, clean); err != nil {
			e.logf("not resuming the source: %v", err)
			return fmt.Errorf("%w: %s: %v; the copy on %s stays checkpointed (not running, its data kept)",
				ErrTargetUnconfirmed, e.dst.Name, err, e.src.Name)
		}
	} else if clean != nil {
		// No restore was asked for: no copy can run on the target, only
		// received data is left there.
		errs = append(errs, fmt.Errorf("cleaning the target: %w", clean))
	}
	rep, err := e.rollbackSource(ctx)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("rollback on the source: %w", err))
	case rep.StateLost:
		e.mu.Lock()
		e.lost = rep.Cause
		e.mu.Unlock()
		e.logf("rolled back: started again from its image on %s (pid %d), its memory state LOST: %s", e.src.Name, rep.PID, rep.Cause)
	default:
		e.logf("rolled back: running on %s again (pid %d)", e.src.Name, rep.PID)
	}
	return errors.Join(errs...)
}

// StateLost returns why the last rollback had to start the container again
// from its image, its memory state lost ("": it did not).
func (e *Env) StateLost() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lost
}

// rollbackSource runs the container on the source again from its kept
// checkpoint. A source agent that does not answer (killed mid-migration;
// systemd restarts it) is waited for, as long as AgentRestartWait: the
// checkpoint it kept is on disk.
func (e *Env) rollbackSource(ctx context.Context) (rep agent.RollbackReport, err error) {
	err = e.untilAnswered(ctx, "source", func() error {
		rep, err = e.src.Agent.Rollback(ctx, e.c.ID)
		return err
	})
	return rep, err
}

func (e *Env) restoreAsked() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.restoring
}

// confirmNoTargetCopy returns nil only when the target removed the
// migration (clean is Forget's error) and then reports no container with
// its ID: the target's agent restores under the container's lock, which
// Forget waits for, so no restore can start after it.
func (e *Env) confirmNoTargetCopy(ctx context.Context, clean error) error {
	if clean != nil {
		return fmt.Errorf("removing its copy failed: %w", clean)
	}
	c, there, err := e.dst.Agent.Inspect(ctx, e.c.ID)
	switch {
	case err != nil:
		return fmt.Errorf("inspecting it failed: %w", err)
	case there:
		return fmt.Errorf("a copy is still there (%s)", c.State)
	}
	return nil
}

// AgentRestartWait is how long Abort waits for a target agent that does not
// answer (killed, restarting) before it gives up cleaning the target.
var AgentRestartWait = 90 * time.Second

// forgetTarget removes the migration's state and any restored copy from the
// target. A target agent that is down (killed mid-migration; systemd
// restarts it) is waited for, because a restore it started may have left a
// copy running there: the source must not restart before it is gone.
func (e *Env) forgetTarget(ctx context.Context) error {
	return e.untilAnswered(ctx, "target", func() error { return e.dst.Agent.Forget(ctx, e.c.ID, true) })
}

// untilAnswered calls call until the host's agent answers it (with success
// or an error of its own), for at most AgentRestartWait: an agent killed
// mid-migration comes back when systemd restarts it.
func (e *Env) untilAnswered(ctx context.Context, host string, call func() error) error {
	deadline := time.Now().Add(AgentRestartWait)
	for {
		err := call()
		var ae *agent.AgentError
		if err == nil || errors.As(err, &ae) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		e.logf("the %s's agent does not answer (%v); retrying", host, err)
		if !sleepCtx(ctx, 2*time.Second) {
			return err
		}
	}
}
