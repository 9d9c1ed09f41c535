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
	cur   *Process   // the process whose goroutine holds the baton
	root  *Process   // the goroutine that called Run (a process while main runs)
	procs []*Process // every process started by Go, for cleanup
	ran   bool
	// rootIsProc says that main runs; ending that the run is over.
	rootIsProc, ending bool
}

// NewEngine returns an engine at time zero with an empty event heap.
func NewEngine() *Engine {
	e := &Engine{}
	e.root = &Process{e: e, wake: make(chan struct{}), done: &Signal{e: e}}
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

// Run runs main (if not nil) as the first process, on the calling goroutine,
// then processes events until none is left, the context is cancelled, a
// process or callback panics or MaxEvents is exceeded. Processes still blocked
// at the end are stopped (their goroutines exit, running their deferred calls;
// main is unwound by a panic that Run recovers), so a run never leaks
// goroutines. Run returns the first such error, or an ErrDeadlock error when
// processes were still waiting after the last event, or else main's error.
//
// Running main on the caller's goroutine means that a run with one process
// (one migration) needs no goroutine switch at all.
func (e *Engine) Run(ctx context.Context, main func(p *Process) error) (err error) {
	if e.ran {
		panic("sim: Engine.Run called twice")
	}
	e.ran, e.ctx = true, ctx
	root := e.root
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopMain); !ok { // a panic in main or in a callback it ran
				e.fail(panicError(r))
			}
		}
		blocked := e.cleanup()
		if root.state == procRunning {
			blocked++
		}
		err = e.err
		if err == nil && blocked > 0 {
			err = fmt.Errorf("%w at %s: %d process(es) wait for events that never come", ErrDeadlock, e.now, blocked)
		}
		if err == nil {
			err = root.err
		}
	}()
	if main != nil {
		e.rootIsProc = true
		root.state = procRunning
		root.err = main(root)
		root.state = procDone
		root.done.Trigger()
	}
	if e.dispatch(root) == handedOff {
		<-root.wake
	}
	return nil
}

// stopMain unwinds main when the run ends while main is blocked.
type stopMain struct{}

// wakeReason is how dispatch returned.
type wakeReason uint8

const (
	resumed   wakeReason = iota // the event that resumes self came up
	handedOff                   // another goroutine holds the baton now
	ended                       // the run is over (only returned to the root)
)

// dispatch is the core loop, run by whichever goroutine holds the baton (self:
// the root, or a process that blocked or finished). It processes events until
// one resumes self, or it hands the baton to another goroutine, or the run is
// over (no event left, or an error): then the baton goes to the root.
func (e *Engine) dispatch(self *Process) wakeReason {
	for {
		e.check()
		if e.err != nil || len(e.heap) == 0 {
			if self == e.root {
				return ended
			}
			e.ending = true
			e.handoff(e.root)
			return handedOff
		}
		ev := e.pop()
		e.now, e.events = ev.at, e.events+1
		switch {
		case ev.fn != nil:
			ev.fn()
		case ev.p == self:
			return resumed
		default:
			e.handoff(ev.p)
			return handedOff
		}
	}
}

// handoff passes the baton to p's goroutine. After the send the caller must
// not touch engine state.
func (e *Engine) handoff(p *Process) {
	e.cur = p
	p.wake <- struct{}{}
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
