package cli

import (
	"io"
	"sync"
)

// asyncWriter copies what it is given into buffers and writes full buffers
// to w on a goroutine of its own, so that a sweep's emitter, which writes
// under the lock that keeps the records in order, only copies bytes: the
// system calls (a tenth of a sweep's CPU when the records go to a file) run
// beside the workers. A failed write is returned by the next Write and by
// Close.
type asyncWriter struct {
	w    io.Writer
	buf  []byte
	full chan []byte
	free chan []byte
	done chan struct{}
	mu   sync.Mutex
	err  error // the first failed write, guarded by mu
}

// newAsyncWriter writes to w through n buffers of size bytes.
func newAsyncWriter(w io.Writer, n, size int) *asyncWriter {
	a := &asyncWriter{w: w, full: make(chan []byte, n), free: make(chan []byte, n), done: make(chan struct{})}
	for range n {
		a.free <- make([]byte, 0, size)
	}
	a.buf = <-a.free
	go func() {
		defer close(a.done)
		for b := range a.full {
			if a.failed() == nil {
				if _, err := a.w.Write(b); err != nil {
					a.mu.Lock()
					a.err = err
					a.mu.Unlock()
				}
			}
			a.free <- b[:0]
		}
	}()
	return a
}

func (a *asyncWriter) failed() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Write copies p, handing each buffer it fills to the writing goroutine (and
// waiting for a free one when all are being written).
func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(a.buf) == cap(a.buf) {
			a.full <- a.buf
			a.buf = <-a.free
		}
		k := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf, p = a.buf[:len(a.buf)+k], p[k:]
	}
	return n, a.failed()
}

// Close writes what is buffered, waits for every write and returns the first
// error. The writer is not usable after.
func (a *asyncWriter) Close() error {
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	a.buf = nil
	close(a.full)
	<-a.done
	return a.failed()
}
