package real

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// agentStateDir is where the agents keep checkpoint data (agent.Config's default).
const agentStateDir = "/var/lib/migrlab/agent"

// stopFile ends a waiting trigger script on a host.
const stopFile = "/run/migrlab-inject.stop"

// killCRIU kills every CRIU process it finds, then keeps killing the CRIU
// processes that appear for 3 s (a restore runs several: the first killed
// may be a helper whose death alone leaves the restorer hanging).
const killCRIU = `{ pkill -KILL -x criu && { echo triggered; e=$(( $(date +%s) + 3 )); while [ "$(date +%s)" -lt "$e" ]; do pkill -KILL -x criu; sleep 0.02; done; true; }; }`

// injector injects one fault into the first Env operation of its phase: a
// trigger script on one host waits for the phase to be under way (CRIU
// running, the archive arriving), then the fault's action runs.
type injector struct {
	f         Fault
	src, dst  *Host
	interrupt func()
	logf      func(format string, a ...any)
	// reshape shapes a host's private link again once a cut is healed (the
	// cut replaced the run's shaping; nil or a no-op on a native link).
	reshape func(ctx context.Context, h *Host) error

	mu       sync.Mutex
	used     bool
	injected bool
	at       time.Time
	err      error
	// healCut ends the target-unreachable fault's cut (nil: no cut).
	healCut *time.Timer
}

// Injected reports whether the fault happened, and why not.
func (in *injector) result() (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.injected, in.err
}

// trigger returns the host that shows the phase under way, and the shell
// condition that is true then.
func (in *injector) trigger(c agent.Container) (*Host, string) {
	id := c.ID
	// Killing CRIU is its own trigger: the first kill that finds a CRIU
	// process (runc also runs short-lived CRIU checks before a dump; killing
	// one of those fails the step just the same).
	switch in.f.Kind {
	case FaultCheckpointFail:
		return in.src, killCRIU
	case FaultWorkloadKill:
		return in.src, killTask(c.PID)
	case FaultRestoreFail:
		return in.dst, killCRIU
	case FaultAgentKillUnpacking:
		return in.dst, killAgentUnpacking(id)
	}
	switch in.f.Phase {
	case PhaseFinalTransfer:
		// The target receives the archive under a temporary name.
		return in.dst, "ls " + agentStateDir + "/in/" + id + "/.checkpoint.tar-* >/dev/null 2>&1"
	case PhaseRestore:
		return in.dst, "pgrep -x criu >/dev/null"
	default: // round, final dump: CRIU dumping on the source
		return in.src, "pgrep -x criu >/dev/null"
	}
}

// linkDev finds the target's private-link interface (by its address).
func linkDev(addr string) string {
	return fmt.Sprintf(`dev=$(ip -o -4 addr show | awk -v a=%q 'index($4, a "/") == 1 {print $2; exit}')
[ -n "$dev" ] || { echo "no interface has the address %s" >&2; exit 4; }
`, addr, addr)
}

// action returns the host and script of the fault's action (nil host: the
// orchestrator's own action).
func (in *injector) action() (*Host, string) {
	switch in.f.Kind {
	case FaultAgentKill:
		return in.dst, "systemctl kill -s KILL migrlab-agent.service"
	case FaultSourceAgentKill:
		return in.src, "systemctl kill -s KILL migrlab-agent.service"
	case FaultLinkCut:
		return in.dst, linkDev(in.dst.PrivateAddr) + `tc qdisc replace dev "$dev" root netem loss 100% 2>/dev/null || ip link set dev "$dev" down`
	case FaultDiskFull:
		// What a user can take, then the blocks reserved for root (the
		// agent runs as root) in ever smaller pieces, then 4 MiB given back:
		// less than a round or an archive needs, enough for the host to go
		// on (ssh, the heal). Then a check that the space really is gone
		// (what ext4 keeps even from root cannot be allocated).
		return in.dst, fmt.Sprintf(`d=%[2]s; f=%[1]s
fallocate -l "$(df --output=avail -B1 "$d" | tail -1)" "$f.0" 2>/dev/null
i=1; for sz in 64M 8M 1M; do while fallocate -l $sz "$f.$i" 2>/dev/null; do i=$((i+1)); done; done
for j in 1 2 3 4; do i=$((i-1)); [ "$i" -gt 0 ] && rm -f "$f.$i"; done
left=$(df --output=avail -B1 "$d" | tail -1)
[ "$left" -lt 16777216 ] || { echo "only filled to $left bytes free" >&2; exit 5; }`, diskFillFile, agentStateDir)
	}
	return nil, ""
}

