// Package sim implements the technique model of package models in virtual time:
// a discrete-event engine with processes, a page-level memory model, a shared
// network link, and an Env that the techniques of models drive exactly as they
// drive real hosts.
//
// Everything in a run is deterministic: same-time events run in insertion order,
// exactly one goroutine (the driver or one process) runs at a time, and the only
// randomness comes from models.DeriveSeed.
package sim

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxTime is the latest virtual time the engine accepts (about 146 years).
const MaxTime = time.Duration(1 << 62)

// event is one entry of the heap: at its time it either resumes a process or
// runs a callback. seq orders same-time events by insertion.
type event struct {
	at  time.Duration
	seq uint64
	p   *Process
	fn  func()
}

// Engine is a discrete-event simulator with a time.Duration clock. Callbacks
// (Schedule) and processes (Go) share one event heap; same-time events run in
// the order they were scheduled. An Engine runs once.
type Engine struct {
	now    time.Duration
	seq    uint64
	heap   []event
	events uint64

	// MaxEvents stops a run that processes more events than this (0: no limit).
	MaxEvents uint64

	ctx   context.Context
	err   error
	cur   *Process   // the process whose goroutine holds the baton; root for the driver
	root  *Process   // the driver: the goroutine that called Run
	procs []*Process // every process started, for cleanup
	ran   bool
}

// NewEngine returns an engine at time zero with an empty event heap.
func NewEngine() *Engine {
	e := &Engine{}
	e.root = &Process{e: e, wake: make(chan struct{})}
	e.cur = e.root
	return e
}

// Now returns the current virtual time.
func (e *Engine) Now() time.Duration { return e.now }

// Events returns how many events the engine has processed so far.
func (e *Engine) Events() uint64 { return e.events }

// Schedule runs fn at virtual time at (not before the current time), after
// every event already scheduled for that time.
func (e *Engine) Schedule(at time.Duration, fn func()) {
	if fn == nil {
		panic("sim: Schedule with a nil func")
	}
	e.push(event{at: at, fn: fn})
}

// After runs fn d after the current time.
func (e *Engine) After(d time.Duration, fn func()) { e.Schedule(e.now+d, fn) }

// ErrEventLimit is returned (wrapped) by Run when MaxEvents is exceeded.
var ErrEventLimit = errors.New("sim: event limit reached")

// ErrDeadlock is returned (wrapped) by Run when the event heap ran empty while
// processes were still waiting for events that can never come.
var ErrDeadlock = errors.New("sim: deadlock")

// Run processes events until none is left, the context is cancelled, a process
// panics or MaxEvents is exceeded. Processes still blocked at the end are
// stopped (their goroutines exit, running their deferred calls), so a run never
// leaks goroutines. Run returns the first such error, or an ErrDeadlock error
// when processes were still waiting after the last event.
func (e *Engine) Run(ctx context.Context) (err error) {
	if e.ran {
		panic("sim: Engine.Run called twice")
	}
	e.ran, e.ctx = true, ctx
	defer func() {
		if r := recover(); r != nil { // a callback panicked on the driver goroutine
			e.fail(panicError(r))
		}
		blocked := e.cleanup()
		err = e.err
		if err == nil && blocked > 0 {
			err = fmt.Errorf("%w at %s: %d process(es) wait for events that never come", ErrDeadlock, e.now, blocked)
		}
	}()
	if !e.dispatch(e.root) {
		<-e.root.wake
	}
	return nil
}

// dispatch is the core loop, run by whichever goroutine holds the baton (self:
// the driver, or a process that blocked or finished). It processes events until
// one resumes self (true) or it hands the baton to another goroutine (false).
func (e *Engine) dispatch(self *Process) bool {
	for {
		e.check()
		if e.err != nil || len(e.heap) == 0 {
			return e.handoff(self, e.root)
		}
		ev := e.pop()
		e.now, e.events = ev.at, e.events+1
		switch {
		case ev.fn != nil:
			ev.fn()
		case ev.p == self:
			return true
		default:
			return e.handoff(self, ev.p)
		}
	}
}

// handoff passes the baton to p; it reports whether p is self (keep running).
// After the send the caller must not touch engine state.
func (e *Engine) handoff(self, p *Process) bool {
	if p == self {
		return true
	}
	e.cur = p
	p.wake <- struct{}{}
	return false
}

// check stops the run on a cancelled context (every 1024 events) or the limit.
func (e *Engine) check() {
	if e.err != nil {
		return
	}
	if e.MaxEvents > 0 && e.events >= e.MaxEvents {
		e.err = fmt.Errorf("%w: %d events by virtual time %s", ErrEventLimit, e.events, e.now)
		return
	}
	if e.events&1023 == 0 && e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			e.err = err
		}
	}
}

// fail records the first fatal error of the run.
func (e *Engine) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// push inserts ev into the heap, stamping its sequence number.
func (e *Engine) push(ev event) {
	if ev.at < e.now {
		panic(fmt.Sprintf("sim: event scheduled in the past (%s < now %s)", ev.at, e.now))
	}
	if ev.at > MaxTime {
		e.fail(fmt.Errorf("sim: virtual time overflow: event at %s after the limit %s", ev.at, MaxTime))
		ev.at = MaxTime
	}
	e.seq++
	ev.seq = e.seq
	e.heap = append(e.heap, ev)
	h := e.heap
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].less(&h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// pop removes and returns the earliest event.
func (e *Engine) pop() event {
	h := e.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = event{}
	h = h[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && h[l].less(&h[m]) {
			m = l
		}
		if r := l + 1; r < n && h[r].less(&h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	e.heap = h
	return top
}

func (a *event) less(b *event) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

// idleUntil reports whether no event is due at or before t, so the running
// process may advance the clock to t without a trip through the heap.
func (e *Engine) idleUntil(t time.Duration) bool {
	return e.err == nil && (len(e.heap) == 0 || e.heap[0].at > t)
}
