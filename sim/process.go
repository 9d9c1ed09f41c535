package sim

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"
)

// Process is a piece of blocking code (for example a technique's Migrate) that
// runs in virtual time. Each process has its own goroutine, but the engine lets
// exactly one goroutine run at a time: a process runs until it sleeps or waits,
// then the engine resumes whichever process the next event belongs to.
type Process struct {
	e      *Engine
	wake   chan struct{}
	exited chan struct{}
	done   *Signal
	err    error
	state  procState
}

type procState uint8

const (
	procNew procState = iota
	procRunning
	procDone
	procKilled
)

// Signal is a one-shot event that processes can wait for.
type Signal struct {
	e       *Engine
	fired   bool
	waiters []*Process
}

// NewSignal returns an untriggered signal.
func (e *Engine) NewSignal() *Signal { return &Signal{e: e} }

// Trigger fires the signal: every waiting process resumes at the current time,
// in the order it started waiting. Triggering twice is a no-op.
func (s *Signal) Trigger() {
	if s.fired {
		return
	}
	s.fired = true
	for _, p := range s.waiters {
		s.e.push(event{at: s.e.now, p: p})
	}
	s.waiters = nil
}

// Triggered reports whether the signal has fired.
func (s *Signal) Triggered() bool { return s.fired }

// Go starts fn as a new process, on its own goroutine, at the current virtual
// time after the events already scheduled for it. It may be called before Run
// or from a running process or callback.
func (e *Engine) Go(fn func(p *Process) error) *Process {
	p := &Process{e: e, wake: make(chan struct{}), exited: make(chan struct{}), done: e.NewSignal()}
	e.procs = append(e.procs, p)
	go p.main(fn)
	e.push(event{at: e.now, p: p})
	return p
}

// Current returns the running process, or nil when the caller is not a process
// (the driver, or code outside the engine).
func (e *Engine) Current() *Process {
	if e.cur == e.root && (!e.rootIsProc || e.root.state != procRunning) {
		return nil
	}
	return e.cur
}

// Engine returns the engine the process runs in.
func (p *Process) Engine() *Engine { return p.e }

// Done returns a signal that fires when the process has returned.
func (p *Process) Done() *Signal { return p.done }

// Err returns the error the process returned (or its panic), once it is done.
func (p *Process) Err() error { return p.err }

// Sleep suspends the process for d of virtual time.
func (p *Process) Sleep(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("sim: Sleep(%s): negative duration", d))
	}
	p.SleepUntil(p.e.now + d)
}

// SleepUntil suspends the process until virtual time t (at once if t is not
// after now; other events due now still run first unless none is pending).
func (p *Process) SleepUntil(t time.Duration) {
	e := p.mustRun("SleepUntil")
	t = max(t, e.now)
	if e.idleUntil(t) {
		// Nothing else can happen before t: advance the clock in place, exactly
		// as if the wake-up event had gone through the heap.
		e.check()
		if e.err == nil {
			e.now, e.events = t, e.events+1
			return
		}
	}
	e.push(event{at: t, p: p})
	p.park()
}

// Wait suspends the process until s fires (returns at once if it has fired).
func (p *Process) Wait(s *Signal) {
	p.mustRun("Wait")
	if s.fired {
		return
	}
	s.waiters = append(s.waiters, p)
	p.park()
}

func (p *Process) mustRun(op string) *Engine {
	if p.e.cur != p {
		panic("sim: Process." + op + " called from outside the running process")
	}
	return p.e
}

// park blocks until an event resumes p, running the core loop itself while it
// holds the baton. A process stopped by the cleanup exits here; main, when the
// run ends while it waits, unwinds to Run.
func (p *Process) park() {
	e := p.e
	switch e.dispatch(p) {
	case resumed:
		return
	case ended:
		panic(stopMain{})
	}
	<-p.wake
	if p.state == procKilled {
		runtime.Goexit()
	}
	if p == e.root && e.ending {
		panic(stopMain{})
	}
}

// main is the body of a process goroutine.
func (p *Process) main(fn func(p *Process) error) {
	defer close(p.exited)
	<-p.wake
	if p.state == procKilled {
		return
	}
	p.state = procRunning
	returned := false
	defer func() {
		if p.state == procKilled {
			return // stopped by cleanup: the driver holds the baton
		}
		if !returned {
			if r := recover(); r != nil {
				p.err = panicError(r)
				p.e.fail(p.err)
			} else {
				p.err = errors.New("sim: process called runtime.Goexit")
			}
		}
		p.state = procDone
		p.done.Trigger()
		p.e.dispatch(p) // pass the baton on; never resumes p
	}()
	p.err = fn(p)
	returned = true
}

// cleanup stops every process started by Go that has not finished, one at a
// time, and returns how many were blocked. It runs on the root goroutine.
func (e *Engine) cleanup() int {
	n := 0
	for _, p := range e.procs {
		if p.state == procDone {
			<-p.exited
			continue
		}
		if p.state == procRunning {
			n++
		}
		p.state = procKilled
		e.cur = p
		p.wake <- struct{}{}
		<-p.exited
	}
	e.cur = e.root
	e.procs = nil
	return n
}

// PanicError is a panic inside a process or callback, turned into an error.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack where the panic was recovered.
	Stack []byte
}

// Error reports the panic value and the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("sim: panic in simulation: %v\n%s", e.Value, e.Stack)
}

func panicError(r any) error { return &PanicError{Value: r, Stack: debug.Stack()} }
