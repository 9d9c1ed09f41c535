package sim

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Env is one container's migration in a simulation. It implements models.Env
// and models.PostCopyEnv in virtual time over an Engine, the container's Memory
// and a Link that several Envs may share. Its methods must be called from a
// process of the engine (the technique runs as one). Cancellation of the
// context given to Engine.Run ends the run within 1024 events.
//
// Rounds snapshot the dirty set Costs.Snapshot after their start (at their
// start when it is zero): pages dirtied after that, while the round dumps and
// sends, belong to the next round. The workload dirties memory until the
// freeze, Costs.Snapshot into StopAndCopy or at the start of Handover.
type Env struct {
	e     *Engine
	s     *models.Scenario
	mem   *Memory
	link  *Link
	id    int
	trace func(string)

	started, frozen, resumed, postcopy bool
	// chained: the frozen round followed live rounds (its images have parents).
	chained   bool
	lastPages int64
	resumeEnd time.Duration
	// lent is the storage lent for the rounds (LendRounds; sweeps only).
	lent []models.Round
}

var (
	_ models.Env          = (*Env)(nil)
	_ models.PostCopyEnv  = (*Env)(nil)
	_ models.RoundsLender = (*Env)(nil)
)

// NewEnv returns the environment of container id of scenario s (defaults
// applied; read, never modified), with its memory model, on the shared link.
func NewEnv(e *Engine, link *Link, s *models.Scenario, mem *Memory, id int) *Env {
	return &Env{e: e, s: s, mem: mem, link: link, id: id}
}

// SetTrace makes the environment report every step to fn (nil: off).
func (v *Env) SetTrace(fn func(line string)) { v.trace = fn }

// ErrNotInProcess is returned when an Env method is called from outside a
// process of its engine.
var ErrNotInProcess = errors.New("sim: Env used outside a simulation process")

// enter returns the running process. The context is not consulted here: the
// engine checks it every 1024 events and ends the run when it is cancelled.
func (v *Env) enter(context.Context) (*Process, error) {
	p := v.e.Current()
	if p == nil {
		return nil, ErrNotInProcess
	}
	return p, nil
}

// tracef reports a step; callers check v.trace first so that the arguments
// are not boxed when tracing is off.
func (v *Env) tracef(format string, args ...any) {
	v.trace(fmt.Sprintf("%14.9fs c%d ", v.e.now.Seconds(), v.id) + fmt.Sprintf(format, args...))
}

// Now implements models.Env: the virtual time since the run started.
func (v *Env) Now() time.Duration { return v.e.now }

// all returns the pages and bytes of the whole memory, as it is now.
func (v *Env) all() (int64, int64) {
	if v.mem.growth != nil {
		return v.mem.Resident(v.e.now)
	}
	if v.mem.analytic {
		return v.mem.pages, int64(v.s.Memory.Size)
	}
	return v.mem.pages, v.mem.pages * v.mem.pageSize
}

// dump returns the cost of dumping a round of pages (pageBytes in the
// byte-granular analytic model): RoundSetup plus DumpPerPage per page, or
// Costs.FinalPerPage for a frozen round (per fractional page in the analytic
// model).
func (v *Env) dump(pages, pageBytes int64, frozen bool) time.Duration {
	c := v.s.Costs
	per := c.DumpPerPage
	if frozen {
		per = c.FinalPerPage()
	}
	if v.mem.analytic {
		n := float64(pageBytes) / float64(v.mem.pageSize)
		return c.RoundSetup.Duration() + time.Duration(n*float64(per))
	}
	return c.RoundSetup.Duration() + perPage(pages, per.Duration())
}

func perPage(n int64, d time.Duration) time.Duration {
	return time.Duration(float64(n)*float64(d) + 0.5)
}

