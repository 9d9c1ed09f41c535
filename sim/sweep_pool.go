package sim

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
)

// windowPerWorker is how many scenarios each worker may run ahead of the
// oldest scenario not yet emitted: enough that a slow scenario (a MiGrror run
// of thousands of sync rounds) does not idle the other workers, few enough
// that the window stays small (a few hundred batches).
const windowPerWorker = 32

// ordered runs work(i) for i in [0, n) on workers goroutines and passes the
// results to emit in index order, one call at a time. There is no emitter
// goroutine to wake: the worker that completes the oldest result not yet
// emitted emits it and every result after it that is ready, under a lock
// (emitting costs a copy of bytes; the simulation, the records and their
// encoding are done outside it). A worker that finds the lock held does not
// wait for it: the holder emits its result too (see finish), so no worker
// ever sleeps on the lock and is woken on another core, which costs on a
// virtual machine some 100 µs of an idle core each time. At most a window
// of results exist at once: each lives in a slot of a ring, with its own
// buffer, reused once emitted. work learns which worker (from 0 to
// workers-1) runs it, so that it may keep memory of its own from index to
// index. It returns emit's first error, or ctx's when it ends the run early.
func ordered(ctx context.Context, n, workers int, work func(ctx context.Context, worker, i int, b *Batch, buf *bytes.Buffer), emit func(*Batch) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers = max(1, min(workers, n))
	w := min(n, windowPerWorker*workers)
	type slot struct {
		b     Batch
		buf   bytes.Buffer
		ready atomic.Bool // the result is in b, not yet emitted
	}
	slots := make([]slot, w)
	// tokens bounds the indices taken and not yet emitted to w, so index i
	// finds slot i%w free: its previous user, i-w, was emitted.
	tokens := make(chan struct{}, w)
	for range w {
		tokens <- struct{}{}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		mu      sync.Mutex
		emitted int   // guarded by mu
		emitErr error // guarded by mu
	)
	// drain emits what is ready from the oldest on; it is called with mu
	// held and says whether the run goes on.
	// The slots it frees go back as tokens at the end, together: a worker
	// waiting for one is woken once, not once a batch.
	drain := func() bool {
		from := emitted
		for emitErr == nil && ctx.Err() == nil && emitted < n && slots[emitted%w].ready.Load() {
			s := &slots[emitted%w]
			if emitErr = emit(&s.b); emitErr != nil {
				cancel()
				return false
			}
			s.b = Batch{}
			s.ready.Store(false)
			emitted++
		}
		for range emitted - from {
			tokens <- struct{}{} // never blocks: a token per slot
		}
		if emitted == n {
			cancel() // the workers waiting for a token are done
		}
		return emitErr == nil && ctx.Err() == nil && emitted < n
	}
	// finish marks slot k ready and emits what is ready, unless another
	// worker holds the lock. That worker, once it lets go of the lock, looks
	// at the oldest slot again: a worker that marked it ready and found the
	// lock held did so before the holder let go (the atomics are sequentially
	// consistent), so the holder sees it and emits it.
	finish := func(k int) {
		slots[k].ready.Store(true)
		for mu.TryLock() {
			more := drain()
			oldest := emitted % w
			mu.Unlock()
			if !more || !slots[oldest].ready.Load() {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-tokens:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				s := &slots[i%w]
				work(ctx, wk, i, &s.b, &s.buf)
				finish(i % w)
			}
		}()
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	if emitted < n {
		return context.Cause(ctx)
	}
	return nil
}