// diskFillFile is what the disk-full fault fills the target's disk with.
const diskFillFile = agentStateDir + "/.migrlab-disk-full"

// arm starts the fault's trigger if phase p is the fault's and it was not
// injected yet; the returned function ends the phase: it stops the trigger
// and heals a cut link.
func (in *injector) arm(ctx context.Context, p Phase, e *Env) func() {
	in.mu.Lock()
	if in.used || p != in.f.Phase && !(p == PhaseFinalDump && in.f.Phase == PhaseFinalTransfer) {
		in.mu.Unlock()
		return func() {}
	}
	in.used = true
	in.mu.Unlock()
	host, cond := in.trigger(e.c)
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.run(actx, host, cond)
	}()
	return func() {
		// Stop a trigger still waiting, but let one that fired finish its
		// action (it may outlive the step it failed) and report it.
		hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer hcancel()
		host.Exec(hctx, "touch "+stopFile)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if in.f.Kind == FaultDiskFull {
			if _, err := in.dst.Exec(hctx, "rm -f "+diskFillFile+".*"); err != nil {
				in.logf("fault: freeing the disk of %s: %v", in.dst.Name, err)
			} else if ok, _ := in.result(); ok {
				in.logf("fault: disk of %s freed", in.dst.Name)
			}
		}
		if in.f.Kind == FaultLinkCut {
			if _, err := in.dst.Exec(hctx, linkDev(in.dst.PrivateAddr)+`tc qdisc del dev "$dev" root 2>/dev/null; ip link set dev "$dev" up`); err != nil {
				in.logf("fault: healing the private link of %s: %v", in.dst.Name, err)
			} else if ok, _ := in.result(); ok {
				in.logf("fault: private link of %s restored", in.dst.Name)
			}
			if in.reshape != nil {
				if err := in.reshape(hctx, in.dst); err != nil {
					in.logf("fault: shaping the healed link of %s again: %v", in.dst.Name, err)
				}
			}
		}
	}
}

// run waits for the trigger and acts.
func (in *injector) run(ctx context.Context, host *Host, cond string) {
	script := fmt.Sprintf(`rm -f %[1]s
end=$(( $(date +%%s) + 1800 ))
while [ ! -e %[1]s ]; do
  if %[2]s; then echo triggered; exit 0; fi
  [ "$(date +%%s)" -lt "$end" ] || exit 3
  sleep 0.02
done
exit 3
`, stopFile, cond)
	out, err := host.Exec(ctx, script)
	if !strings.Contains(out, "triggered") {
		in.mu.Lock()
		in.err = fmt.Errorf("%s: the step ended before its trigger (%s on %s) was seen (%v)", in.f, cond, host.Name, err)
		in.mu.Unlock()
		return
	}
	ah, act := in.action()
	switch in.f.Kind {
	case FaultCheckpointFail, FaultRestoreFail:
		in.mark(nil)
		in.logf("fault: %s injected: CRIU killed on %s", in.f, host.Name)
		return
	case FaultAgentKillUnpacking:
		in.mark(nil)
		in.logf("fault: %s injected: the agent of %s killed while podman unpacked the checkpoint, before CRIU started", in.f, host.Name)
		return
	case FaultWorkloadKill:
		in.mark(nil)
		in.logf("fault: %s injected: the workload's process killed on %s while CRIU dumped it", in.f, host.Name)
		return
	case FaultTargetUnreachable:
		in.cutTarget(TargetCutFor)
		in.mark(nil)
		in.logf("fault: %s injected: the orchestrator is cut off from %s's agent for %s (the private link is not touched)", in.f, in.dst.Name, TargetCutFor)
		return
	}
	if ah == nil {
		in.mark(nil)
		in.logf("fault: %s injected (interrupting the orchestrator)", in.f)
		in.interrupt()
		return
	}
	_, err = ah.Exec(context.WithoutCancel(ctx), act)
	in.mark(err)
	if err != nil {
		in.logf("fault: %s: the action on %s failed: %v", in.f, ah.Name, err)
		return
	}
	in.logf("fault: %s injected on %s", in.f, ah.Name)
}