// send dumps and transfers one round's data, filling in its times. r.Bytes
// is what goes on the wire (the pages' pageBytes plus the round's overhead);
// a live round's transfer goes at the live bandwidth. spent is the part of
// the dump already slept (the snapshot delay): the dump lasts extra plus the
// dump cost, or spent if that is longer.
func (v *Env) send(p *Process, r *models.Round, pageBytes int64, extra, spent time.Duration) {
	r.DumpTime = max(spent, extra+v.dump(r.Pages, pageBytes, r.Frozen))
	p.Sleep(r.DumpTime - spent)
	t0 := v.e.now
	if r.Frozen {
		v.link.Transfer(p, r.Bytes)
	} else {
		v.link.TransferLive(p, r.Bytes)
	}
	r.TransferTime = v.e.now - t0
	r.End = v.e.now
	if v.trace != nil {
		v.tracef("%s round end pages=%d bytes=%d dump=%s transfer=%s", r.Kind, r.Pages, r.Bytes, r.DumpTime, r.TransferTime)
	}
}

// snapshot sleeps Costs.Snapshot, the time from a dump's start to the
// instant its dirty set is taken, and returns it. Without a delay it does
// not yield: the order of same-instant events stays as it was.
func (v *Env) snapshot(p *Process) time.Duration {
	d := v.s.Costs.Snapshot.Duration()
	if d > 0 {
		p.Sleep(d)
	}
	return d
}

// Round implements models.Env: a live round of the dirty set (all memory the
// first time) taken Costs.Snapshot after the round starts, dumped
// (RoundSetup + DumpPerPage per page, the snapshot delay included) then sent
// with Costs.RoundOverhead at the live bandwidth (Network.LiveRate).
func (v *Env) Round(ctx context.Context) (models.Round, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.Round{}, err
	}
	if v.frozen {
		return models.Round{}, errors.New("sim: live round after the workload was frozen")
	}
	r := models.Round{Kind: models.RoundDelta, Start: v.e.now}
	if !v.started {
		r.Kind = models.RoundFull
	}
	if v.trace != nil {
		v.tracef("%s round start", r.Kind)
	}
	spent := v.snapshot(p)
	r.Pages, r.Bytes = v.mem.Track(v.e.now)
	if !v.started { // the full round: all memory, tracking starts now
		v.started = true
		r.Pages, r.Bytes = v.all()
	}
	if v.trace != nil && spent > 0 {
		v.tracef("%s round snapshot pages=%d", r.Kind, r.Pages)
	}
	pageBytes := r.Bytes
	r.Bytes += int64(v.s.Costs.RoundOverhead)
	v.send(p, &r, pageBytes, 0, spent)
	return r, nil
}

// Dirty implements models.Env: bytes dirtied since the last round started
// (the whole memory before the first round, nothing after the final one).
func (v *Env) Dirty(ctx context.Context) (int64, error) {
	if _, err := v.enter(ctx); err != nil {
		return 0, err
	}
	if !v.started {
		_, b := v.all()
		return b, nil
	}
	_, b := v.mem.Dirty(v.e.now)
	return b, nil
}

// WaitDirty implements models.Env. The time at which atLeast bytes are dirty is
// computed in closed form from the memory model; the wait ends then (but not
// before notBefore) or at deadline, whichever is first. When both fall on the
// same instant, the deadline wins.
func (v *Env) WaitDirty(ctx context.Context, atLeast int64, notBefore, deadline time.Duration) (models.WaitResult, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.WaitResult{}, err
	}
	from := max(v.e.now, notBefore)
	var t time.Duration
	ok := false
	switch {
	case !v.started:
		_, all := v.all()
		t, ok = from, all >= atLeast
	case !v.frozen:
		t, ok = v.mem.Reach(atLeast, from, deadline)
		if ok && t > from {
			t = v.polled(from, t)
		}
	}
	res := models.WaitResult{}
	if ok && t < deadline {
		p.SleepUntil(t)
	} else {
		if deadline >= MaxTime {
			return res, fmt.Errorf("sim: waiting for %d dirty bytes that never come, with no deadline", atLeast)
		}
		p.SleepUntil(deadline)
		res.Deadline = true
	}
	res.Dirty, _ = v.Dirty(ctx)
	if v.trace != nil {
		v.tracef("wait end dirty=%d deadline=%v", res.Dirty, res.Deadline)
	}
	return res, nil
}

