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
// elsewhere), polling a counter that the engine exposes, with the rate so far
// and the time left at that rate.
type progress struct {
	w     io.Writer
	what  string
	total int64
	done  func() int64
	tty   bool
	start time.Time
	now   func() time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress polls done() until finish is called. A nil writer disables it.
func startProgress(w io.Writer, what string, total int64, done func() int64) *progress {
	p := &progress{w: w, what: what, total: total, done: done, start: time.Now(), now: time.Now, stop: make(chan struct{})}
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
	line := p.line(p.done(), p.now().Sub(p.start), final)
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// line is the bar after n of the total in el: the count, the time so far, the
// rate so far and, until the end, the time left at that rate (ETA).
func (p *progress) line(n int64, el time.Duration, final bool) string {
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(n)/float64(p.total))
	}
	const width = 30
	bar := strings.Repeat("=", int(frac*width))
	if len(bar) < width {
		bar += ">" + strings.Repeat(" ", width-len(bar)-1)
	}
	line := fmt.Sprintf("[%s] %d/%d %s  %s", bar, n, p.total, p.what, el.Round(100*time.Millisecond))
	if n <= 0 || el <= 0 {
		return line
	}
	rate := float64(n) / el.Seconds()
	line += fmt.Sprintf("  %s %s/s", formatRate(rate), p.what)
	if !final && n < p.total {
		eta := time.Duration(float64(p.total-n) / rate * float64(time.Second))
		line += "  ETA " + formatETA(eta)
	}
	return line
}

// formatRate writes a rate with three significant digits (1234 -> 1.23k).
func formatRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.3gM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.3gk", r/1e3)
	}
	return fmt.Sprintf("%.3g", r)
}

// formatETA writes a time left to the second (to the minute beyond an hour).
func formatETA(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
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