// TargetCutFor is how long the target-unreachable fault cuts the
// orchestrator off from the target's agent: less than AgentRestartWait, so
// a rollback that waits for the target sees it again.
var TargetCutFor = 30 * time.Second

// killTask is the workload-kill fault's trigger and action on the source:
// once CRIU runs, the container's init process (host PID pid; the rest of
// its PID namespace dies with it) is killed. SIGKILL reaches a task that
// CRIU has seized and frozen (cgroup v2's freezer lets fatal signals
// through).
func killTask(pid int) string {
	if pid <= 0 {
		return "false"
	}
	return fmt.Sprintf(`{ pgrep -x criu >/dev/null && kill -KILL %d && echo triggered; }`, pid)
}

// killAgentUnpacking is the agent-kill-unpacking fault's trigger and
// action on the target: once podman's restore unpacked the archive's
// checkpoint directory into the container's userdata directory, and
// before any CRIU process ran, the agent is killed. A CRIU seen first
// (the window missed) disarms it: the fault is then reported as not
// injected, never injected late.
func killAgentUnpacking(id string) string {
	return fmt.Sprintf(`{ pgrep -x criu >/dev/null && seen=1; [ -z "$seen" ] && ls -d /var/lib/containers/storage/*-containers/%s/userdata/checkpoint >/dev/null 2>&1 && systemctl kill -s KILL migrlab-agent.service && echo triggered; }`, id)
}

// cutTarget cuts the orchestrator off from the target's agent (its client:
// agent.Client.Cut) for d; healTarget ends it sooner.
func (in *injector) cutTarget(d time.Duration) {
	in.dst.Agent.Cut()
	in.mu.Lock()
	defer in.mu.Unlock()
	in.healCut = time.AfterFunc(d, func() {
		in.dst.Agent.Heal()
		in.logf("fault: the orchestrator reaches %s's agent again", in.dst.Name)
	})
}

// healTarget ends a cut still in force (the run is over).
func (in *injector) healTarget() {
	in.mu.Lock()
	t := in.healCut
	in.mu.Unlock()
	if t != nil && t.Stop() {
		in.dst.Agent.Heal()
		in.logf("fault: the cut from %s's agent healed early: the run ended", in.dst.Name)
	}
}

func (in *injector) mark(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.injected, in.at = err == nil, time.Now()
	if err != nil {
		in.err = err
	}
}

// faultEnv is an Env with a fault injected into one of its phases.
type faultEnv struct {
	*Env
	in *injector
}

var _ models.Env = faultEnv{}

func (f faultEnv) Round(ctx context.Context) (models.Round, error) {
	defer f.in.arm(ctx, PhaseRound, f.Env)()
	return f.Env.Round(ctx)
}

func (f faultEnv) StopAndCopy(ctx context.Context) (models.Round, error) {
	defer f.in.arm(ctx, PhaseFinalDump, f.Env)()
	return f.Env.StopAndCopy(ctx)
}

func (f faultEnv) Resume(ctx context.Context) (models.ResumeInfo, error) {
	defer f.in.arm(ctx, PhaseRestore, f.Env)()
	return f.Env.Resume(ctx)
}
