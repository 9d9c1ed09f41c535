package models

import (
	"context"
	"errors"
	"time"
)

// RoundKind names what a round of a migration does.
type RoundKind string

// Round kinds.
const (
	// RoundFull is the first live round: all memory is sent while the workload runs.
	RoundFull RoundKind = "full"
	// RoundDelta is a later live round: only what was dirtied since the previous round.
	RoundDelta RoundKind = "delta"
	// RoundFinal is the stop-and-copy round: the workload is frozen, the rest is sent.
	RoundFinal RoundKind = "final"
	// RoundHandover is post-copy's frozen round: only the minimal state is sent.
	RoundHandover RoundKind = "handover"
)

// Round is what one round of dumping and sending did, measured by the environment.
// Times are offsets from the start of the migration on the environment's clock.
type Round struct {
	Index int       `json:"index"`
	Kind  RoundKind `json:"kind"`
	// Start is when the round began; for a frozen round it is the freeze instant.
	Start time.Duration `json:"-"`
	// End is when the last byte of the round reached the target.
	End time.Duration `json:"-"`
	// Bytes and Pages sent by the round (unique pages: a page dirtied twice is sent once).
	Bytes int64 `json:"bytes"`
	Pages int64 `json:"pages"`
	// DumpTime is the time spent writing the round's checkpoint images (or freezing
	// and dumping when Frozen).
	DumpTime time.Duration `json:"-"`
	// TransferTime is the time spent moving the round's data to the target.
	TransferTime time.Duration `json:"-"`
	// Frozen says that the workload was frozen during this round.
	Frozen bool `json:"frozen"`
}

// Duration returns the round's wall (or virtual) duration.
func (r Round) Duration() time.Duration { return r.End - r.Start }

// Bandwidth returns the throughput the round's transfer achieved, in bytes per
// second, or 0 when it sent nothing measurable.
func (r Round) Bandwidth() float64 {
	if r.TransferTime <= 0 || r.Bytes <= 0 {
		return 0
	}
	return float64(r.Bytes) / r.TransferTime.Seconds()
}

// ResumeInfo is what the restore on the target did.
type ResumeInfo struct {
	// Start is when the restore began, End when the workload ran again on the target.
	Start time.Duration
	End   time.Duration
	// Pages the restore had to load.
	Pages int64
}

// WaitResult tells why a wait returned.
type WaitResult struct {
	// Dirty is the amount of memory dirtied since the last round started, in bytes.
	Dirty int64
	// Deadline is true when the wait ended at its deadline rather than on the
	// dirty threshold.
	Deadline bool
}

// Env is what a technique needs from the world. The simulator implements it in
// virtual time; the real backend on live hosts. A technique must not know which.
type Env interface {
	// Now returns the time since the migration started.
	Now() time.Duration
	// Round dumps, while the workload keeps running, the pages dirtied since the
	// previous round (all memory on the first round) and sends them to the target.
	Round(ctx context.Context) (Round, error)
	// Dirty returns the bytes dirtied since the last round started (the whole
	// memory before the first round): what the next round would send.
	Dirty(ctx context.Context) (int64, error)
	// WaitDirty blocks until at least atLeast bytes are dirty and the clock is at
	// or after notBefore, or until the clock reaches deadline, whichever is first.
	WaitDirty(ctx context.Context, atLeast int64, notBefore, deadline time.Duration) (WaitResult, error)
	// StopAndCopy freezes the workload and sends everything the target lacks.
	StopAndCopy(ctx context.Context) (Round, error)
	// Resume restores the workload on the target and lets it run there.
	Resume(ctx context.Context) (ResumeInfo, error)
}

// PostCopyEnv is an environment that can also resume the workload on the target
// before its memory has arrived (post-copy).
type PostCopyEnv interface {
	Env
	// Handover freezes the workload and sends only minimal bytes of state
	// (registers, page tables, file descriptors).
	Handover(ctx context.Context, minimal int64) (Round, error)
	// PushRemaining sends the remaining memory after Resume while the workload
	// runs on the target, faulting missing pages on demand.
	PushRemaining(ctx context.Context) (PostCopyStats, error)
}

// PostCopyStats describes post-copy's degraded period after resume.
type PostCopyStats struct {
	// Degraded is how long the workload ran on the target with pages missing.
	Degraded time.Duration
	// Bytes and Pages pushed or faulted after resume.
	Bytes int64
	Pages int64
	// Faults is the number of page faults that had to fetch a page from the source.
	Faults int64
	// StallTime is the total time the workload waited on those faults.
	StallTime time.Duration
	// End is when the last page arrived.
	End time.Duration
}

// ErrUnsupported is returned (wrapped) by an environment that cannot do what a
// technique asks, for example post-copy on a Podman host.
var ErrUnsupported = errors.New("not supported by this environment")

// Parallel runs functions concurrently in an environment's notion of time:
// goroutines on real hosts, processes of the event engine in the simulator.
type Parallel interface {
	// Run runs every fn concurrently and returns their errors in order.
	Run(ctx context.Context, fns []func(ctx context.Context) error) []error
}
