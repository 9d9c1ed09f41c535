package agent

import (
	"context"
	"io"
	"sync"
	"time"
)

// stallWatch cancels a context when no progress was reported for a while.
type stallWatch struct {
	cancel context.CancelFunc
	every  time.Duration

	mu    sync.Mutex
	timer *time.Timer
	fire  bool
}

// watchStall returns a context that is cancelled when progress is not
// called for d (d <= 0: never).
func watchStall(ctx context.Context, d time.Duration) (context.Context, *stallWatch) {
	ctx, cancel := context.WithCancel(ctx)
	w := &stallWatch{cancel: cancel, every: d}
	if d > 0 {
		w.timer = time.AfterFunc(d, func() {
			w.mu.Lock()
			w.fire = true
			w.mu.Unlock()
			cancel()
		})
	}
	return ctx, w
}

// progress restarts the stall timer.
func (w *stallWatch) progress() {
	if w.timer != nil {
		w.timer.Reset(w.every)
	}
}

// fired reports whether the context was cancelled for a stall.
func (w *stallWatch) fired() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fire
}

func (w *stallWatch) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.cancel()
}

// progressWriter reports every accepted write to a stallWatch.
type progressWriter struct {
	w     io.Writer
	watch *stallWatch
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		p.watch.progress()
	}
	return n, err
}
