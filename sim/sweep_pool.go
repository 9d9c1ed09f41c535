package sim

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
)

// windowPerWorker is how many scenarios each worker may run ahead of the
// emitter: enough that a slow scenario (a MiGrror run of thousands of sync
// rounds) does not idle the other workers, few enough that the reorder
// window stays small (a few hundred batches).
const windowPerWorker = 32

// ordered runs work(i) for i in [0, n) on workers goroutines and passes the
// results to emit on the calling goroutine in index order. At most a window
// of results exist at once: each lives in a slot of a ring, with its own
// buffer, reused once emitted. Workers take the next index themselves (an
// atomic counter, no dispatcher); the emitter's share is a channel receive
// and emit per index. It returns emit's first error or ctx's.
func ordered(ctx context.Context, n, workers int, work func(ctx context.Context, i int, b *Batch, buf *bytes.Buffer), emit func(*Batch) error) error {
	if n == 0 {
		return ctx.Err()
	}
	workers = max(1, min(workers, n))
	w := min(n, windowPerWorker*workers)
	type slot struct {
		b   Batch
		buf bytes.Buffer
	}
	slots := make([]slot, w)
	// tokens bounds the indices taken and not yet emitted to w, so index i
	// finds slot i%w free: its previous user, i-w, was emitted.
	tokens := make(chan struct{}, w)
	for range w {
		tokens <- struct{}{}
	}
	done := make(chan int, w)
	ctx, cancel := context.WithCancel(ctx)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
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
				work(ctx, i, &s.b, &s.buf)
				done <- i // never blocks: at most w indices are outstanding
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	ready := make([]bool, w)
	for emitted := 0; emitted < n; {
		select {
		case i := <-done:
			ready[i%w] = true
		case <-ctx.Done():
			return ctx.Err()
		}
		for emitted < n && ready[emitted%w] {
			k := emitted % w
			ready[k] = false
			if err := emit(&slots[k].b); err != nil {
				return err
			}
			slots[k].b = Batch{}
			emitted++
			tokens <- struct{}{}
		}
	}
	return ctx.Err()
}