// polled returns when a mirror that measures the dirty memory every
// Costs.DirtyPollPeriod learns that the threshold was crossed at reach
// (reach > from; reach itself when the period is zero). The measurement whose
// result arrives at from (the end of the round, whose RoundSetup holds one
// measurement, as pre-copy's measurement after each round is in its span)
// began DirtyScan earlier; measurements begin every period after it, and
// the first to begin at or after reach ends the wait DirtyScan later.
func (v *Env) polled(from, reach time.Duration) time.Duration {
	period := v.s.Costs.DirtyPollPeriod()
	if period <= 0 {
		return reach
	}
	first := from - v.s.Costs.DirtyScan.Duration()
	k := (reach - first + period - 1) / period
	return first + k*period + v.s.Costs.DirtyScan.Duration()
}

// StopAndCopy implements models.Env: freeze (Costs.Freeze), dump what the
// target lacks (all memory on a cold migration; RoundSetup + FinalSetup +
// Costs.FinalPerPage per page) and send it with Costs.FinalOverhead at the
// link's bandwidth. The workload runs until Costs.Snapshot after the start
// (the dump's dirty set is taken then), within the dump's cost.
func (v *Env) StopAndCopy(ctx context.Context) (models.Round, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.Round{}, err
	}
	if v.frozen {
		return models.Round{}, errors.New("sim: stop-and-copy after the workload was frozen")
	}
	r := models.Round{Kind: models.RoundFinal, Start: v.e.now, Frozen: true}
	v.frozen, v.chained = true, v.started
	spent := v.snapshot(p)
	v.mem.Freeze(v.e.now)
	if !v.started {
		r.Pages, r.Bytes = v.all()
	} else {
		r.Pages, r.Bytes = v.mem.TrackFinal(v.e.now)
	}
	v.started = true
	if v.trace != nil {
		v.tracef("freeze")
	}
	pageBytes := r.Bytes
	r.Bytes += int64(v.s.Costs.FinalOverhead)
	v.send(p, &r, pageBytes, v.frozenExtra(), spent)
	v.lastPages = r.Pages
	return r, nil
}

// frozenExtra is what a frozen dump costs beyond a live round's: the freeze
// and Costs.FinalSetupFor (Podman's checkpoint overhead around CRIU's dump;
// its own when the dump follows live rounds).
func (v *Env) frozenExtra() time.Duration {
	return v.s.Costs.Freeze.Duration() + v.s.Costs.FinalSetupFor(v.chained).Duration()
}

// Resume implements models.Env: restore on the target (RestoreBase plus
// RestorePerPage for every page, or only the final round's pages unless
// Costs.RestoreAllPages; post-copy restores only the handover; plus
// RestorePerFinalPage for each page of the final round), then Resume.
func (v *Env) Resume(ctx context.Context) (models.ResumeInfo, error) {
	p, err := v.enter(ctx)
	if err != nil {
		return models.ResumeInfo{}, err
	}
	if !v.frozen || v.resumed {
		return models.ResumeInfo{}, errors.New("sim: resume needs one stop-and-copy or handover first")
	}
	c := v.s.Costs
	info := models.ResumeInfo{Start: v.e.now, Pages: v.lastPages}
	if c.RestoreAllPages && !v.postcopy {
		info.Pages, _ = v.mem.Resident(v.e.now)
	}
	p.Sleep(c.RestoreTime(info.Pages, v.lastPages, v.chained) + c.Resume.Duration())
	info.End = v.e.now
	v.resumed, v.resumeEnd = true, info.End
	if v.trace != nil {
		v.tracef("resumed pages=%d", info.Pages)
	}
	return info, nil
}
