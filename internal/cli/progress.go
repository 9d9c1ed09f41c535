package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar on a terminal (or a line every few seconds
// elsewhere), polling a counter that the engine exposes.
type progress struct {
	w     io.Writer
	what  string
	total int64
	done  func() int64
	tty   bool
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress polls done() until finish is called. A nil writer disables it.
func startProgress(w io.Writer, what string, total int64, done func() int64) *progress {
	p := &progress{w: w, what: what, total: total, done: done, start: time.Now(), stop: make(chan struct{})}
	if w == nil {
		return p
	}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	interval := 3 * time.Second
	if p.tty {
		interval = 100 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
	return p
}

func (p *progress) draw(final bool) {
	n := p.done()
	el := time.Since(p.start).Round(100 * time.Millisecond)
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(n)/float64(p.total))
	}
	const width = 30
	bar := strings.Repeat("=", int(frac*width))
	if len(bar) < width {
		bar += ">" + strings.Repeat(" ", width-len(bar)-1)
	}
	line := fmt.Sprintf("[%s] %d/%d %s  %s", bar, n, p.total, p.what, el)
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r%s\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r%s", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// finish stops polling and draws the final state.
func (p *progress) finish() {
	if p.w == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	p.draw(true)
}
