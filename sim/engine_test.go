package sim

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// settle waits for exited goroutines to disappear from the count.
func goroutinesSettle(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("goroutine leak: %d before, %d after", before, runtime.NumGoroutine())
}

func TestEngineOrdersSameTimeEventsByInsertion(t *testing.T) {
	e := NewEngine()
	var log []string
	add := func(s string) { log = append(log, fmt.Sprintf("%v %s", e.Now(), s)) }
	e.Schedule(2*time.Second, func() { add("cb-a") })
	e.Go(func(p *Process) error {
		add("p1 start")
		p.Sleep(2 * time.Second)
		add("p1 woke")
		return nil
	})
	e.Schedule(2*time.Second, func() { add("cb-b") })
	e.Go(func(p *Process) error {
		add("p2 start")
		p.Sleep(time.Second)
		add("p2 woke")
		p.Sleep(time.Second)
		add("p2 woke again")
		return nil
	})
	e.Schedule(0, func() { add("cb-0") })
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	// cb-a and cb-b were scheduled before Run; p1's wake-up when it ran at 0s,
	// p2's second wake-up at 1s.
	want := []string{"0s p1 start", "0s p2 start", "0s cb-0", "1s p2 woke",
		"2s cb-a", "2s cb-b", "2s p1 woke", "2s p2 woke again"}
	if strings.Join(log, "|") != strings.Join(want, "|") {
		t.Fatalf("order:\n got %q\nwant %q", log, want)
	}
	if e.Events() != 8 {
		t.Errorf("%d events, want 8", e.Events())
	}
}

func TestSignalsAndChildren(t *testing.T) {
	e := NewEngine()
	var got []time.Duration
	e.Go(func(p *Process) error {
		sig := e.NewSignal()
		e.After(3*time.Second, sig.Trigger)
		child := e.Go(func(c *Process) error {
			c.Wait(sig)
			got = append(got, e.Now())
			c.Sleep(time.Second)
			return errors.New("child failed")
		})
		p.Wait(sig)
		got = append(got, e.Now())
		p.Wait(child.Done())
		got = append(got, e.Now())
		p.Wait(sig) // already fired: returns at once
		if child.Err() == nil || child.Err().Error() != "child failed" {
			t.Errorf("child error %v", child.Err())
		}
		return nil
	})
	if err := e.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{3 * time.Second, 3 * time.Second, 4 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestEngineFailuresStopAllProcesses(t *testing.T) {
	before := runtime.NumGoroutine()
	sleeper := func(p *Process) error {
		for {
			p.Sleep(time.Second)
		}
	}
	cases := []struct {
		name  string
		setup func(e *Engine, cancel context.CancelFunc) (main func(p *Process) error)
		check func(err error) bool
	}{
		{"panic in a process", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			e.Go(sleeper)
			e.Go(func(p *Process) error { p.Sleep(5 * time.Second); panic("boom") })
			return nil
		}, func(err error) bool {
			var pe *PanicError
			return errors.As(err, &pe) && pe.Value == "boom"
		}},
		{"panic in a callback", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			e.Go(sleeper)
			e.After(time.Second, func() { panic("cb") })
			return nil
		}, func(err error) bool { var pe *PanicError; return errors.As(err, &pe) }},
		{"deadlock", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			e.Go(func(p *Process) error { p.Wait(e.NewSignal()); return nil })
			return nil
		}, func(err error) bool { return errors.Is(err, ErrDeadlock) }},
		{"event limit", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			e.MaxEvents = 1000
			e.Go(sleeper)
			e.Go(sleeper)
			return nil
		}, func(err error) bool { return errors.Is(err, ErrEventLimit) }},
		{"cancelled", func(e *Engine, cancel context.CancelFunc) func(*Process) error {
			e.Go(sleeper)
			e.Go(func(p *Process) error { p.Sleep(time.Hour); cancel(); return nil })
			return nil
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		// main runs on the caller's goroutine: it is unwound, not leaked.
		{"main alone, cancelled on the fast path", func(e *Engine, cancel context.CancelFunc) func(*Process) error {
			return func(p *Process) error {
				for i := 0; ; i++ {
					if i == 5000 {
						cancel()
					}
					p.Sleep(time.Millisecond)
				}
			}
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"main waits while a child panics", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			return func(p *Process) error {
				c := e.Go(func(p *Process) error { p.Sleep(time.Second); panic("child") })
				p.Wait(c.Done())
				return nil
			}
		}, func(err error) bool { var pe *PanicError; return errors.As(err, &pe) && pe.Value == "child" }},
		{"main deadlocks", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			return func(p *Process) error { e.Go(sleeper); p.Wait(e.NewSignal()); return nil }
		}, func(err error) bool { return errors.Is(err, ErrEventLimit) }},
		{"main deadlocks alone", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			return func(p *Process) error { p.Wait(e.NewSignal()); return nil }
		}, func(err error) bool { return errors.Is(err, ErrDeadlock) }},
		{"main panics", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			e.Go(sleeper)
			return func(p *Process) error { p.Sleep(time.Second); panic("main") }
		}, func(err error) bool { var pe *PanicError; return errors.As(err, &pe) && pe.Value == "main" }},
		{"main returns an error", func(e *Engine, _ context.CancelFunc) func(*Process) error {
			return func(p *Process) error { p.Sleep(time.Second); return errors.New("failed") }
		}, func(err error) bool { return err != nil && err.Error() == "failed" }},
	}
	for _, c := range cases {
		ctx, cancel := context.WithCancel(context.Background())
		e := NewEngine()
		e.MaxEvents = 100_000
		main := c.setup(e, cancel)
		err := e.Run(ctx, main)
		if !c.check(err) {
			t.Errorf("%s: err = %v", c.name, err)
		}
		cancel()
	}
	goroutinesSettle(t, before)
}

