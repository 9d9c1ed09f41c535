package real

import (
	"fmt"
	"slices"
	"strings"
)

// FaultKind is a fault `migrlab run --inject` can inject into a real
// migration.
type FaultKind string

// The faults. Each is real: processes are killed, the link is cut; nothing
// is simulated.
const (
	// FaultAgentKill kills the target host's agent (SIGKILL; systemd restarts
	// it two seconds later, without its in-memory migration sessions).
	FaultAgentKill FaultKind = "agent-kill"
	// FaultSourceAgentKill kills the source host's agent (SIGKILL; systemd
	// restarts it two seconds later): the rollback then needs the
	// restarted agent and the checkpoint it kept on disk.
	FaultSourceAgentKill FaultKind = "source-agent-kill"
	// FaultDiskFull fills the file system of the target agent's state
	// directory until the faulted step ends: the transfer there fails for
	// want of space.
	FaultDiskFull FaultKind = "disk-full"
	// FaultTargetUnreachable cuts the orchestrator off from the target's
	// agent for TargetCutFor (its connections are closed, new ones
	// refused: a partition of the orchestrator's network), while the
	// private link between the hosts keeps working. Requests in flight
	// fail; what the target was doing goes on.
	FaultTargetUnreachable FaultKind = "target-unreachable"
	// FaultAgentKillUnpacking kills the target host's agent while podman
	// unpacks the checkpoint archive into the restored container's
	// directory, before CRIU starts (systemd restarts the agent; podman's
	// restore may go on without it).
	FaultAgentKillUnpacking FaultKind = "agent-kill-unpacking"
	// FaultLinkCut drops every packet the target sends on the private link
	// (netem loss 100 %, or the interface down) until the faulted step ends.
	FaultLinkCut FaultKind = "link-cut"
	// FaultCheckpointFail kills CRIU on the source while it dumps.
	FaultCheckpointFail FaultKind = "checkpoint-fail"
	// FaultWorkloadKill kills the workload's process on the source while
	// CRIU dumps it, as a CRIU killed with its parasite inside the task can:
	// no checkpoint completes, and the rollback can only start the
	// container again from its image (outcome "restarted, state lost").
	FaultWorkloadKill FaultKind = "workload-kill"
	// FaultRestoreFail kills CRIU on the target while it restores.
	FaultRestoreFail FaultKind = "restore-fail"
	// FaultSigint interrupts the orchestrator (SIGINT from the CLI, a
	// cancelled context in the library).
	FaultSigint FaultKind = "sigint"
	// FaultKill kills the orchestrator (SIGKILL; CLI only): the migration
	// is recovered from its journal by `migrlab recover` or the next
	// run on the testbed.
	FaultKill FaultKind = "kill"
)

// Phase is the step of a migration a fault is injected in.
type Phase string

// The phases.
const (
	// PhaseRound is the first live round (pre-copy round, MiGrror sync).
	PhaseRound Phase = "round"
	// PhaseFinalDump is the frozen final dump on the source.
	PhaseFinalDump Phase = "final-dump"
	// PhaseFinalTransfer is the final checkpoint going to the target.
	PhaseFinalTransfer Phase = "final-transfer"
	// PhaseRestore is the restore on the target.
	PhaseRestore Phase = "restore"
)

// FaultKinds and Phases list the valid values in order.
var (
	FaultKinds = []FaultKind{FaultAgentKill, FaultSourceAgentKill, FaultLinkCut, FaultDiskFull, FaultTargetUnreachable,
		FaultAgentKillUnpacking, FaultCheckpointFail, FaultWorkloadKill, FaultRestoreFail, FaultSigint, FaultKill}
	Phases = []Phase{PhaseRound, PhaseFinalDump, PhaseFinalTransfer, PhaseRestore}
)

// Fault is a fault injected in a phase.
type Fault struct {
	Kind  FaultKind
	Phase Phase
}

func (f Fault) String() string { return string(f.Kind) + "@" + string(f.Phase) }

// ParseFault parses FAULT@PHASE and refuses combinations that cannot
// happen (CRIU does not dump during a restore).
func ParseFault(s string) (Fault, error) {
	kind, phase, ok := strings.Cut(strings.TrimSpace(s), "@")
	f := Fault{Kind: FaultKind(kind), Phase: Phase(phase)}
	if !ok {
		return f, fmt.Errorf("--inject %q: want FAULT@PHASE, e.g. agent-kill@restore (faults: %s; phases: %s)", s, join(FaultKinds), join(Phases))
	}
	if !slices.Contains(FaultKinds, f.Kind) {
		return f, fmt.Errorf("--inject %q: unknown fault %q; faults: %s", s, kind, join(FaultKinds))
	}
	if !slices.Contains(Phases, f.Phase) {
		return f, fmt.Errorf("--inject %q: unknown phase %q; phases: %s", s, phase, join(Phases))
	}
	if !f.Applies() {
		return f, fmt.Errorf("--inject %q: %s cannot happen during %s (%s only during %s)", s, f.Kind, f.Phase, f.Kind, join(f.Kind.phases()))
	}
	return f, nil
}

// Applies reports whether the fault can happen in the phase.
func (f Fault) Applies() bool { return slices.Contains(f.Kind.phases(), f.Phase) }

func (k FaultKind) phases() []Phase {
	switch k {
	case FaultCheckpointFail, FaultWorkloadKill:
		return []Phase{PhaseRound, PhaseFinalDump}
	case FaultRestoreFail, FaultAgentKillUnpacking:
		return []Phase{PhaseRestore}
	case FaultTargetUnreachable:
		// The orchestrator talks to the target when the final archive has
		// arrived (the restore) and while it restores.
		return []Phase{PhaseFinalTransfer, PhaseRestore}
	case FaultDiskFull:
		// Data lands on the target while rounds and the final archive arrive.
		return []Phase{PhaseRound, PhaseFinalTransfer}
	}
	return Phases
}

// Matrix returns every applicable fault x phase, in order.
func Matrix() []Fault {
	var out []Fault
	for _, k := range FaultKinds {
		for _, p := range k.phases() {
			out = append(out, Fault{k, p})
		}
	}
	return out
}

func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