// TestMainRunsDeferredCallsWhenStopped: main's deferred calls run when the run
// ends under it.
func TestMainRunsDeferredCallsWhenStopped(t *testing.T) {
	e := NewEngine()
	deferred := false
	err := e.Run(context.Background(), func(p *Process) error {
		defer func() { deferred = true }()
		p.Wait(e.NewSignal())
		return nil
	})
	if !errors.Is(err, ErrDeadlock) || !deferred {
		t.Fatalf("err %v, deferred %v", err, deferred)
	}
}

func TestSleepOutsideItsProcessPanics(t *testing.T) {
	e := NewEngine()
	var other *Process
	other = e.Go(func(p *Process) error { p.Sleep(time.Hour); return nil })
	e.Go(func(p *Process) error {
		defer func() {
			if recover() == nil {
				t.Error("no panic")
			}
		}()
		other.Sleep(time.Second)
		return nil
	})
	_ = e.Run(context.Background(), nil)
}

// BenchmarkEngine: events per second with 100 processes sleeping pseudo-random
// durations (every event is a heap operation and a goroutine switch) and with
// one process alone (the fast path: no heap, no switch).
func BenchmarkEngine(b *testing.B) {
	for _, procs := range []int{1, 100} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			e := NewEngine()
			per := b.N/procs + 1
			for i := range procs {
				e.Go(func(p *Process) error {
					x := uint64(i + 1)
					for range per {
						x ^= x << 13
						x ^= x >> 7
						x ^= x << 17
						p.Sleep(time.Duration(x % 1000))
					}
					return nil
				})
			}
			b.ResetTimer()
			if err := e.Run(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(e.Events())/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("callbacks", func(b *testing.B) {
		e := NewEngine()
		n := 0
		var tick func()
		tick = func() {
			if n++; n < b.N {
				e.After(time.Duration(n%7), tick)
			}
		}
		for range 64 {
			e.After(0, tick)
		}
		b.ResetTimer()
		if err := e.Run(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(e.Events())/b.Elapsed().Seconds(), "events/s")
	})
}
